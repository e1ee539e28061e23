#include "rcu_unload/commands.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>

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

int run_command(const RunOptions& o) {
  // --- module lifecycle (issues 11, 13): one harness at a time, knobs a dead run left changed put
  // back, the module resolved by path or name, the expediter for +expedite, unload phases ---
  const auto& stop = stop_on_signals();
  auto lock = RunLock::acquire(state_dir() + "/lock");
  if (!lock) return fail(lock.error());
  const KnobFiles sysfs({}, state_dir() + "/knobs.state");
  if (auto recovered = recover_knobs(sysfs)) {
    if (!*recovered) return fail(recovered->error());
    fmt::print(stderr, "rcu-unload: {}\n", **recovered);
  }
  // The results path is checked, and an older file there removed, before anything is loaded (and
  // after the lock: a second harness must not touch the first one's files); the
  // cycles then go to its journal as they end (outputs.hpp), so a harness that dies keeps them.
  std::optional<ResultsJournal> journal;
  if (!o.json.empty()) {
    auto opened = ResultsJournal::open(o.json);
    if (!opened) return fail(opened.error());
    journal.emplace(std::move(*opened));
  }
  // The environment as it was before the run (knobs a dead run left changed already put back).
  Facts environment = read_environment();
  environment.insert(environment.begin(), {"timestamp", utc_timestamp()});
  if (auto srcversion = module_srcversion(o.module); !srcversion.empty())
    environment.emplace_back("module_srcversion", srcversion);
  auto loader = ModuleLoader::open(o.module);
  if (!loader) return fail(loader.error());
  auto reader = KmsgReader::open();
  if (!reader) return fail(reader.error());

  RunEnvironment env{**loader, **reader, stop};
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
  std::unique_ptr<UnloadTrace> trace;
  if ((*loader)->name() != kOurModule) trace = UnloadTrace::open((*loader)->name());
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
    const auto info = read_system_info();
    head.kernel = info.kernel;
    head.cmdline = info.cmdline;
    head.cpus = info.cpus;
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
  if ((*loader)->loaded()) {
    int rc = (*loader)->remove();
    outcome.results.errors.push_back(fmt::format("the module was still loaded after the run; unloading it {}",
                                                 rc < 0 ? "failed" : "succeeded"));
    outcome.exit_code = kExitFailure;
  }

  auto info = read_system_info();
  outcome.results.kernel = info.kernel;
  outcome.results.cmdline = info.cmdline;
  outcome.results.cpus = info.cpus;

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
  auto lock = RunLock::acquire(state_dir() + "/lock");
  if (!lock) return error(lock.error());
  auto loader = ModuleLoader::open(o.module);
  if (!loader) return error(loader.error());
  if ((*loader)->name() != kOurModule) return error(o.module + " is not rcu_unload: nothing to ask it");
  auto reader = KmsgReader::open();
  if (!reader) return error(reader.error());
  RunEnvironment env{**loader, **reader, stop};
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
// Picks the *_command overload for the subcommand's options.
struct Dispatch {
  int operator()(const RunOptions& o) const { return run_command(o); }
  int operator()(const ReportOptions& o) const { return report_command(o); }
  int operator()(const VerifyOptions& o) const { return verify_command(o); }
  int operator()(const MatrixOptions& o) const { return matrix_command(o); }
  int operator()(const CompareOptions& o) const { return compare_command(o); }
  int operator()(const EnvOptions& o) const { return env_command(o); }
};
}  // namespace

int dispatch(const Subcommand& command) { return std::visit(Dispatch{}, command); }

}  // namespace rcu_unload
