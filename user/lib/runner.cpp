#include "rcu_unload/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <limits>

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

std::string errno_text(int rc) { return fmt::format("{} ({})", std::strerror(-rc), rc); }

std::string join(std::string first, const std::vector<std::string>& more) {
  for (const auto& m : more) first += (first.empty() ? "" : "; ") + m;
  return first;
}

// Why the cycle loop can't start with these strategy specs, before anything is loaded.
std::optional<std::string> config_problem(const RunConfig& config, const RunEnvironment& env) {
  if (config.strategies.empty()) return std::string("no strategy to run");
  if (config.callbacks.empty()) return std::string("no callbacks value to run");
  for (const auto& spec : config.strategies) {
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

  // The init record's applies= of one load with callbacks=0 and the run's params, unloaded at once.
  std::optional<std::string> probe_applies() {
    const std::uint64_t tag = config_.tag_base - 1;
    const std::string options = module_options(0, tag, std::string(kAutoStrategy), config_.params);
    const Where where = [&](std::string_view what) {
      return fmt::format("probe load for strategy {} (tag {}): {}", kEveryStrategy, tag, what);
    };
    auto init = load(options, tag, where);
    if (!init) return std::nullopt;
    if (int rc = env_.module.remove(); rc < 0) {
      fail(where(fmt::format("unloading failed: {}; the module may still be loaded", errno_text(rc))));
      return std::nullopt;
    }
    if (!exit_record(tag, where) || !no_error_records(tag, where)) return std::nullopt;
    if (init->applies.empty()) {
      fail(where("the init record has no applies= (a module older than this harness?)"));
      return std::nullopt;
    }
    return init->applies;
  }

  // False once the loop must stop.
  bool run_cycle(unsigned i) {
    const auto combo = cycle_combination(i, config_.strategies.size(), config_.callbacks.size());
    const StrategySpec& spec = config_.strategies[combo.strategy];
    const unsigned callbacks = config_.callbacks[combo.callbacks];
    const std::uint64_t tag = config_.tag_base + i;
    const std::string options = module_options(callbacks, tag, spec.name, config_.params);
    const Where where = [&](std::string_view what) {
      return fmt::format("cycle {} ({}, {} callbacks, tag {}): {}", i, spec.text(), callbacks, tag, what);
    };

    auto init = load(options, tag, where);
    if (!init) return false;
    if (init->enqueued != callbacks)
      return fail_and_unload(where(fmt::format("init record enqueued={} but callbacks={}", init->enqueued, callbacks)));

    // The knobs are set for the timed removal only and restored before anything else can fail.
    std::optional<KnobGuard> knobs;
    if (spec.knobs) {
      auto present = present_knobs(*env_.knobs, spec.knobs);
      if (!present) return fail_and_unload(where(present.error()));
      auto guard = KnobGuard::apply(*env_.knobs, *present);
      if (!guard) return fail_and_unload(where(guard.error()));
      knobs.emplace(std::move(*guard));
    }
    const std::uint64_t start = env_.now_ns();
    const int rc = env_.module.remove();
    const std::uint64_t syscall_ns = env_.now_ns() - start;
    const auto not_restored = knobs ? knobs->restore() : std::vector<std::string>{};
    if (rc < 0)
      return fail(where(join(fmt::format("unloading failed: {}; the module may still be loaded", errno_text(rc)),
                             not_restored)));
    if (!not_restored.empty()) return fail(where(join({}, not_restored)));

    auto exit = exit_record(tag, where);
    if (!exit) return false;

    Cycle c;
    c.cycle = i;
    c.tag = tag;
    c.strategy = spec.text();
    c.callbacks = callbacks;
    c.syscall_ns = syscall_ns;
    c.init = std::move(*init);
    c.exit = std::move(*exit);
    results_.cycles.push_back(c);
    if (env_.on_cycle) env_.on_cycle(c);

    auto problems = cycle_problems(c);
    if (c.exit.strategy != spec.name)
      problems.push_back(fmt::format("exit record strategy={} but asked for {}", c.exit.strategy, spec.name));
    add_error_records(tag, problems);
    if (problems.empty()) return true;
    return fail(where(join({}, problems)));
  }

 private:
  // Loads with `options` and reads the init record of `tag`; on a failure the module is unloaded.
  std::optional<InitRecord> load(const std::string& options, std::uint64_t tag, const Where& where) {
    if (int rc = env_.module.insert(options); rc < 0) {
      fail(where(fmt::format("loading with '{}' failed: {}", options, errno_text(rc))));
      return std::nullopt;
    }
    auto init = awaited<InitRecord>(tag);
    if (!init) {
      fail_and_unload(where(init.error()));
      return std::nullopt;
    }
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
    for (const auto& line : env_.records.take_diagnostics())
      if (auto record = parse_record(line); record && record->kind == "error" && record->u64("tag") == tag)
        problems.push_back("module reported: " + line);
  }

  bool no_error_records(std::uint64_t tag, const Where& where) {
    std::vector<std::string> problems;
    add_error_records(tag, problems);
    return problems.empty() || fail(where(join({}, problems)));
  }

  bool fail(std::string message) {
    for (const auto& line : env_.records.take_diagnostics()) message += "\n  module log: " + line;
    results_.errors.push_back(std::move(message));
    return false;
  }

  bool fail_and_unload(std::string message) {
    if (int rc = env_.module.remove(); rc < 0) message += fmt::format("; unloading failed too: {}", errno_text(rc));
    return fail(std::move(message));
  }

  const RunConfig& config_;
  RunEnvironment& env_;
  Results& results_;
};

// The run's specs with `all` expanded through a probe load; nullopt after putting the reason in results.errors.
std::optional<std::vector<StrategySpec>> expanded_specs(const RunConfig& config, RunEnvironment& env, Results& r) {
  if (!expands(config.strategies)) return config.strategies;
  auto applies = Session(config, env, r).probe_applies();
  if (!applies) return std::nullopt;
  auto specs = expand_every_strategy(config.strategies, *applies);
  if (!specs) {
    r.errors.push_back(specs.error());
    return std::nullopt;
  }
  return std::move(*specs);
}

}  // namespace

RunOutcome run_cycles(const RunConfig& config, RunEnvironment& env) {
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
