#include "rcu_unload/commands.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include <fcntl.h>

#include "rcu_unload/expediter.hpp"
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "rcu_unload/environment.hpp"
#include "rcu_unload/kmsg_reader.hpp"
#include "rcu_unload/outputs.hpp"
#include "rcu_unload/progress.hpp"
#include "rcu_unload/lifecycle.hpp"
#include "rcu_unload/matrix.hpp"
#include "rcu_unload/module_loader.hpp"
#include "rcu_unload/report.hpp"
#include "rcu_unload/runner.hpp"
#include "rcu_unload/stress.hpp"
#include "rcu_unload/system_info.hpp"
#include "rcu_unload/text.hpp"
#include "rcu_unload/unload_trace.hpp"
#include "rcu_unload/verify.hpp"

namespace rcu_unload {

namespace {

static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

int fail(const std::string& message) {
  fmt::print(stderr, "rcu-unload: {}\n", message);
  return kExitFailure;
}

}  // namespace

// Every catchable signal (lifecycle.hpp): terminating ones stop the run after the current cycle.
const std::atomic<bool>& stop_on_signals() { return install_signal_handlers(); }

namespace {

// What a command that loads modules holds while it runs.
struct Started {
  RunLock lock;
  std::optional<ResultsJournal> journal;
};

// The state files of what a run changes (lifecycle.hpp): the RCU knobs' original values, the CPUs'
// online files (stress takes a CPU offline), and the tracefs settings of a foreign module's run.
KnobFiles knob_files() { return KnobFiles({}, state_dir() + "/knobs.state"); }
KnobFiles hotplug_files() { return KnobFiles({}, state_dir() + "/hotplug.state", "CPU online file"); }
KnobFiles trace_files() { return KnobFiles({}, state_dir() + "/trace.state", "tracefs file"); }

// One harness at a time, and everything a dead one left changed put back, whichever command it
// was: the values of every state file, then every module it left loaded unloaded
// (recover_modules).
Result<RunLock> lock_and_recover() {
  auto lock = RunLock::acquire(state_dir() + "/lock");
  if (!lock) return error(lock.error());
  for (const KnobFiles& files : {knob_files(), hotplug_files(), trace_files()})
    if (auto recovered = recover_knobs(files)) {
      if (!*recovered) return error(recovered->error());
      fmt::print(stderr, "rcu-unload: {}\n", **recovered);
    }
  auto modules = recover_modules(delete_module_by_name);
  if (!modules) return error(modules.error());
  for (const auto& note : *modules) fmt::print(stderr, "rcu-unload: {}\n", note);
  return lock;
}

// The module a run loads is named in a state file while it is loaded, for lock_and_recover() after
// a harness that died.
void note_module_in_state_dir(RunEnvironment& env, const std::string& name) {
  env.before_load = [name](const std::string& options) { note_module_loading(name, options); };
  env.after_gone = [name] { note_module_gone(name); };
}

// lock_and_recover(), then the results path checked and an older file there removed, before anything
// is loaded (and after the lock: a second harness must not touch the first one's files); the
// cycles then go to its journal as they end (outputs.hpp), so a harness that dies keeps them.
Result<Started> start_loading(const std::string& json) {
  auto lock = lock_and_recover();
  if (!lock) return error(lock.error());
  Started started{std::move(*lock), std::nullopt};
  if (!json.empty()) {
    auto opened = ResultsJournal::open(json);
    if (!opened) return error(opened.error());
    started.journal.emplace(std::move(*opened));
  }
  return started;
}

// The results' environment: what `env` shows, with the time and the module file's srcversion.
Facts environment_before(const std::string& module) {
  Facts environment = read_environment();
  environment.insert(environment.begin(), {"timestamp", utc_timestamp()});
  if (auto srcversion = module_srcversion(module); !srcversion.empty())
    environment.emplace_back("module_srcversion", srcversion);
  return environment;
}

// The kernel, its command line and the online CPUs, as the results record them.
void add_system_info(Results& r) {
  const auto info = read_system_info();
  r.kernel = info.kernel;
  r.cmdline = info.cmdline;
  r.cpus = info.cpus;
}

// A module the run left loaded is removed, and the run fails.
void unload_left_over(ModuleBackend& module, RunOutcome& outcome, bool loaded) {
  if (!loaded) return;
  const int rc = module.remove();
  outcome.results.errors.push_back(fmt::format("the module was still loaded after the run; {}",
                                               rc < 0 ? module.explain_remove_failure(rc) : "unloading it succeeded"));
  outcome.exit_code = kExitFailure;
}

}  // namespace

int run_command(const RunOptions& o) {
  // --- module lifecycle (issues 11, 13): one harness at a time, knobs a dead run left changed put
  // back, the module resolved by path or name, the expediter for +expedite, unload phases ---
  const auto& stop = stop_on_signals();
  const KnobFiles sysfs = knob_files();
  auto started = start_loading(o.json);
  if (!started) return fail(started.error());
  auto& journal = started->journal;
  // The environment as it was before the run (knobs a dead run left changed already put back).
  Facts environment = environment_before(o.module);
  auto loader = ModuleLoader::open(o.module);
  if (!loader) return fail(loader.error());
  auto reader = KmsgReader::open();
  if (!reader) return fail(reader.error());

  RunEnvironment env{**loader, **reader, stop};
  note_module_in_state_dir(env, (*loader)->name());
  std::unique_ptr<ResidentExpediter> expediter;
  if (std::any_of(o.config.strategies.begin(), o.config.strategies.end(),
                  [](const StrategySpec& s) { return s.expedite; })) {
    std::vector<std::string> notes;
    auto loaded = ResidentExpediter::load(o.expediter.empty() ? default_expediter_path(o.module) : o.expediter, notes);
    for (const auto& n : notes) fmt::print(stderr, "rcu-unload: {}\n", n);
    if (!loaded) return fail(loaded.error());
    expediter = std::move(*loaded);
    env.expediter = &expediter->control();
  }
  std::unique_ptr<UnloadTrace> trace = UnloadTrace::open((*loader)->name(), trace_files());
  if (trace) env.unload_phases = [&](std::uint64_t start, std::uint64_t end) { return trace->phases(start, end); };
  env.remover_stack = [](long tid) { return thread_report(tid); };
  // --- end module lifecycle ---
  env.knobs = &sysfs;
  env.taint = [] { return read_taint(); };
  Progress progress(stderr, isatty(STDERR_FILENO) != 0, o.verbosity, monotonic_ns);
  std::optional<std::string> journal_problem;
  env.on_start = [&](unsigned total, const Results& r) {
    progress.start(total);
    if (!journal) return;
    Results head = r;
    add_system_info(head);
    head.environment = environment;
    journal_problem = journal->header(head);
  };
  env.on_cycle = [&](const Cycle& c) {
    progress.cycle(c);
    if (journal && !journal_problem) journal_problem = journal->cycle(c);
  };
  auto outcome = run_cycles(o.config, env);
  progress.finish();
  outcome.results.environment = environment;
  if (journal_problem) outcome.results.warnings.push_back(*journal_problem);
  if (expediter)
    if (auto problem = expediter->unload()) {
      outcome.results.errors.push_back(*problem);
      outcome.exit_code = kExitFailure;
    }
  unload_left_over(**loader, outcome, (*loader)->loaded());

  add_system_info(outcome.results);

  if (!outcome.results.cycles.empty()) if (o.verbosity != Verbosity::quiet) fmt::print("{}", format_report(outcome.results, false));  // no all-zero table
  std::fflush(stdout);
  if (journal)
    if (auto problem = journal->finish(outcome.results)) return fail(*problem);
  for (const auto& w : outcome.results.warnings) fmt::print(stderr, "rcu-unload: warning: {}\n", w);
  for (const auto& e : outcome.results.errors) fmt::print(stderr, "rcu-unload: error: {}\n", e);
  if (outcome.results.interrupted) fmt::print(stderr, "rcu-unload: interrupted, partial results kept\n");
  return outcome.exit_code;
}

int report_command(const ReportOptions& o) {
  std::vector<PlotInput> inputs;
  for (const auto& path : o.files) {
    auto r = load_any_results(path);
    if (!r) return fail(r.error());
    if (o.format != ReportFormat::table) {
      fmt::print("{}", o.format == ReportFormat::json  ? results_to_json(*r)
                       : o.format == ReportFormat::csv ? results_to_csv(*r)
                                                       : results_to_ktap(*r));
      std::fflush(stdout);
      if (r->cycles.empty()) return fail(fmt::format("{}: no cycles recorded", path));
      if (o.format == ReportFormat::ktap) return results_to_ktap(*r).find("\nnot ok ") == std::string::npos ? 0 : kExitFailure;
      continue;
    }
    if (o.files.size() > 1) fmt::print("== {}\n", path);
    fmt::print("{}\n", format_report(*r, true, o.style));
    inputs.push_back({o.files.size() > 1 ? path : std::string{}, std::move(*r)});
  }
  std::fflush(stdout);
  for (const auto& in : inputs)
    if (in.results.cycles.empty()) return fail(fmt::format("{}: no cycles recorded", in.label.empty() ? o.files.front() : in.label));
  if (!o.plot.empty()) {
    if (auto problem = write_plot(inputs, o.plot)) return fail(*problem);
    fmt::print("plot written to {}\n", o.plot);
  }
  return 0;
}

int compare_command(const CompareOptions& o) {
  auto old_results = load_any_results(o.old_file);
  if (!old_results) return fail(old_results.error());
  auto new_results = load_any_results(o.new_file);
  if (!new_results) return fail(new_results.error());
  auto comparison = compare_results(*old_results, *new_results, o.metric, o.threshold);
  fmt::print("{}", format_comparison(comparison, o.metric, o.threshold, o.style));
  if (comparison.rows.empty()) return fail("no strategy has cycles in both files");
  return comparison.regression ? kExitFailure : 0;
}

// What rcu_unload's records say about the running kernel, from one load with callbacks=0.
Result<Facts> module_facts(const EnvOptions& o) {
  const auto& stop = stop_on_signals();
  auto lock = lock_and_recover();
  if (!lock) return error(lock.error());
  auto loader = ModuleLoader::open(o.module);
  if (!loader) return error(loader.error());
  if ((*loader)->name() != kOurModule) return error(o.module + " is not rcu_unload: nothing to ask it");
  auto reader = KmsgReader::open();
  if (!reader) return error(reader.error());
  RunEnvironment env{**loader, **reader, stop};
  note_module_in_state_dir(env, (*loader)->name());
  RunConfig config;
  config.params = o.params;
  auto probe = probe_module(config, env);
  if (!probe) return error(probe.error());
  return Facts{{"module_rcu", probe->exit.rcu},
               {"module_preempt", probe->exit.preempt},
               {"strategies_apply", probe->init.applies},
               {"kick_applies", probe->init.kick ? "yes" : "no"}};
}

int env_command(const EnvOptions& o) {
  auto facts = read_environment();
  if (!o.module.empty()) {
    auto more = module_facts(o);
    if (!more) return fail(more.error());
    facts.insert(facts.end(), more->begin(), more->end());
  }
  if (o.json) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [key, value] : facts) j[key] = value;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  std::size_t width = 0;
  for (const auto& [key, value] : facts) width = std::max(width, key.size());
  for (const auto& [key, value] : facts) fmt::print("{:<{}}  {}\n", key, width, value);
  if (o.module.empty())
    fmt::print("{:<{}}  {}\n", "strategies", width, "`env --module rcu_unload.ko` asks the module which apply");
  return 0;
}

int verify_command(const VerifyOptions& o) {
  auto r = load_any_results(o.file);
  if (!r) return fail(r.error());
  auto problems = verify_results(*r, o.expect);
  for (const auto& p : problems) fmt::print(stderr, "verify: FAIL {}\n", p);
  if (!problems.empty()) return kExitFailure;
  fmt::print("verify: OK {} cycles of {} with {} callbacks\n", r->cycles.size(), fmt::join(r->strategies, ", "),
             fmt::join(r->callbacks, "/"));
  return 0;
}

int matrix_command(const MatrixOptions& o) {
  const auto& path = o.tsv;
  auto text = read_text_file(path);
  if (!text) return fail(fmt::format("cannot read {}", path));
  auto entries = parse_matrix_tsv(*text);
  if (!entries) return fail(fmt::format("{}: {}", path, entries.error()));
  auto summary = summarize_matrix(*entries, o.style);
  fmt::print("{}", summary.table);
  std::fflush(stdout);
  for (const auto& p : summary.problems) fmt::print(stderr, "rcu-unload: {}\n", p);
  return summary.pass ? 0 : kExitFailure;
}

namespace {

// Every line the kernel logs from now on (/dev/kmsg has a read position per open file, so this
// reader and the records' KmsgReader do not take each other's lines).
class KernelLog {
 public:
  static Result<KernelLog> open(const std::string& path = "/dev/kmsg") {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || lseek(fd, 0, SEEK_END) < 0) {
      const int saved = errno;
      if (fd >= 0) ::close(fd);
      return error(fmt::format("cannot read the kernel log {}: {}", path, std::strerror(saved)));
    }
    return KernelLog(fd);
  }
  KernelLog(KernelLog&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  KernelLog& operator=(KernelLog&&) = delete;
  ~KernelLog() {
    if (fd_ >= 0) ::close(fd_);
  }

  std::vector<std::string> take() {
    std::vector<std::string> lines;
    char buffer[16384];  // longer than any /dev/kmsg record
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && (errno == EPIPE || errno == EINTR)) continue;  // EPIPE: overwritten; resumes at the oldest
      if (n <= 0) break;
      if (auto entry = parse_kmsg_entry(std::string_view(buffer, static_cast<std::size_t>(n))))
        lines.push_back(std::move(entry->message));
    }
    return lines;
  }

 private:
  explicit KernelLog(int fd) : fd_(fd) {}
  int fd_;
};

// Before each memory reading: reclaimable slab dropped and a pause for RCU-freed objects.
std::optional<MemorySnapshot> settled_memory() {
  sync();
  if (std::FILE* drop = std::fopen("/proc/sys/vm/drop_caches", "w")) {
    std::fputs("2\n", drop);
    std::fclose(drop);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto text = read_text_file("/proc/meminfo");
  return text ? parse_meminfo(*text) : std::nullopt;
}

// CPUs other than the boot CPU whose online file exists, in order.
std::vector<unsigned> hotplug_cpus() {
  std::vector<unsigned> cpus;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/devices/system/cpu", ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("cpu", 0) != 0) continue;
    auto n = parse_u64(std::string_view(name).substr(3));
    if (n && *n > 0 && *n <= std::numeric_limits<unsigned>::max() &&
        std::filesystem::exists(cpu_online_path(static_cast<unsigned>(*n)), ec))
      cpus.push_back(static_cast<unsigned>(*n));
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

constexpr const char* kKmemleak = "/sys/kernel/debug/kmemleak";

}  // namespace

int stress_command(const StressOptions& o) {
  const auto& stop = stop_on_signals();
  // The RCU knobs as run keeps them, and the CPUs' online files with a state file of their own (a
  // +knobs cycle refuses to start while knobs.state exists).
  const KnobFiles sysfs = knob_files();
  const KnobFiles cpu_files = hotplug_files();
  auto started = start_loading(o.json);
  if (!started) return fail(started.error());
  auto& journal = started->journal;
  Facts environment = environment_before(o.config.module);
  environment.emplace_back("stress_seed", std::to_string(o.config.seed));
  environment.emplace_back("stress_from_cycle", std::to_string(o.config.from_cycle));
  auto loader = ModuleLoader::open(o.config.module);
  if (!loader) return fail(loader.error());
  if ((*loader)->name() != kOurModule) return fail(fmt::format("{} is not {}: stress runs {} only", o.config.module, kOurModule, kOurModule));
  auto reader = KmsgReader::open();
  if (!reader) return fail(reader.error());
  auto log = KernelLog::open();
  if (!log) return fail(log.error());

  RunEnvironment env{**loader, **reader, stop};
  note_module_in_state_dir(env, (*loader)->name());
  env.knobs = &sysfs;
  env.taint = [] { return read_taint(); };
  env.remover_stack = [](long tid) { return thread_report(tid); };
  std::optional<std::string> journal_problem;
  StressSystem system;
  system.memory = settled_memory;
  system.kernel_lines = [&] { return log->take(); };
  system.hotplug_cpus = hotplug_cpus;
  system.cpu_files = &cpu_files;
  system.kmemleak_command = [](std::string_view command) {
    std::error_code ec;
    if (!std::filesystem::exists(kKmemleak, ec)) return false;
    std::ofstream file(kKmemleak);
    file << command << '\n';
    file.close();
    return !file.fail();
  };
  system.kmemleak_report = [] { return read_text_file(kKmemleak); };
  system.on_start = [&](const Results& r) {
    if (!journal) return;
    Results head = r;
    add_system_info(head);
    head.environment = environment;
    journal_problem = journal->header(head);
  };
  system.on_cycle = [&](const Cycle& c) {
    if (journal && !journal_problem) journal_problem = journal->cycle(c);
  };
  auto stressed = run_stress(o.config, env, system);
  RunOutcome outcome{std::move(stressed.results), stressed.exit_code};
  Results& results = outcome.results;
  results.environment = environment;
  if (journal_problem) results.warnings.push_back(*journal_problem);
  unload_left_over(**loader, outcome, (*loader)->loaded());
  add_system_info(results);
  if (journal)
    if (auto problem = journal->finish(results)) return fail(*problem);
  for (const auto& w : results.warnings) fmt::print(stderr, "rcu-unload: warning: {}\n", w);
  for (const auto& e : results.errors) fmt::print(stderr, "rcu-unload: error: {}\n", e);
  if (results.interrupted) fmt::print(stderr, "rcu-unload: interrupted, the cycles run so far are kept\n");
  return outcome.exit_code;
}

namespace {
// Picks the *_command overload for the subcommand's options.
struct Dispatch {
  int operator()(const RunOptions& o) const { return run_command(o); }
  int operator()(const ReportOptions& o) const { return report_command(o); }
  int operator()(const VerifyOptions& o) const { return verify_command(o); }
  int operator()(const MatrixOptions& o) const { return matrix_command(o); }
  int operator()(const CompareOptions& o) const { return compare_command(o); }
  int operator()(const EnvOptions& o) const { return env_command(o); }
  int operator()(const StressOptions& o) const { return stress_command(o); }
};
}  // namespace

int dispatch(const Subcommand& command) { return std::visit(Dispatch{}, command); }

}  // namespace rcu_unload
