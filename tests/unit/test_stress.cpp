#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "fakes.hpp"
#include "rcu_unload/options.hpp"
#include "rcu_unload/stress.hpp"

using namespace rcu_unload;

namespace {

// A tree-RCU kernel as its probes describe it: rcu with the kick, srcu and tasks with less.
StressChoices tree_kernel(std::vector<unsigned> cpus = {1}) {
  StressChoices c;
  c.flavors = {{"rcu", test::specs({"auto", "barrier", "sync-exp", "force-qs", "force-qs-own", "boost", "kick"})},
               {"srcu", test::specs({"auto", "barrier", "force-qs", "boost"})},
               {"tasks", test::specs({"auto", "barrier"})}};
  c.knobs = true;
  c.hotplug_cpus = std::move(cpus);
  return c;
}

StressPlan plan(std::uint64_t seed, unsigned cycle, const StressChoices& choices = tree_kernel()) {
  auto p = plan_stress_cycle(seed, cycle, choices);
  REQUIRE(p);
  return *p;
}

bool same(const StressPlan& a, const StressPlan& b) {
  return a.cycle == b.cycle && a.flavor == b.flavor && a.strategy == b.strategy && a.callbacks == b.callbacks &&
         a.readers == b.readers && a.reader_hold_us == b.reader_hold_us && a.churn == b.churn &&
         a.delay_us == b.delay_us && a.offline_cpu == b.offline_cpu;
}

}  // namespace

TEST_CASE("a stress cycle is drawn from the seed and its index alone", "[stress]") {
  // The same cycle alone, or after others, or out of order: the same plan.
  const auto alone = plan(42, 1234);
  for (unsigned k = 0; k < 50; ++k) plan(42, k);
  CHECK(same(plan(42, 1234), alone));
  CHECK(alone.cycle == 1234);
  // A fixed value pins the generator: a change to the draws would make old seeds replay other cycles.
  CHECK(plan(1, 0).describe() == plan(1, 0).describe());
  // Other seeds and other indexes differ (in something, for most of them).
  unsigned differ = 0;
  for (unsigned k = 0; k < 100; ++k) differ += !same(plan(42, k), plan(43, k));
  CHECK(differ >= 95);
  unsigned distinct_neighbours = 0;
  for (unsigned k = 0; k < 100; ++k) distinct_neighbours += !same(plan(42, k), plan(42, k + 1)) ? 1 : 0;
  CHECK(distinct_neighbours >= 95);
}

TEST_CASE("a cycle without hotplug or knobs draws the same otherwise", "[stress]") {
  auto without = tree_kernel({});
  without.knobs = false;
  for (unsigned k = 0; k < 500; ++k) {
    auto a = plan(9, k), b = plan(9, k, without);
    CHECK(a.flavor == b.flavor);
    CHECK(a.strategy.name == b.strategy.name);
    CHECK(a.callbacks == b.callbacks);
    CHECK(a.delay_us == b.delay_us);
    CHECK_FALSE(b.offline_cpu);
    CHECK(b.strategy.knobs == 0);
  }
}

TEST_CASE("stress draws stay in their ranges and never unsafe-none", "[stress]") {
  const auto choices = tree_kernel({1, 3});
  std::map<std::string, std::set<std::string>> allowed;
  for (const auto& f : choices.flavors)
    for (const auto& s : f.strategies) allowed[f.name].insert(s.name);
  for (std::uint64_t seed : {0ULL, 1ULL, 0xFFFFFFFFFFFFFFFFULL})
    for (unsigned k = 0; k < 3000; ++k) {
      const auto p = plan(seed, k, choices);
      CHECK(p.strategy.name != kUnsafeStrategy);
      CHECK(allowed[p.flavor].count(p.strategy.name) == 1);
      CHECK(p.callbacks <= kMaxCallbacks);
      CHECK(p.readers <= kStressMaxReaders);
      CHECK(p.reader_hold_us <= kStressMaxReaderHoldUs);
      CHECK(p.churn <= kStressMaxChurn);
      CHECK(p.delay_us <= kStressMaxDelayUs);
      CHECK((p.strategy.knobs == 0 || p.strategy.knobs == kAllKnobs));
      if (p.offline_cpu) CHECK((*p.offline_cpu == 1 || *p.offline_cpu == 3));
      CHECK(p.params() == std::vector<std::string>{"flavor=" + p.flavor, fmt::format("readers={}", p.readers),
                                                   fmt::format("reader_hold_us={}", p.reader_hold_us),
                                                   fmt::format("churn={}", p.churn)});
    }
}

TEST_CASE("stress draws are spread as documented", "[stress]") {
  const unsigned n = 12000;
  unsigned small = 0, large = 0, zero = 0, top_decade = 0, knobs = 0, offline = 0;
  std::map<std::string, unsigned> flavors;
  std::map<unsigned, unsigned> readers, churn;
  std::uint64_t delay_sum = 0;
  for (unsigned k = 0; k < n; ++k) {
    const auto p = plan(2026, k);
    small += p.callbacks < 1000;
    large += p.callbacks >= 100000;
    zero += p.callbacks == 0;
    top_decade += p.callbacks == kMaxCallbacks;
    knobs += p.strategy.knobs != 0;
    offline += p.offline_cpu.has_value();
    ++flavors[p.flavor];
    ++readers[p.readers];
    ++churn[p.churn];
    delay_sum += p.delay_us;
  }
  // Log-uniform by decade: half below 1000, a sixth from 100000 up; 0 and the maximum both occur.
  CHECK(small == Approx(n / 2).epsilon(0.05));
  CHECK(large == Approx(n / 6).epsilon(0.1));
  CHECK(zero > 0);
  CHECK(zero < n / 20);
  // Uniform choices: each flavor a third, each readers and churn value about equally often.
  for (const auto& [name, count] : flavors) CHECK(count == Approx(n / 3).epsilon(0.1));
  CHECK(readers.size() == kStressMaxReaders + 1);
  for (const auto& [value, count] : readers) CHECK(count == Approx(n / (kStressMaxReaders + 1)).epsilon(0.1));
  CHECK(churn.size() == kStressMaxChurn + 1);
  CHECK(static_cast<double>(delay_sum) / n == Approx(kStressMaxDelayUs / 2.0).epsilon(0.05));
  // Hotplug one cycle in 16, +knobs one in 8, each whatever the other drew.
  CHECK(offline == Approx(n / kStressHotplugOneIn).epsilon(0.15));
  CHECK(knobs == Approx(n / kStressKnobsOneIn).epsilon(0.15));
}

TEST_CASE("a lower callbacks maximum draws fewer decades and nothing else differently", "[stress]") {
  auto capped = tree_kernel();
  capped.max_callbacks = 10000;
  unsigned small = 0, top = 0;
  const unsigned n = 8000;
  for (unsigned k = 0; k < n; ++k) {
    const auto a = plan(3, k), b = plan(3, k, capped);
    CHECK(b.callbacks <= 10000);
    CHECK(a.strategy == b.strategy);
    CHECK(a.delay_us == b.delay_us);
    CHECK(a.offline_cpu == b.offline_cpu);
    small += b.callbacks < 100;
    top += b.callbacks >= 1000;
  }
  CHECK(small == Approx(n / 2).epsilon(0.06));  // 4 decades: 0..9, 10..99, 100..999, 1000..10000
  CHECK(top == Approx(n / 4).epsilon(0.1));
  capped.max_callbacks = 3;
  for (unsigned k = 0; k < 200; ++k) CHECK(plan(3, k, capped).callbacks <= 3);
}

TEST_CASE("a stress plan needs a flavor with strategies", "[stress]") {
  CHECK_FALSE(plan_stress_cycle(1, 0, StressChoices{}));
  StressChoices empty;
  empty.flavors = {{"rcu", {}}};
  CHECK_FALSE(plan_stress_cycle(1, 0, empty));
}

TEST_CASE("splats are told from ordinary kernel lines", "[stress]") {
  using namespace std::string_literals;
  const std::map<std::string, std::string> splats = {
      {"WARNING: CPU: 1 PID: 77 at kernel/rcu/tree.c:2812 rcu_core+0x1/0x2", "WARNING"},
      {"BUG: unable to handle page fault for address: ffffffffc0a01000", "BUG"},
      {"BUG: KASAN: slab-use-after-free in rcu_unload_cb+0x12/0x40 [rcu_unload]", "BUG"},
      {"==================================================================", ""},
      {"KASAN: maybe wild-memory-access in range", "KASAN"},
      {"UBSAN: shift-out-of-bounds in kmod/core.cpp:12:3", "UBSAN"},
      {"WARNING: possible circular locking dependency detected", "WARNING"},
      {"possible circular locking dependency detected", "lockdep"},
      {"suspicious RCU usage.", "RCU usage"},
      {"rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall"},
      {"INFO: rcu_tasks detected stalls on tasks:", "RCU stall"},
      {"Oops: 0000 [#1] PREEMPT SMP KASAN", "Oops"},
      {"general protection fault, probably for non-canonical address 0xdffffc0000000000", "general protection"},
      {"rcu_unload: exit v=1 tag=17 flavor=rcu strategy=kick picked=kick", ""},
      {"smpboot: CPU 1 is now offline", ""},
      {"rcu_unload: loading out-of-tree module taints kernel.", ""},
      {"rcu: Hierarchical RCU implementation.", ""},
      {"x86: Booting SMP configuration:", ""},
  };
  for (const auto& [line, kind] : splats) {
    INFO(line);
    auto found = splat_kind(line);
    if (kind.empty()) {
      CHECK_FALSE(found);
    } else {
      REQUIRE(found);
      CHECK(std::string(*found) == kind);
    }
  }
}

TEST_CASE("meminfo's Slab and Percpu are read in kB", "[stress]") {
  const std::string meminfo =
      "MemTotal:        1004164 kB\nSlab:              41236 kB\nSReclaimable:      10888 kB\n"
      "Percpu:             1344 kB\nHugePages_Total:       0\n";
  auto m = parse_meminfo(meminfo);
  REQUIRE(m);
  CHECK(m->slab_kb == 41236);
  CHECK(m->percpu_kb == 1344);
  CHECK_FALSE(parse_meminfo("MemTotal: 1 kB\nSlab: 2 kB\n"));  // no Percpu
  CHECK_FALSE(parse_meminfo("Slab: lots kB\nPercpu: 1 kB\n"));
}

TEST_CASE("memory growth is a leak only beyond the noise", "[stress]") {
  const MemorySnapshot before{40000, 1000};
  // Slab may grow by 4096 kB + 5% of 40000 = 6096 kB, Percpu by 512 kB.
  auto v = judge_memory(before, {46096, 1512});
  CHECK(v.slab_growth_kb == 6096);
  CHECK(v.percpu_growth_kb == 512);
  CHECK_FALSE(v.slab_leak);
  CHECK_FALSE(v.percpu_leak);
  v = judge_memory(before, {46097, 1513});
  CHECK(v.slab_leak);
  CHECK(v.percpu_leak);
  v = judge_memory(before, {30000, 900});  // shrinking is never a leak
  CHECK(v.slab_growth_kb == -10000);
  CHECK(v.percpu_growth_kb == -100);
  CHECK_FALSE(v.slab_leak);
  CHECK_FALSE(v.percpu_leak);
}

TEST_CASE("kmemleak's reports are counted, and those naming the module", "[stress]") {
  const std::string report =
      "unreferenced object 0xffff888003a1c000 (size 64):\n"
      "  comm \"insmod\", pid 88, jiffies 4294901234\n"
      "  backtrace:\n"
      "    [<000000001>] kmalloc_trace+0x26/0x90\n"
      "    [<000000002>] rcu_unload_enqueue+0x41/0x120 [rcu_unload]\n"
      "unreferenced object 0xffff888003a1d000 (size 32):\n"
      "  comm \"swapper/0\", pid 1, jiffies 4294890000\n"
      "  backtrace:\n"
      "    [<000000003>] __kmalloc+0x1/0x2\n"
      "unreferenced object 0xffff888003a1e000 (size 64):\n"
      "    [<000000004>] 0xffffffffc0a01234\n"
      "    [<000000005>] rcu_unload_init+0x10/0x20 [rcu_unload]\n";
  auto c = count_kmemleak(report);
  CHECK(c.total == 3);
  CHECK(c.ours == 2);
  c = count_kmemleak("");
  CHECK(c.total == 0);
  CHECK(c.ours == 0);
}

TEST_CASE("the stress summary adds up cycles, callbacks and the worst syscall", "[stress]") {
  StressTally t;
  CHECK(t.line(0) ==
        "rcu-unload stress: 0 cycles in 0:00 | callbacks 0 enqueued, 0 invoked | worst syscall 0.0 ms | 0 with a CPU offline | splats 0");
  Cycle a;
  a.cycle = 5;
  a.exit.enqueued = 1000;
  a.exit.invoked = 1000;
  a.syscall_ns = 41'000'000;
  Cycle b = a;
  b.cycle = 6;
  b.exit.enqueued = 7;
  b.exit.invoked = 6;
  b.syscall_ns = 812'340'000;
  b.measured = {{"stress_offline_cpu", 1}};
  Cycle c = a;
  c.cycle = 7;
  c.syscall_ns = 812'340'000;  // a tie keeps the first
  t.add(a);
  t.add(b);
  t.add(c);
  t.splats = 1;
  CHECK(t.cycles == 3);
  CHECK(t.enqueued == 2007);
  CHECK(t.invoked == 2006);
  CHECK(t.worst_cycle == 6);
  CHECK(t.offlined == 1);
  CHECK(t.line(125'000'000'000) ==
        "rcu-unload stress: 3 cycles in 2:05 | callbacks 2007 enqueued, 2006 invoked | worst syscall 812.3 ms (cycle 6) | 1 "
        "with a CPU offline | splats 1");
}

TEST_CASE("durations take seconds, minutes or hours", "[stress]") {
  CHECK(parse_duration("90") == std::chrono::seconds(90));
  CHECK(parse_duration("90s") == std::chrono::seconds(90));
  CHECK(parse_duration("30m") == std::chrono::seconds(1800));
  CHECK(parse_duration("2h") == std::chrono::seconds(7200));
  for (const char* bad : {"", "0", "0s", "s", "-5", "1.5h", "10d", "m30", " 10", "99999999999999h"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("the replay command names the seed, the cycle and what changes the draws", "[stress]") {
  StressConfig config;
  config.seed = 77;
  config.module = "/rcu_unload.ko";
  CHECK(stress_replay_command(config, 1234) == "rcu-unload stress --seed 77 --from-cycle 1234 --cycles 1 --module /rcu_unload.ko");
  config.hotplug = false;
  CHECK(stress_replay_command(config, 0) ==
        "rcu-unload stress --seed 77 --from-cycle 0 --cycles 1 --module /rcu_unload.ko --no-hotplug");
  config.max_callbacks = 10000;
  CHECK(stress_replay_command(config, 0) ==
        "rcu-unload stress --seed 77 --from-cycle 0 --cycles 1 --module /rcu_unload.ko --no-hotplug --max-callbacks 10000");
}

namespace {

ParsedOptions parse_stress(std::vector<std::string> args) {
  args.insert(args.begin(), {"rcu-unload", "stress"});
  return parse_options(args);
}

}  // namespace

TEST_CASE("stress options", "[stress]") {
  const std::string module = "/proc/self/status";  // any existing file stands in for the module
  auto p = parse_stress({"--seed", "18446744073709551615", "--cycles", "300", "--module", module, "--json", "s.json",
                         "--from-cycle", "7", "--no-hotplug"});
  INFO(p.output);
  REQUIRE(p.command);
  auto o = std::get<StressOptions>(*p.command);
  CHECK(o.config.seed == 18446744073709551615ULL);
  CHECK(o.config.cycles == 300u);
  CHECK_FALSE(o.config.duration);
  CHECK(o.config.from_cycle == 7);
  CHECK_FALSE(o.config.hotplug);
  CHECK(o.config.module == module);
  CHECK(o.json == "s.json");

  p = parse_stress({"--seed", "1", "--duration", "30m"});
  REQUIRE(p.command);
  o = std::get<StressOptions>(*p.command);
  CHECK(o.config.duration == std::chrono::seconds(1800));
  CHECK_FALSE(o.config.cycles);
  CHECK(o.config.hotplug);
  CHECK(o.config.from_cycle == 0);
  CHECK(o.config.module == kStressDefaultModule);
  CHECK(o.config.max_callbacks == kMaxCallbacks);
  CHECK(parse_stress({"--seed", "1", "--cycles", "2", "--max-callbacks", "10000"}).command);

  auto rejects = [](std::vector<std::string> args, const std::string& needle) {
    auto r = parse_stress(args);
    INFO(r.output);
    CHECK_FALSE(r.command);
    CHECK(r.exit_code == kExitUsage);
    CHECK(r.output.find(needle) != std::string::npos);
  };
  rejects({"--cycles", "5"}, "--seed");
  rejects({"--seed", "1"}, "--cycles N or --duration T");
  rejects({"--seed", "1", "--cycles", "5", "--duration", "10"}, "excludes");
  rejects({"--seed", "1", "--cycles", "0"}, "--cycles");
  rejects({"--seed", "1", "--cycles", "5", "--max-callbacks", "0"}, "--max-callbacks");
  rejects({"--seed", "1", "--cycles", "5", "--max-callbacks", "1000001"}, "--max-callbacks");
  rejects({"--seed", "-1", "--cycles", "5"}, "--seed");
  rejects({"--seed", "x", "--cycles", "5"}, "--seed");
  rejects({"--seed", "1", "--duration", "10d"}, "not a duration");
  rejects({"--seed", "1", "--cycles", "5", "--module", "/nonexistent/rcu_unload.ko"}, "/nonexistent/rcu_unload.ko");
  rejects({"--seed", "1", "--from-cycle", "4294967295", "--cycles", "1"}, "--from-cycle");
  rejects({"--seed", "1", "--from-cycle", "4294967290", "--cycles", "7"}, "beyond the last cycle");
}

namespace {

// run_stress against the fake kernel, a fake sysfs with cpu1's online file and the knobs, and
// scripted memory readings and kernel lines; what it prints is kept.
struct StressHarness {
  test::FakeKernel kernel;
  std::atomic<bool> stop{false};
  std::uint64_t clock = 0;
  RunEnvironment env{kernel, kernel, stop};
  test::FakeSysfs sys{"5"};
  KnobFiles knobs = sys.files();
  KnobFiles cpus{sys.path(""), sys.path("/hotplug.state")};
  std::vector<MemorySnapshot> memory{{40000, 1000}, {40100, 1000}};
  std::size_t memory_reads = 0;
  std::map<unsigned, std::string> splat_at;  // kernel_lines call -> a line it returns
  unsigned line_calls = 0;
  std::vector<std::string> cpu1_seen;         // cpu1's online file as each cycle's load saw it
  std::FILE* out = std::tmpfile();
  StressSystem system;

  StressHarness() {
    sys.set(cpu_online_path(1), "1");
    env.now_ns = [this] { return clock += 1'000'000; };
    env.taint = []() -> std::optional<std::uint64_t> { return 12288; };
    env.knobs = &knobs;
    kernel.on_remove = [this] { cpu1_seen.push_back(sys.get(cpu_online_path(1))); };
    system.memory = [this] { return memory.at(std::min(memory_reads++, memory.size() - 1)); };
    system.kernel_lines = [this] {
      auto it = splat_at.find(line_calls++);
      return it == splat_at.end() ? std::vector<std::string>{"smpboot: CPU 1 is now offline"}
                                  : std::vector<std::string>{it->second};
    };
    system.hotplug_cpus = [] { return std::vector<unsigned>{1}; };
    system.cpu_files = &cpus;
    system.out = out;
  }
  ~StressHarness() { std::fclose(out); }

  StressOutcome run(unsigned from, unsigned cycles, std::uint64_t seed = 5) {
    StressConfig config;
    config.seed = seed;
    config.from_cycle = from;
    config.cycles = cycles;
    config.module = "/rcu_unload.ko";
    return run_stress(config, env, system);
  }

  std::string printed() const {
    std::rewind(out);
    std::string text;
    for (int c; (c = std::fgetc(out)) != EOF;) text += static_cast<char>(c);
    return text;
  }
};

}  // namespace

TEST_CASE("a clean stress run draws every cycle from its index, restores the CPU and checks memory", "[stress]") {
  StressHarness h;
  auto o = h.run(100, 60);
  INFO(h.printed());
  CHECK(o.exit_code == 0);
  REQUIRE(o.results.cycles.size() == 60);
  CHECK(o.tally.cycles == 60);
  CHECK(o.tally.enqueued == o.tally.invoked);
  StressChoices choices;  // what the fake's probes say: every flavor, its applies= without unsafe-none
  for (auto flavor : kFlavors)
    choices.flavors.push_back({std::string(flavor), test::specs({"auto", "barrier", "sync-exp", "force-qs", "force-qs-own", "boost", "kick"})});
  choices.knobs = true;
  choices.hotplug_cpus = {1};
  for (unsigned i = 0; i < 60; ++i) {
    const auto& c = o.results.cycles[i];
    const auto p = plan(5, 100 + i, choices);
    CHECK(c.cycle == 100 + i);
    CHECK(c.tag == 116 + i);
    CHECK(c.strategy == p.strategy.text());
    CHECK(c.callbacks == p.callbacks);
    CHECK(h.cpu1_seen.at(3 + i) == (p.offline_cpu ? "0" : "1"));  // after the 3 probes' removals
  }
  CHECK(o.tally.offlined > 0);
  CHECK(h.sys.get(cpu_online_path(1)) == "1");
  CHECK_FALSE(std::filesystem::exists(h.sys.path("/hotplug.state")));
  CHECK(h.sys.all() == std::vector<std::string>(kUnloadKnobs.size(), "5"));  // +knobs cycles put them back
  CHECK(h.printed().find("rcu-unload stress: 60 cycles in") != std::string::npos);
  CHECK(h.printed().find("memory: Slab 40000 -> 40100 kB (+100), Percpu 1000 -> 1000 kB (+0)") != std::string::npos);
  CHECK(h.printed().find("kmemleak: not in this kernel") != std::string::npos);
}

TEST_CASE("stress stops at the first lost callback and prints the replay command", "[stress]") {
  StressHarness h;
  h.kernel.lose[16 + 7] = 3;
  auto o = h.run(0, 50);
  CHECK(o.exit_code == kExitFailure);
  CHECK(o.results.cycles.size() == 8);  // cycles 0..7, the lost one recorded
  CHECK(o.tally.enqueued == o.tally.invoked + 3);
  const auto text = h.printed();
  INFO(text);
  CHECK(text.find("FAILED at cycle 7 of seed 5") != std::string::npos);
  CHECK(text.find("lost-callbacks") != std::string::npos);
  CHECK(text.find("replay it: rcu-unload stress --seed 5 --from-cycle 7 --cycles 1 --module /rcu_unload.ko") != std::string::npos);
  CHECK(h.sys.get(cpu_online_path(1)) == "1");
  CHECK_FALSE(h.kernel.loaded);
}

TEST_CASE("stress stops at a kernel splat, and fails on memory growth beyond noise", "[stress]") {
  StressHarness h;
  h.splat_at[4] = "WARNING: CPU: 0 PID: 12 at kernel/rcu/tree.c:1 rcu_core";  // after cycle 3 (call 0 is at start)
  auto o = h.run(0, 50);
  CHECK(o.exit_code == kExitFailure);
  CHECK(o.results.cycles.size() == 4);
  CHECK(o.tally.splats == 1);
  CHECK(h.printed().find("FAILED at cycle 3 of seed 5:\n  kernel splat (WARNING): WARNING: CPU: 0") != std::string::npos);

  StressHarness leaky;
  leaky.memory = {{40000, 1000}, {50000, 1000}};
  o = leaky.run(0, 5);
  CHECK(o.exit_code == kExitFailure);
  CHECK(o.results.cycles.size() == 5);
  CHECK(leaky.printed().find("LEAK: Slab grew by 10000 kB") != std::string::npos);
}

TEST_CASE("a stop signal ends stress after the current cycle with 130", "[stress]") {
  StressHarness h;
  unsigned removals = 0;
  h.kernel.on_remove = [&] {
    if (++removals == 6) h.stop = true;  // during cycle 2 (after the 3 probes)
  };
  auto o = h.run(0, 50);
  CHECK(o.exit_code == kExitInterrupted);
  CHECK(o.results.interrupted);
  CHECK(o.results.cycles.size() == 3);
  CHECK(h.sys.get(cpu_online_path(1)) == "1");
}
