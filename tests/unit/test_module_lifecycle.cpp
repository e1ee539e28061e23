// Any module (issue 11) and the module lifecycle (issue 13): name resolution, dependencies,
// compressed modules, clear errors, foreign cycles, the expediter around the removal, the unload
// timeout, the knobs' state file, the run lock and the signals.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <new>
#include <thread>

#include "fakes.hpp"
#include "rcu_unload/expediter.hpp"
#include "rcu_unload/lifecycle.hpp"
#include "rcu_unload/module_loader.hpp"
#include "rcu_unload/runner.hpp"
#include "rcu_unload/unload_trace.hpp"

using namespace rcu_unload;
using rcu_unload::test::FakeKernel;
using rcu_unload::test::FakeSysfs;
using rcu_unload::test::TempDir;

namespace {

// A module tree: files with their .modinfo, modules.dep names, and what probe() loaded.
struct FakeIndex final : ModuleIndex {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> files;  // path -> modinfo
  std::map<std::string, std::string> dep;                                         // name -> path
  std::map<std::string, int> probe_error;
  std::vector<std::string> probed;

  bool is_file(const std::string& path) const override { return files.count(path) > 0; }
  std::optional<std::string> lookup(const std::string& name) override {
    auto it = dep.find(name);
    if (it == dep.end()) return std::nullopt;
    return it->second;
  }
  Result<std::vector<std::pair<std::string, std::string>>> modinfo(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return error("No such file or directory (-2)");
    return it->second;
  }
  std::set<std::string> without_exit;  // paths of modules with an init but no exit function
  Result<ModuleEntryPoints> entry_points(const std::string& path) override {
    return ModuleEntryPoints{true, without_exit.count(path) == 0};
  }
  int probe(const std::string& name) override {
    probed.push_back(name);
    return probe_error.count(name) ? probe_error[name] : 0;
  }
  std::string tree() const override { return "/lib/modules/6.12.0-test"; }
  std::set<std::string> builtin;
  bool is_builtin(const std::string& name) override { return builtin.count(name) > 0; }

  void add(const std::string& path, const std::string& name, const std::string& depends = {}) {
    files[path] = {{"name", name}, {"depends", depends}, {"license", "GPL"}};
  }
};

// A module that is not ours, as the kernel treats it: no records, its own log lines.
struct FakeForeign final : ModuleBackend, RecordSource {
  std::string module = "fuse";
  std::vector<std::string> inserts;
  bool loaded = false;
  int insert_error = 0;
  int remove_error = 0;
  std::vector<std::string> load_lines;  // logged by a load ("fuse: unknown parameter ...")
  std::vector<std::string> log;
  std::vector<std::string> watched;
  std::function<void()> on_remove;

  int insert(const std::string& options) override {
    inserts.push_back(options);
    for (const auto& l : load_lines) log.push_back(l);
    if (insert_error) return insert_error;
    loaded = true;
    return 0;
  }
  int remove() override {
    if (on_remove) on_remove();
    if (remove_error) return remove_error;
    loaded = false;
    return 0;
  }
  std::string name() const override { return module; }
  std::string state_report() override { return "module fuse: initstate going, refcount 0, holders none"; }
  Result<Record> wait_for(std::string_view, std::uint64_t, std::chrono::milliseconds) override {
    return error("a foreign module has no records");
  }
  std::vector<std::string> take_diagnostics() override {
    std::vector<std::string> kept;
    for (auto& l : log)
      for (const auto& w : watched)
        if (l.rfind(w + ": ", 0) == 0) kept.push_back(l);
    log.clear();
    return kept;
  }
  void watch_module(std::string_view m) override { watched.emplace_back(m); }
};

// The expediter's sysfs as the harness sees it: active, and stats that grow while it is on.
struct FakeExpediter final : ExpediterControl {
  bool active = false;
  unsigned switched = 0;
  ExpediterStats total;
  std::optional<std::string> set_active(bool on) override {
    active = on;
    if (on) ++total.switched_on;
    ++switched;
    return std::nullopt;
  }
  Result<ExpediterStats> stats() override { return total; }
};

struct ForeignHarness {
  FakeForeign kernel;
  std::atomic<bool> stop{false};
  std::uint64_t clock = 0;
  RunEnvironment env{kernel, kernel, stop};
  ForeignHarness() { env.now_ns = [this] { return clock += 1000; }; }
  RunOutcome run(std::vector<std::string> specs, unsigned cycles, std::vector<std::string> params = {}) {
    RunConfig config;
    config.default_strategies = specs.empty();
    if (specs.empty()) specs = {"barrier"};  // what the command line fills in
    for (const auto& spec : specs) config.strategies.push_back(parse_strategy_spec(spec).value());
    config.cycles = cycles;
    config.callbacks = {1000};
    config.params = std::move(params);
    return run_cycles(config, env);
  }
};

bool contains(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

std::uint64_t measured(const Cycle& c, const std::string& key) {
  for (const auto& [k, v] : c.measured)
    if (k == key) return v;
  return ~std::uint64_t{0};
}

}  // namespace

TEST_CASE("a module name is resolved through modules.dep, a path is taken as given") {
  FakeIndex index;
  index.add("/lib/modules/6.12.0-test/kernel/fs/fuse/fuse.ko.xz", "fuse");
  index.dep["fuse"] = "/lib/modules/6.12.0-test/kernel/fs/fuse/fuse.ko.xz";
  auto by_name = resolve_module("fuse", index);
  REQUIRE(by_name);
  CHECK(by_name->path == "/lib/modules/6.12.0-test/kernel/fs/fuse/fuse.ko.xz");
  CHECK(by_name->name == "fuse");

  index.add("/tmp/nf-conntrack.ko.zst", "nf_conntrack", "nf_defrag_ipv4,libcrc32c");
  auto by_path = resolve_module("/tmp/nf-conntrack.ko.zst", index);
  REQUIRE(by_path);
  CHECK(by_path->name == "nf_conntrack");
  CHECK(by_path->depends == std::vector<std::string>{"nf_defrag_ipv4", "libcrc32c"});

  auto missing = resolve_module("fusee", index);
  REQUIRE_FALSE(missing);
  CHECK(contains(missing.error(), "no module named fusee in /lib/modules/6.12.0-test"));
  CHECK(contains(missing.error(), "depmod"));
  index.builtin.insert("ext4");
  auto builtin = resolve_module("ext4", index);
  REQUIRE_FALSE(builtin);
  CHECK(contains(builtin.error(), "ext4 is built into the kernel"));
  auto no_file = resolve_module("/nowhere/fuse.ko", index);
  REQUIRE_FALSE(no_file);
  CHECK(contains(no_file.error(), "does not exist"));
}

TEST_CASE("a module without an exit function is refused before anything is loaded") {
  FakeIndex index;
  index.add("/m/vrf.ko", "vrf", "libcrc32c");
  index.dep["vrf"] = "/m/vrf.ko";
  index.without_exit.insert("/m/vrf.ko");
  auto file = resolve_module("vrf", index);
  REQUIRE_FALSE(file);
  CHECK(file.error() ==
        "module vrf (/m/vrf.ko) has an init function but no exit function: the kernel could never unload it, so it "
        "is not loaded");
  CHECK(index.probed.empty());
}

TEST_CASE("a module file's entry points are read from its ELF symbols, compressed or not") {
  const std::string dir = RCU_UNLOAD_ELF_FIXTURES;
  for (const char* suffix : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
    INFO(suffix);
    auto with = read_module_image(dir + "/with_exit" + suffix);
    REQUIRE(with);
    auto entry = module_entry_points(*with);
    REQUIRE(entry);
    CHECK(entry->init);
    CHECK(entry->exit);
    CHECK_FALSE(entry->never_unloads());
    auto without = read_module_image(dir + "/without_exit" + suffix);
    REQUIRE(without);
    entry = module_entry_points(*without);
    REQUIRE(entry);
    CHECK(entry->init);
    CHECK_FALSE(entry->exit);  // referenced, not defined
    CHECK(entry->never_unloads());
  }
  auto plain = read_module_image(dir + "/with_exit.ko");
  REQUIRE(plain);
  CHECK(module_entry_points("not an object").error() == "not an ELF file");
  // Every truncation of a real object is refused or read, never read past its end.
  for (std::size_t size = 0; size < plain->size(); size += 7) (void)module_entry_points(plain->substr(0, size));
  CHECK(module_entry_points(plain->substr(0, 64)).error() == "ELF section headers past the end of the file");

  std::string cut = read_text_file(dir + "/with_exit.ko.xz").value();
  cut.resize(cut.size() / 2);
  const std::string truncated =
      (std::filesystem::temp_directory_path() / fmt::format("rcu-unload-truncated-{}.ko.xz", getpid())).string();
  std::ofstream(truncated, std::ios::binary) << cut;
  auto bad = read_module_image(truncated);
  std::filesystem::remove(truncated);
  REQUIRE_FALSE(bad);
  CHECK(contains(bad.error(), "xz: corrupt or truncated"));
  CHECK_FALSE(read_module_image(dir + "/missing.ko"));
}

TEST_CASE("the module's name is its .modinfo name, not its file's (a renamed copy of rcu_unload.ko)") {
  FakeIndex index;
  index.add("/tmp/other_name.ko", "rcu_unload");
  auto file = resolve_module("/tmp/other_name.ko", index);
  REQUIRE(file);
  CHECK(file->name == "rcu_unload");
  CHECK(module_name_from_path("/x/other-name.ko.zst") == "other_name");
  CHECK(module_name_from_path("fuse.ko.xz") == "fuse");
  CHECK(module_name_from_path("squashfs.ko") == "squashfs");
  CHECK(looks_like_path("fuse.ko.xz"));
  CHECK(looks_like_path("./fuse"));
  CHECK_FALSE(looks_like_path("fuse"));
}

TEST_CASE("dependencies are probed first, in .modinfo order; a missing or failing one is named") {
  FakeIndex index;
  index.add("/m/nf_conntrack.ko.xz", "nf_conntrack", "nf_defrag_ipv4,nf_defrag_ipv6,libcrc32c");
  for (auto dep : {"nf_defrag_ipv4", "nf_defrag_ipv6", "libcrc32c"}) index.dep[dep] = std::string("/m/") + dep + ".ko.xz";
  auto file = resolve_module("/m/nf_conntrack.ko.xz", index);
  REQUIRE(file);
  CHECK_FALSE(load_dependencies(*file, index));
  CHECK(index.probed == std::vector<std::string>{"nf_defrag_ipv4", "nf_defrag_ipv6", "libcrc32c"});

  index.dep.erase("libcrc32c");
  auto missing = load_dependencies(*file, index);
  REQUIRE(missing);
  CHECK(contains(*missing, "depends on libcrc32c, which is not in /lib/modules/6.12.0-test"));

  index.dep["libcrc32c"] = "/m/libcrc32c.ko.xz";
  index.probe_error["nf_defrag_ipv6"] = -ENOEXEC;
  auto failed = load_dependencies(*file, index);
  REQUIRE(failed);
  CHECK(contains(*failed, "dependency nf_defrag_ipv6 failed: Exec format error"));
}

TEST_CASE("load and unload failures are explained") {
  auto symbol = explain_load_failure("nf_conntrack", -ENOENT,
                                     {"nf_conntrack: Unknown symbol nf_defrag_ipv4_disable (err -2)",
                                      "nf_conntrack: Unknown symbol nf_defrag_ipv4_disable (err -2)"});
  CHECK(contains(symbol, "no symbol nf_defrag_ipv4_disable"));
  CHECK(contains(symbol, "dependency is missing"));
  CHECK(contains(explain_load_failure("fuse", -EEXIST, {}), "already loaded"));

  ModuleState in_use{"live", 2, {"cuse"}};
  CHECK(contains(explain_remove_failure("fuse", -EWOULDBLOCK, in_use), "in use by cuse (refcount 2)"));
  ModuleState busy{"live", 1, {}};
  CHECK(contains(explain_remove_failure("fuse", -EWOULDBLOCK, busy), "in use (refcount 1)"));
  ModuleState no_exit{"live", 0, {}, true};
  CHECK(contains(explain_remove_failure("vrf", -EBUSY, no_exit), "no exit function"));
  ModuleState going{"going", 0, {}};
  CHECK_FALSE(contains(explain_remove_failure("fuse", -EBUSY, going), "no exit function"));
  ModuleState builtin{"builtin", -1, {}};
  CHECK(contains(explain_remove_failure("ext4", -ENOENT, builtin), "built into the kernel"));
  CHECK(contains(explain_remove_failure("fuse", -ENOENT, ModuleState{}), "not loaded"));

  PreflightFacts f{"/lib/x.ko", "ext4", true, true, true, false, true};
  CHECK(contains(preflight_problem(f).value_or(""), "ext4 is built into the kernel"));
}

TEST_CASE("module state is read from /sys/module") {
  TempDir dir;
  std::filesystem::create_directories(dir.root + "/sys/module/fuse/holders/cuse");
  std::ofstream(dir.root + "/sys/module/fuse/initstate") << "live\n";
  std::ofstream(dir.root + "/sys/module/fuse/refcnt") << "1\n";
  std::filesystem::create_directories(dir.root + "/sys/module/ext4/parameters");
  std::filesystem::create_directories(dir.root + "/sys/module/vrf");
  std::filesystem::create_directories(dir.root + "/proc");
  std::ofstream(dir.root + "/proc/modules") << "fuse 163840 1 cuse, Live 0x0000000000000000\n"
                                               "vrf 36864 0 [permanent], Live 0x0000000000000000\n";
  auto fuse = read_module_state("fuse", dir.root);
  CHECK_FALSE(fuse.permanent);
  CHECK(read_module_state("vrf", dir.root).permanent);
  CHECK(fuse.initstate == "live");
  CHECK(fuse.refcnt == 1);
  CHECK(fuse.holders == std::vector<std::string>{"cuse"});
  CHECK(read_module_state("ext4", dir.root).initstate == "builtin");
  CHECK(read_module_state("none", dir.root).initstate.empty());
}

TEST_CASE("a foreign module gets its parameters exactly as given and per-cycle load and unload times") {
  ForeignHarness h;
  auto out = h.run({}, 3, {"max_user_bgreq=10"});
  CHECK(out.exit_code == 0);
  CHECK(out.results.errors.empty());
  REQUIRE(out.results.cycles.size() == 3);
  CHECK(h.kernel.inserts == std::vector<std::string>(3, "max_user_bgreq=10"));  // nothing injected
  CHECK(out.results.strategies == std::vector<std::string>{"plain"});
  CHECK(out.results.callbacks == std::vector<unsigned>{0});
  for (const auto& c : out.results.cycles) {
    CHECK(c.strategy == "plain");
    CHECK(c.syscall_ns == 1000);
    CHECK(measured(c, "load_ns") == 1000);
    CHECK(cycle_problems(c).empty());
  }
  CHECK_FALSE(h.kernel.loaded);
  CHECK(contains(results_to_json(out.results), "\"load_ns\": 1000"));
}

TEST_CASE("a foreign module runs plain only, and rcu_unload never plain") {
  ForeignHarness h;
  auto out = h.run({"barrier"}, 1);
  CHECK(out.exit_code == 1);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(contains(out.results.errors[0], "module fuse is not rcu_unload"));
  CHECK(h.kernel.inserts.empty());

  FakeKernel ours;
  std::atomic<bool> stop{false};
  RunEnvironment env{ours, ours, stop};
  RunConfig config;
  config.strategies = {StrategySpec{"plain"}};
  config.callbacks = {10};
  auto refused = run_cycles(config, env);
  REQUIRE(refused.results.errors.size() == 1);
  CHECK(contains(refused.results.errors[0], "strategy plain is for a module that is not rcu_unload"));
}

TEST_CASE("a missing dependency names the unknown symbol; an unloadable module says why") {
  ForeignHarness h;
  h.kernel.module = "nf_conntrack";
  h.kernel.insert_error = -ENOENT;
  h.kernel.load_lines = {"nf_conntrack: Unknown symbol nf_defrag_ipv4_disable (err -2)"};
  auto out = h.run({}, 2);
  CHECK(out.exit_code == 1);
  CHECK(out.results.cycles.empty());
  REQUIRE(out.results.errors.size() == 1);
  CHECK(contains(out.results.errors[0],
                 "cycle 0 (plain, module nf_conntrack): loading nf_conntrack failed: No such file or directory (-2): a "
                 "dependency is missing, the kernel has no symbol nf_defrag_ipv4_disable"));
  CHECK_FALSE(contains(out.results.errors[0], "loading with"));  // said once

  ForeignHarness busy;
  busy.kernel.remove_error = -EBUSY;
  auto stuck = busy.run({}, 2);
  CHECK(stuck.exit_code == 1);
  REQUIRE(stuck.results.errors.size() == 1);
  CHECK(contains(stuck.results.errors[0], "unloading failed: Device or resource busy"));
}

TEST_CASE("a parameter the kernel ignores as unknown (a typo) fails the run") {
  ForeignHarness h;
  h.kernel.load_lines = {"fuse: unknown parameter 'max_user_bgreqq' ignored"};
  auto out = h.run({}, 2, {"max_user_bgreqq=3"});
  CHECK(out.exit_code == 1);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(contains(out.results.errors[0], "unknown parameter 'max_user_bgreqq' ignored"));
  CHECK_FALSE(h.kernel.loaded);

  FakeKernel ours;
  ours.kernel_ignores_unknown = true;
  std::atomic<bool> stop{false};
  RunEnvironment env{ours, ours, stop};
  RunConfig config;
  config.strategies = {StrategySpec{"barrier"}};
  config.callbacks = {10};
  config.cycles = 2;
  config.params = {"reder=2"};
  auto typo = run_cycles(config, env);
  CHECK(typo.exit_code == 1);
  REQUIRE(typo.results.errors.size() == 1);
  CHECK(contains(typo.results.errors[0], "rcu_unload: unknown parameter 'reder' ignored"));
  CHECK_FALSE(ours.loaded);
}

TEST_CASE("+expedite switches the expediter on for the removal only and records its counters") {
  ForeignHarness h;
  FakeExpediter e;
  h.env.expediter = &e;
  std::vector<bool> on_during_remove;
  h.kernel.on_remove = [&] {
    on_during_remove.push_back(e.active);
    if (e.active) {
      e.total.rounds += 7;
      e.total.kicks += 6;
      e.total.ipis += 6;
      e.total.busy_ns += 5000;
    }
  };
  auto out = h.run({"plain", "plain+expedite", "plain+expedite+knobs"}, 3);
  // +knobs needs the knobs: a run without them is refused before any load.
  CHECK(out.exit_code == 1);
  CHECK(h.kernel.inserts.empty());

  FakeSysfs sys{"5"};
  KnobFiles files = sys.files();
  h.env.knobs = &files;
  out = h.run({"plain", "plain+expedite", "plain+expedite+knobs"}, 6);
  CHECK(out.exit_code == 0);
  CHECK(out.results.errors.empty());
  REQUIRE(out.results.cycles.size() == 6);
  CHECK(on_during_remove == std::vector<bool>{false, true, true, false, true, true});
  CHECK_FALSE(e.active);
  CHECK(out.results.strategies == std::vector<std::string>{"plain", "plain+expedite", "plain+expedite+knobs"});
  CHECK(measured(out.results.cycles[0], "expedite_rounds") == ~std::uint64_t{0});
  CHECK(measured(out.results.cycles[1], "expedite_rounds") == 7);
  CHECK(measured(out.results.cycles[1], "expedite_ipis") == 6);
  CHECK(measured(out.results.cycles[4], "expedite_busy_ns") == 5000);
  CHECK(sys.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));

  ForeignHarness none;
  auto refused = none.run({"plain+expedite"}, 1);
  REQUIRE(refused.results.errors.size() == 1);
  CHECK(contains(refused.results.errors[0], "needs the resident expediter"));
}

TEST_CASE("the expedite suffix parses in any order and prints before the knobs") {
  CHECK(parse_strategy_spec("barrier+expedite")->expedite);
  CHECK(parse_strategy_spec("plain+knobs+expedite")->text() == "plain+expedite+knobs");
  CHECK(parse_strategy_spec("kick+expedite+fqs")->text() == "kick+expedite+fqs");
  CHECK_FALSE(parse_strategy_spec("plain+expedite+expedite"));
  CHECK_FALSE(parse_strategy_spec("plain+expedit"));
  CHECK(parse_strategy_spec("plain+expedited+expedite")->text() == "plain+expedite+expedited");
}

TEST_CASE("the expediter's stats line is parsed and differenced") {
  auto s = parse_expediter_stats("switched_on=3 timed_out=1 rounds=100 kicks=90 ipis=90 busy_ns=12345 on_ns=999\n");
  REQUIRE(s);
  CHECK(s->rounds == 100);
  CHECK(s->busy_ns == 12345);
  auto later = *s;
  later.rounds = 130;
  CHECK((later - *s).rounds == 30);
  CHECK_FALSE(parse_expediter_stats("rounds=1 kicks=2"));
}

TEST_CASE("a removal that outlasts the unload timeout is reported with the module's state and the remover's stack") {
  ForeignHarness h;
  h.kernel.on_remove = [] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); };
  h.env.remover_stack = [](long tid) { return fmt::format("[<0>] rcu_barrier+0x1a0 (tid {})", tid); };
  RunConfig config;
  config.strategies = {StrategySpec{"plain"}};
  config.callbacks = {0};
  config.cycles = 3;
  config.unload_timeout = std::chrono::milliseconds(50);
  auto out = run_cycles(config, h.env);
  CHECK(out.exit_code == 1);
  REQUIRE(out.results.errors.size() == 1);
  const auto& e = out.results.errors[0];
  CHECK(contains(e, "still running after the unload timeout of 50 ms"));
  CHECK(contains(e, "initstate going"));
  CHECK(contains(e, "rcu_barrier+0x1a0"));
  CHECK(out.results.cycles.size() == 1);  // the run stops after that cycle
  CHECK_FALSE(h.kernel.loaded);
}

TEST_CASE("knobs survive a harness that dies while they are set: the next start restores them") {
  FakeSysfs sys{"5"};
  TempDir state;
  const KnobFiles files(sys.files().where(""), state.path("knobs.state"));
  {
    auto guard = KnobGuard::apply(files, unload_knobs());
    REQUIRE(guard);
    CHECK(std::filesystem::exists(files.state_file()));
    CHECK(sys.get(kUnloadKnobs[0].path) == "1");
    // Killed: the guard's destructor never runs.
    alignas(KnobGuard) static unsigned char storage[sizeof(KnobGuard)];
    new (storage) KnobGuard(std::move(*guard));
  }
  CHECK(sys.get(kUnloadKnobs[0].path) == "1");
  // The next run must not take the changed values for the originals.
  auto refused = KnobGuard::apply(files, unload_knobs());
  REQUIRE_FALSE(refused);
  CHECK(contains(refused.error(), "state file"));
  auto recovered = recover_knobs(files);
  REQUIRE(recovered);
  REQUIRE(*recovered);
  CHECK(contains(**recovered, "restored"));
  CHECK(sys.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));
  CHECK_FALSE(std::filesystem::exists(files.state_file()));
  CHECK_FALSE(recover_knobs(files));

  // A clean run leaves no state file behind.
  {
    auto guard = KnobGuard::apply(files, unload_knobs());
    REQUIRE(guard);
    CHECK(guard->restore().empty());
  }
  CHECK_FALSE(std::filesystem::exists(files.state_file()));
  CHECK(sys.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));
}

TEST_CASE("a fault signal's handler writes the knobs back (async-signal-safe)") {
  FakeSysfs sys{"5"};
  const KnobFiles files(sys.files().where(""));
  auto guard = KnobGuard::apply(files, unload_knobs());
  REQUIRE(guard);
  CHECK(sys.get(kUnloadKnobs[1].path) == "0");
  run_emergency_actions();
  CHECK(sys.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));
}

TEST_CASE("guards alive together keep their own fault-handler slots") {
  FakeSysfs trace{"5"};
  FakeSysfs rcu{"6"};
  const KnobFiles trace_files(trace.files().where(""));
  const KnobFiles rcu_files(rcu.files().where(""));
  auto first = KnobGuard::apply(trace_files, unload_knobs());
  REQUIRE(first);
  SECTION("both alive: the handler writes both back") {
    auto second = KnobGuard::apply(rcu_files, unload_knobs());
    REQUIRE(second);
    CHECK(trace.get(kUnloadKnobs[1].path) == "0");
    CHECK(rcu.get(kUnloadKnobs[1].path) == "0");
    run_emergency_actions();  // before: the second guard's slots were the first's
    CHECK(trace.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));
    CHECK(rcu.all() == std::vector<std::string>(kUnloadKnobs.size(), "6"));
  }
  SECTION("the second restored: the first's slots stay armed") {
    {
      auto second = KnobGuard::apply(rcu_files, unload_knobs());
      REQUIRE(second);
    }
    CHECK(rcu.all() == std::vector<std::string>(kUnloadKnobs.size(), "6"));
    run_emergency_actions();  // before: the second's restore disarmed every slot
    CHECK(trace.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));
  }
  CHECK(first->restore().empty());
}

TEST_CASE("a guard refuses to change anything when the fault handler has no room left") {
  const int taken = emergency_claim(kExpediterSlot - 2);
  REQUIRE(taken >= 0);
  FakeSysfs sys{"5"};
  const KnobFiles files(sys.files().where(""));
  auto refused = KnobGuard::apply(files, unload_knobs());
  emergency_release(taken, kExpediterSlot - 2);
  REQUIRE_FALSE(refused);
  CHECK(contains(refused.error(), "no room"));
  CHECK(sys.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));
  auto guard = KnobGuard::apply(files, unload_knobs());  // the refused claim gave nothing away
  CHECK(guard);
}

TEST_CASE("two harnesses cannot run at once: the second fails to take the lock") {
  TempDir dir;
  auto first = RunLock::acquire(dir.path("lock"));
  REQUIRE(first);
  auto second = RunLock::acquire(dir.path("lock"));
  REQUIRE_FALSE(second);
  CHECK(contains(second.error(), "another rcu-unload run holds"));
  CHECK(contains(second.error(), std::to_string(getpid())));
}

TEST_CASE("every catchable terminating signal stops the run instead of killing the harness") {
  for (int sig : {SIGHUP, SIGALRM, SIGUSR1, SIGUSR2, SIGPIPE, SIGQUIT, SIGTERM, SIGINT}) signal(sig, SIG_DFL);
  const auto& stop = install_signal_handlers();
  for (int sig : {SIGHUP, SIGALRM, SIGUSR1, SIGUSR2, SIGPIPE, SIGQUIT, SIGTERM, SIGINT}) {
    const_cast<std::atomic<bool>&>(stop).store(false);
    raise(sig);  // without a handler, HUP/ALRM/USR1 ended the process here
    CHECK(stop.load());
    CHECK(stop_signal() == sig);
  }
  const_cast<std::atomic<bool>&>(stop).store(false);
  signal(SIGHUP, SIG_DFL);
}

TEST_CASE("the module_free event's time is read from the trace") {
  const std::string trace =
      "# tracer: nop\n"
      "           rmmod-95      [000] .....   12.000100: module_free: fuse_x\n"
      "           rmmod-96      [001] .....   12.345678: module_free: fuse\n";
  CHECK(module_free_ns(trace, "fuse") == 12'345'678'000u);
  CHECK(module_free_ns(trace, "fuse_x") == 12'000'100'000u);
  CHECK_FALSE(module_free_ns(trace, "overlay"));
}

TEST_CASE("the unload trace turns record-cmd and record-tgid off while it runs and puts all it changed back") {
  // record-cmd on would hook sched_switch and sched_wakeup along with module_free: the scheduler's
  // call sites patched under a running guest (the hang of docs/bench/2026-11-29-fuse-hang.md).
  TempDir tracefs("rcu_unload_tracefs"), state;
  const KnobFiles files({}, state.path("trace.state"), "tracefs file");
  const auto set = [&](const std::string& file, const std::string& value) {
    std::filesystem::create_directories(std::filesystem::path(tracefs.path(file)).parent_path());
    std::ofstream(tracefs.path(file)) << value;
  };
  // The first line: what a write left in a plain file (sysfs and tracefs writes do not truncate).
  const auto get = [&](const std::string& file) {
    const std::string text = read_text_file(tracefs.path(file)).value_or("<missing>");
    return std::string(trim(text.substr(0, text.find('\n'))));
  };
  set("trace", "");
  set("trace_clock", "[local] global counter uptime perf mono mono_raw boot\n");
  set("events/module/module_free/enable", "0\n");
  const std::string record_cmd = GENERATE("1", "0");
  CAPTURE(record_cmd);
  set("options/record-cmd", record_cmd + "\n");
  set("options/record-tgid", "1\n");
  const auto check_changed = [&] {
    CHECK(get("options/record-cmd") == "0");
    CHECK(get("options/record-tgid") == "0");
    CHECK(get("events/module/module_free/enable") == "1");
    CHECK(get("trace_clock") == "mono");
  };
  const auto check_original = [&] {
    CHECK(get("options/record-cmd") == record_cmd);
    CHECK(get("options/record-tgid") == "1");
    CHECK(get("events/module/module_free/enable") == "0");
    CHECK(get("trace_clock") == "local");
    CHECK_FALSE(std::filesystem::exists(files.state_file()));
  };
  SECTION("a run that ends") {
    {
      auto trace = UnloadTrace::open("fuse", files, tracefs.root);
      REQUIRE(trace);
      check_changed();
      CHECK(std::filesystem::exists(files.state_file()));
    }
    check_original();
  }
  SECTION("a harness killed meanwhile: the next start puts them back") {
    auto trace = UnloadTrace::open("fuse", files, tracefs.root);
    REQUIRE(trace);
    trace.release();  // its destructor never runs
    check_changed();
    auto recovered = recover_knobs(files);
    REQUIRE(recovered);
    REQUIRE(*recovered);
    CHECK(contains(**recovered, "a previous run died with tracefs files changed"));
    check_original();
  }
}

TEST_CASE("an exit record read while other lines were collected is still found") {
  // While delete_module still runs the exit record may already be logged; reading the hung-task
  // lines then must not drop it (the unload timeout's report did).
  RecordFilter filter;
  Record found;
  CHECK_FALSE(filter.consume("6,1,100,-;rcu_unload: exit v=1 tag=7 strategy=barrier total_ns=5\n", {}, 0, found));
  CHECK_FALSE(filter.consume("3,2,200,-;INFO: task rmmod:95 blocked for more than 120 seconds.\n", {}, 0, found));
  CHECK(filter.take_hung_task_lines() == std::vector<std::string>{"INFO: task rmmod:95 blocked for more than 120 seconds."});
  REQUIRE(filter.take_held("exit", 7, found));
  CHECK(found.u64("total_ns") == 5);
  CHECK_FALSE(filter.take_held("exit", 7, found));
}

TEST_CASE("a stuck thread's report has its state, wchan and stack") {
  TempDir proc;
  std::filesystem::create_directories(proc.path("42"));
  std::ofstream(proc.path("42/stat")) << "42 (rcu-unload) D 1 2 3\n";
  std::ofstream(proc.path("42/wchan")) << "kthread_stop";
  std::ofstream(proc.path("42/stack")) << "[<0>] kthread_stop+0x70/0x130\n";
  auto report = thread_report(42, proc.root);
  CHECK(contains(report, "state D"));
  CHECK(contains(report, "wchan kthread_stop"));
  CHECK(contains(report, "kthread_stop+0x70"));
}

TEST_CASE("a signal ignored at start stays ignored (nohup, a shell's background job)") {
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  install_signal_handlers();
  struct sigaction hup {}, term {};
  sigaction(SIGHUP, nullptr, &hup);
  sigaction(SIGTERM, nullptr, &term);
  CHECK(hup.sa_handler == SIG_IGN);
  CHECK(term.sa_handler != SIG_IGN);
  CHECK(term.sa_handler != SIG_DFL);
  signal(SIGHUP, SIG_DFL);
}

namespace {
// A state directory and a /sys with `name` loaded (initstate live), its tag parameter `tag`.
struct LeftLoaded {
  TempDir state{"rcu_unload_state"};
  TempDir sys{"rcu_unload_sys"};
  std::vector<std::string> removed;
  int remove_rc = 0;
  LeftLoaded() { ::setenv("RCU_UNLOAD_STATE_DIR", state.root.c_str(), 1); }
  ~LeftLoaded() { ::unsetenv("RCU_UNLOAD_STATE_DIR"); }
  void loaded(const std::string& name, const std::string& tag) const {
    const auto dir = sys.root + "/sys/module/" + name;
    std::filesystem::create_directories(dir + "/parameters");
    std::ofstream(dir + "/initstate") << "live\n";
    if (!tag.empty()) std::ofstream(dir + "/parameters/tag") << tag << "\n";
  }
  Result<std::vector<std::string>> recover() {
    return recover_modules([this](const std::string& name) { removed.push_back(name); return remove_rc; }, sys.root);
  }
  bool state_file(const std::string& name) const {
    return std::filesystem::exists(state.root + "/module-" + name + ".state");
  }
};
}  // namespace

TEST_CASE("a module a dead harness left loaded is unloaded at the next start, once") {
  LeftLoaded left;
  note_module_loading("rcu_unload", "callbacks=1000 tag=5 strategy=kick");
  note_module_loading("rcu_unload_expediter", "");
  left.loaded("rcu_unload", "5");
  left.loaded("rcu_unload_expediter", "");
  auto notes = left.recover();
  REQUIRE(notes);
  CHECK(notes->size() == 2);
  std::sort(left.removed.begin(), left.removed.end());
  CHECK(left.removed == std::vector<std::string>{"rcu_unload", "rcu_unload_expediter"});
  CHECK_FALSE(left.state_file("rcu_unload"));
  CHECK_FALSE(left.state_file("rcu_unload_expediter"));
  left.removed.clear();
  auto again = left.recover();
  REQUIRE(again);
  CHECK(again->empty());
  CHECK(left.removed.empty());
}

TEST_CASE("a state file is dropped without an unload when the module is gone or was loaded again by someone else") {
  LeftLoaded left;
  note_module_loading("fuse", "");  // not loaded any more
  note_module_loading("rcu_unload", "callbacks=1000 tag=5");
  left.loaded("rcu_unload", "9");  // a later load, not the dead run's
  auto notes = left.recover();
  REQUIRE(notes);
  REQUIRE(notes->size() == 1);
  CHECK(contains(notes->front(), "left alone"));
  CHECK(left.removed.empty());
  CHECK_FALSE(left.state_file("fuse"));
  CHECK_FALSE(left.state_file("rcu_unload"));
}

TEST_CASE("a left-over module that cannot be unloaded fails the start and keeps its state file") {
  LeftLoaded left;
  note_module_loading("rcu_unload", "tag=5");
  left.loaded("rcu_unload", "5");
  left.remove_rc = -EBUSY;
  auto notes = left.recover();
  REQUIRE_FALSE(notes);
  CHECK(contains(notes.error(), "Device or resource busy"));
  CHECK(left.state_file("rcu_unload"));
}

TEST_CASE("the runner names the module in the state directory while it is loaded, outside the timed calls") {
  ForeignHarness h;
  std::vector<std::string> events;
  h.env.before_load = [&](const std::string& options) { events.push_back("load " + options + (h.kernel.loaded ? " (loaded!)" : "")); };
  h.env.after_gone = [&] { events.push_back(h.kernel.loaded ? "gone (loaded!)" : "gone"); };
  auto out = h.run({}, 2, {"max_user_bgreq=10"});
  CHECK(out.exit_code == 0);
  CHECK(events == std::vector<std::string>{"load max_user_bgreq=10", "gone", "load max_user_bgreq=10", "gone"});
  CHECK(measured(out.results.cycles[0], "load_ns") == 1000);  // no clock reading went to the notes
}
