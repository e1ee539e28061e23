#include "rcu_unload/runner.hpp"

#include <fmt/format.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <limits>

#include "rcu_unload/module_loader.hpp"
#include "rcu_unload/system_info.hpp"

namespace rcu_unload {

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string module_options(unsigned callbacks, std::uint64_t tag, const std::string& strategy,
                           const std::vector<std::string>& params) {
  auto options = fmt::format("callbacks={} tag={} strategy={}", callbacks, tag, strategy);
  for (const auto& p : params) options += " " + p;
  return options;
}

namespace {

bool read_into(const std::function<std::optional<std::uint64_t>()>& source, std::uint64_t& value) {
  auto v = source();
  if (v) value = *v;
  return v.has_value();
}

std::string join(std::string first, const std::vector<std::string>& more) {
  for (const auto& m : more) first += (first.empty() ? "" : "; ") + m;
  return first;
}

// Why the cycle loop can't start with these strategy specs, before anything is loaded.
std::optional<std::string> config_problem(const RunConfig& config, const RunEnvironment& env) {
  if (config.strategies.empty()) return std::string("no strategy to run");
  if (config.callbacks.empty()) return std::string("no callbacks value to run");
  const bool ours = env.module.name() == kOurModule;
  for (const auto& spec : config.strategies) {
    if (spec.is_plain() && ours)
      return fmt::format("strategy {} is for a module that is not {}; name one of {}'s strategies", spec.text(),
                         kOurModule, kOurModule);
    if (!spec.is_plain() && !ours)
      return fmt::format("module {} is not {}: its cycles are {} or {}{} (with +knobs or +GROUP if wanted), not {}",
                         env.module.name(), kOurModule, kPlainStrategy, kPlainStrategy, kExpediteSuffix, spec.text());
    if (spec.expedite && !env.expediter)
      return fmt::format("strategy {} needs the resident expediter ({}), which this run has not loaded", spec.text(),
                         kExpediterModule);
    if (!spec.knobs) continue;
    if (!env.knobs) return fmt::format("strategy {} needs the RCU knobs, which this run cannot reach", spec.text());
    if (auto present = present_knobs(*env.knobs, spec.knobs); !present)
      return fmt::format("strategy {}: {}", spec.text(), present.error());
  }
  return std::nullopt;
}

bool expands(const std::vector<StrategySpec>& specs) {
  return std::any_of(specs.begin(), specs.end(), [](const StrategySpec& s) { return s.is_every(); });
}

using Where = std::function<std::string(std::string_view)>;

// The module's loads and unloads of one run. A step that fails puts the reason in results.errors,
// with the module's log lines, and leaves the module unloaded where it can.
class Session {
 public:
  Session(const RunConfig& config, RunEnvironment& env, Results& results)
      : config_(config), env_(env), results_(results) {}

  // One load with callbacks=0 and the run's params, unloaded at once: its init and exit records.
  std::optional<ModuleProbe> probe() {
    const std::uint64_t tag = config_.tag_base - 1;
    const std::string options = module_options(0, tag, std::string(kAutoStrategy), config_.params);
    const Where where = [&](std::string_view what) {
      return fmt::format("probe load for strategy {} (tag {}): {}", kEveryStrategy, tag, what);
    };
    Cycle unused;
    auto init = load(options, tag, where, unused);
    if (!init) return std::nullopt;
    if (int rc = removed(env_.module.remove()); rc < 0) {
      fail(where(fmt::format("unloading failed: {}; the module may still be loaded", errno_words(rc))));
      return std::nullopt;
    }
    auto exit = exit_record(tag, where);
    if (!exit || !no_error_records(tag, where)) return std::nullopt;
    if (init->applies.empty()) {
      fail(where("the init record has no applies= (a module older than this harness?)"));
      return std::nullopt;
    }
    return ModuleProbe{*init, *exit};
  }

  // False once the loop must stop.
  bool run_cycle(unsigned i) {
    const auto combo = cycle_combination(i, config_.strategies.size(), config_.callbacks.size());
    const StrategySpec& spec = config_.strategies[combo.strategy];
    if (spec.is_plain()) return run_plain_cycle(i, spec);
    const unsigned callbacks = config_.callbacks[combo.callbacks];
    const std::uint64_t tag = config_.tag_base + i;
    const std::string options = module_options(callbacks, tag, spec.name, config_.params);
    const Where where = [&](std::string_view what) {
      return fmt::format("cycle {} ({}, {} callbacks, tag {}): {}", i, spec.text(), callbacks, tag, what);
    };

    Cycle c;
    auto init = load(options, tag, where, c);
    if (!init) return false;
    if (init->enqueued != callbacks)
      return fail_and_unload(where(fmt::format("init record enqueued={} but callbacks={}", init->enqueued, callbacks)));
    if (config_.unload_delay.count() > 0) std::this_thread::sleep_for(config_.unload_delay);

    Removal removal;
    if (!timed_removal(spec, where, c, removal)) return false;
    add_unload_phases(removal, c);
    const bool late = !removal.late_report.empty();

    auto exit = exit_record(tag, where);
    if (!exit) return false;

    c.cycle = i;
    c.tag = tag;
    c.strategy = spec.text();
    c.callbacks = callbacks;
    c.init = std::move(*init);
    c.exit = std::move(*exit);
    results_.cycles.push_back(c);
    if (env_.on_cycle) env_.on_cycle(c);

    auto problems = cycle_problems(c);
    if (c.exit.strategy != spec.name)
      problems.push_back(fmt::format("exit record strategy={} but asked for {}", c.exit.strategy, spec.name));
    add_error_records(tag, problems);
    if (late) problems.push_back(removal.late_report);
    if (problems.empty()) return true;
    return fail(where(join({}, problems)));
  }

  // A module that is not ours: load with the params exactly as given, time the load and the unload.
  bool run_plain_cycle(unsigned i, const StrategySpec& spec) {
    const std::uint64_t tag = config_.tag_base + i;
    std::string options;
    for (const auto& p : config_.params) options += (options.empty() ? "" : " ") + p;
    const Where where = [&](std::string_view what) {
      return fmt::format("cycle {} ({}, module {}): {}", i, spec.text(), env_.module.name(), what);
    };
    Cycle c;
    if (!insert(options, where, c)) return false;
    Removal removal;
    if (!timed_removal(spec, where, c, removal)) return false;
    add_unload_phases(removal, c);
    c.cycle = i;
    c.tag = tag;
    c.strategy = spec.text();
    c.callbacks = config_.callbacks.front();
    results_.cycles.push_back(c);
    if (env_.on_cycle) env_.on_cycle(c);
    auto problems = cycle_problems(c);
    if (!removal.late_report.empty()) problems.push_back(removal.late_report);
    if (problems.empty()) return true;
    return fail(where(join({}, problems)));
  }

 private:
  struct Removal {
    int rc = 0;
    std::uint64_t start = 0, end = 0;
    std::string late_report;  // set when the removal outlasted the unload timeout
  };

  // Where tracefs is there: the removal split at module:module_free.
  void add_unload_phases(const Removal& removal, Cycle& c) const {
    if (!env_.unload_phases) return;
    if (auto phases = env_.unload_phases(removal.start, removal.end)) {
      c.measured.emplace_back("unload_exit_ns", phases->first);
      c.measured.emplace_back("unload_free_ns", phases->second);
    }
  }

  // delete_module in a thread of its own, so a removal that outlasts config_.unload_timeout is
  // reported while it still runs (module state, the remover's kernel stack, hung-task lines).
  Removal remove_watched() {
    Removal out;
    if (config_.unload_timeout.count() <= 0) {
      out.start = env_.now_ns();
      out.rc = env_.module.remove();
      out.end = env_.now_ns();
      removed(out.rc);
      return out;
    }
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::atomic<long> tid{0};
    std::thread worker([&] {
      tid = static_cast<long>(syscall(SYS_gettid));
      Removal r;
      r.start = env_.now_ns();
      r.rc = env_.module.remove();
      r.end = env_.now_ns();
      std::lock_guard<std::mutex> lock(m);
      out = r;
      done = true;
      cv.notify_one();
    });
    std::string report;
    {
      std::unique_lock<std::mutex> lock(m);
      if (!cv.wait_for(lock, config_.unload_timeout, [&] { return done; })) {
        lock.unlock();
        report = fmt::format("delete_module of {} still running after the unload timeout of {} ms", env_.module.name(),
                             config_.unload_timeout.count());
        if (auto state = env_.module.state_report(); !state.empty()) report += "; " + state;
        if (env_.remover_stack) report += "\n  remover's kernel stack:\n" + env_.remover_stack(tid.load());
        for (const auto& line : env_.records.take_hung_task_lines()) report += "\n  kernel: " + line;
        std::fprintf(stderr, "rcu-unload: %s\n", report.c_str());
        lock.lock();
        cv.wait(lock, [&] { return done; });
      }
    }
    worker.join();
    removed(out.rc);
    if (!report.empty()) {
      for (const auto& line : env_.records.take_hung_task_lines()) report += "\n  kernel: " + line;
      out.late_report = fmt::format("{}; it returned after {:.3f} s", report, static_cast<double>(out.end - out.start) / 1e9);
    }
    return out;
  }

  // The timed removal with the spec's knobs and expediter around it (set right before, undone right
  // after, before anything else can fail); false after fail().
  bool timed_removal(const StrategySpec& spec, const Where& where, Cycle& c, Removal& removal) {
    std::optional<KnobGuard> knobs;
    if (spec.knobs) {
      auto present = present_knobs(*env_.knobs, spec.knobs);
      if (!present) return fail_and_unload(where(present.error()));
      auto guard = KnobGuard::apply(*env_.knobs, *present);
      if (!guard) return fail_and_unload(where(guard.error()));
      knobs.emplace(std::move(*guard));
    }
    std::optional<ExpediterStats> before;
    if (spec.expedite) {
      auto stats = env_.expediter->stats();
      std::optional<std::string> problem;
      if (!stats) problem = stats.error();
      if (!problem) problem = env_.expediter->set_active(true);
      if (problem) {
        if (knobs) knobs->restore();
        return fail_and_unload(where(*problem));
      }
      before = *stats;
    }
    removal = remove_watched();
    std::vector<std::string> undone;
    if (spec.expedite) {
      if (auto p = env_.expediter->set_active(false)) undone.push_back(*p);
      if (auto after = env_.expediter->stats()) {
        for (auto& field : cycle_fields(*after - *before)) c.measured.push_back(std::move(field));
      } else {
        undone.push_back(after.error());
      }
    }
    if (knobs)
      for (auto& p : knobs->restore()) undone.push_back(std::move(p));
    c.syscall_ns = removal.end - removal.start;
    if (removal.rc < 0)
      return fail(where(join(env_.module.explain_remove_failure(removal.rc), undone)));
    if (!undone.empty()) return fail(where(join({}, undone)));
    return true;
  }

  // Loads with `options`, timed (load_ns); a load the kernel refused or an unknown parameter it
  // ignored fails the cycle with its lines (the module is then unloaded).
  bool insert(const std::string& options, const Where& where, Cycle& c) {
    if (env_.before_load) env_.before_load(options);
    const std::uint64_t start = env_.now_ns();
    const int rc = env_.module.insert(options);
    const std::uint64_t load_ns = env_.now_ns() - start;
    if (rc < 0) {
      removed(0);
      auto lines = env_.records.take_diagnostics();
      // The explanation when it says more than the errno (a missing symbol, already loaded, ...).
      auto why = env_.module.explain_insert_failure(rc, lines);
      auto message = where(why != unexplained_load_failure(env_.module.name(), rc)
                               ? (options.empty() ? why : fmt::format("{} (options '{}')", why, options))
                               : fmt::format("loading with '{}' failed: {}", options, errno_words(rc)));
      for (const auto& line : lines) message += "\n  module log: " + line;
      results_.errors.push_back(std::move(message));
      return false;
    }
    c.measured.emplace_back("load_ns", load_ns);
    // Our module's lines are read with its init record (reading now would skip that record).
    return env_.module.name() == kOurModule || no_unknown_parameters(where);
  }

  // The kernel ignores a parameter the module lacks with a line "<module>: unknown parameter 'x' ignored".
  bool no_unknown_parameters(const Where& where) {
    auto lines = env_.records.take_diagnostics();
    if (auto unknown = unknown_parameter_lines(lines); !unknown.empty()) {
      std::string message = "the kernel ignored a parameter the module does not have (a typo?)";
      for (const auto& line : lines) message += "\n  module log: " + line;
      return fail_and_unload(where(message));
    }
    for (auto& line : lines) pending_.push_back(std::move(line));
    return true;
  }

  // Loads with `options` and reads the init record of `tag`; on a failure the module is unloaded.
  std::optional<InitRecord> load(const std::string& options, std::uint64_t tag, const Where& where, Cycle& c) {
    if (!insert(options, where, c)) return std::nullopt;
    auto init = awaited<InitRecord>(tag);
    if (!init) {
      fail_and_unload(where(init.error()));
      return std::nullopt;
    }
    if (!no_unknown_parameters(where)) return std::nullopt;
    return std::move(*init);
  }

  std::optional<ExitRecord> exit_record(std::uint64_t tag, const Where& where) {
    auto exit = awaited<ExitRecord>(tag);
    if (!exit) {
      fail(where(exit.error()));
      return std::nullopt;
    }
    return std::move(*exit);
  }

  // The init or exit record of `tag`, typed.
  template <class Fields>
  Result<Fields> awaited(std::uint64_t tag) {
    auto record = env_.records.wait_for(Fields::kind, tag, config_.record_timeout);
    if (!record) return error(record.error());
    return typed_record<Fields>(*record);
  }

  void add_error_records(std::uint64_t tag, std::vector<std::string>& problems) {
    for (const auto& line : take_diagnostics())
      if (auto record = parse_record(line); record && record->kind == "error" && record->u64("tag") == tag)
        problems.push_back("module reported: " + line);
  }

  bool no_error_records(std::uint64_t tag, const Where& where) {
    std::vector<std::string> problems;
    add_error_records(tag, problems);
    return problems.empty() || fail(where(join({}, problems)));
  }

  std::vector<std::string> take_diagnostics() {
    auto lines = std::exchange(pending_, {});
    for (auto& line : env_.records.take_diagnostics()) lines.push_back(std::move(line));
    return lines;
  }

  bool fail(std::string message) {
    for (const auto& line : take_diagnostics()) message += "\n  module log: " + line;
    results_.errors.push_back(std::move(message));
    return false;
  }

  // Passes `rc` through; a removal that worked is reported to after_gone.
  int removed(int rc) {
    if (rc == 0 && env_.after_gone) env_.after_gone();
    return rc;
  }

  bool fail_and_unload(std::string message) {
    if (int rc = removed(env_.module.remove()); rc < 0)
      message += fmt::format("; unloading failed too: {}", env_.module.explain_remove_failure(rc));
    return fail(std::move(message));
  }

  const RunConfig& config_;
  RunEnvironment& env_;
  Results& results_;
  std::vector<std::string> pending_;  // module lines read at load, reported with the next failure
};

// A module that is not ours runs `plain` when no strategy was named, with one callbacks value, 0
// (it enqueues nothing), and its kernel lines are kept as diagnostics.
RunConfig for_module(const RunConfig& given, RunEnvironment& env) {
  RunConfig config = given;
  if (env.module.name() == kOurModule) return config;
  env.records.watch_module(env.module.name());
  if (given.default_strategies) config.strategies = {StrategySpec{std::string(kPlainStrategy)}};
  config.callbacks = {0};
  return config;
}

// The run's specs with `all` expanded through a probe load; nullopt after putting the reason in results.errors.
std::optional<std::vector<StrategySpec>> expanded_specs(const RunConfig& config, RunEnvironment& env, Results& r) {
  if (!expands(config.strategies)) return config.strategies;
  auto probe = Session(config, env, r).probe();
  if (!probe) return std::nullopt;
  auto specs = expand_every_strategy(config.strategies, probe->init.applies);
  if (!specs) {
    r.errors.push_back(specs.error());
    return std::nullopt;
  }
  return std::move(*specs);
}

}  // namespace

Result<ModuleProbe> probe_module(const RunConfig& config, RunEnvironment& env) {
  Results r;
  auto probe = Session(config, env, r).probe();
  if (!probe) return error(r.errors.empty() ? std::string("the probe load failed") : r.errors.front());
  return std::move(*probe);
}

RunOutcome run_cycles(const RunConfig& given, RunEnvironment& env) {
  const RunConfig config = for_module(given, env);
  RunOutcome out;
  Results& r = out.results;
  r.callbacks = config.callbacks;
  r.strategies = spec_texts(config.strategies);
  r.params = config.params;

  // Plain values rather than std::optional: g++ 12 warns falsely about optionals crossing the loop.
  std::uint64_t before = 0;
  const bool have_before = env.taint && read_into(env.taint, before);
  if (auto problem = config_problem(config, env)) {
    r.errors.push_back(std::move(*problem));
  } else if (auto specs = expanded_specs(config, env, r)) {
    RunConfig expanded = config;
    expanded.strategies = std::move(*specs);
    r.strategies = spec_texts(expanded.strategies);
    if (config.cycles_per_combination) {
      const std::uint64_t total = std::uint64_t{config.cycles_per_combination} * expanded.strategies.size() *
                                  expanded.callbacks.size();
      if (total > std::numeric_limits<unsigned>::max() ||
          config.tag_base + total < config.tag_base)  // the tags must not wrap either
        r.errors.push_back(fmt::format("{} cycles per combination x {} strategies x {} callbacks values is too many",
                                       config.cycles_per_combination, expanded.strategies.size(),
                                       expanded.callbacks.size()));
      expanded.cycles = r.errors.empty() ? static_cast<unsigned>(total) : 0;
    }
    if (env.on_start && r.errors.empty()) env.on_start(expanded.cycles, r);
    Session session(expanded, env, r);
    for (unsigned i = 0; i < expanded.cycles; ++i) {
      if (env.stop.load()) {
        r.interrupted = true;
        break;
      }
      if (!session.run_cycle(i)) break;
    }
  }

  if (env.taint) {
    std::uint64_t after = 0;
    if (!have_before || !read_into(env.taint, after)) {
      r.warnings.emplace_back("cannot read the kernel taint (/proc/sys/kernel/tainted)");
    } else {
      r.taint_before = before;
      r.taint = after;
      r.new_taint = unexpected_new_taint(before, after);
      if (r.new_taint)
        r.warnings.push_back(fmt::format("the kernel became tainted during the run: {} (taint {} -> {})",
                                         describe_taint(r.new_taint), before, after));
    }
  }
  out.exit_code = !r.errors.empty() ? kExitFailure : r.interrupted ? kExitInterrupted : 0;
  return out;
}

}  // namespace rcu_unload
