#include "rcu_unload/runner.hpp"

#include <fmt/format.h>

#include <cstring>
#include <ctime>

#include "rcu_unload/options.hpp"
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
    auto parsed = parse_strategy_spec(spec);
    if (!parsed) return fmt::format("unknown strategy '{}'", spec);
    if (!parsed->knobs) continue;
    if (!env.knobs) return fmt::format("strategy {} needs the RCU knobs, which this run cannot reach", spec);
    for (const auto& knob : unload_knobs())
      if (auto value = env.knobs->read(knob.path); !value) return fmt::format("strategy {}: {}", spec, value.error());
  }
  return std::nullopt;
}

class CycleLoop {
 public:
  CycleLoop(const RunConfig& config, RunEnvironment& env, Results& results)
      : config_(config), env_(env), results_(results) {}

  // False once the loop must stop; the reason is already in results_.errors.
  bool run(unsigned i) {
    const auto combo = cycle_combination(i, config_.strategies.size(), config_.callbacks.size());
    const std::string& spec = config_.strategies[combo.strategy];
    const StrategySpec strategy = parse_strategy_spec(spec).value_or(StrategySpec{spec, false});
    const unsigned callbacks = config_.callbacks[combo.callbacks];
    const std::uint64_t tag = config_.tag_base + i;
    const std::string options = module_options(callbacks, tag, strategy.name, config_.params);
    auto where = [&](std::string_view what) {
      return fmt::format("cycle {} ({}, {} callbacks, tag {}): {}", i, spec, callbacks, tag, what);
    };

    if (int rc = env_.module.insert(options); rc < 0)
      return fail(where(fmt::format("loading with '{}' failed: {}", options, errno_text(rc))));

    auto init = env_.records.wait_for("init", tag, config_.record_timeout);
    if (!init) return fail_and_unload(where(init.error()));
    if (init->u64("enqueued") != callbacks)
      return fail_and_unload(where(fmt::format("init record enqueued={} but callbacks={}",
                                               init->text("enqueued").value_or("?"), callbacks)));

    // The knobs are set for the timed removal only and restored before anything else can fail.
    std::optional<KnobGuard> knobs;
    if (strategy.knobs) {
      auto guard = KnobGuard::apply(*env_.knobs, unload_knobs());
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

    auto exit = env_.records.wait_for("exit", tag, config_.record_timeout);
    if (!exit) return fail(where(exit.error()));

    Cycle c;
    c.cycle = i;
    c.tag = tag;
    c.strategy = spec;
    c.picked = exit->text("picked").value_or("");
    c.syscall_ns = syscall_ns;
    c.exit_ns = exit->u64("total_ns").value_or(0);
    c.wait_ns = exit->u64("wait_ns").value_or(0);
    c.enqueued = exit->u64("enqueued").value_or(0);
    c.invoked = exit->u64("invoked").value_or(0);
    c.callbacks = callbacks;
    c.gp_ns = exit->u64("gp_ns").value_or(0);
    c.rounds = exit->u64("rounds").value_or(0);
    c.stop_ns = exit->u64("stop_ns").value_or(0);
    c.readers = exit->u64("readers").value_or(0);
    c.churn = exit->u64("churn").value_or(0);
    c.flavor = exit->text("flavor").value_or("");
    c.rcu = exit->text("rcu").value_or("");
    c.preempt = exit->text("preempt").value_or("");
    c.exp_gp_ns = init->u64("exp_gp_ns").value_or(0);
    c.cb_cost_ns = init->u64("cb_cost_ns").value_or(0);
    c.peak_pending = exit->u64("peak_pending").value_or(0);
    c.peak_bytes = exit->u64("peak_bytes").value_or(0);
    results_.cycles.push_back(c);
    if (env_.on_cycle) env_.on_cycle(c);

    auto problems = cycle_problems(c);
    if (exit->text("strategy") != strategy.name)
      problems.push_back(fmt::format("exit record strategy={} but asked for {}", exit->text("strategy").value_or("?"),
                                     strategy.name));
    for (const auto& line : env_.records.take_diagnostics())
      if (auto record = parse_record(line); record && record->kind == "error" && record->u64("tag") == tag)
        problems.push_back("module reported: " + line);
    if (problems.empty()) return true;
    return fail(where(join({}, problems)));
  }

 private:
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

}  // namespace

RunOutcome run_cycles(const RunConfig& config, RunEnvironment& env) {
  RunOutcome out;
  Results& r = out.results;
  r.callbacks = config.callbacks;
  r.strategies = config.strategies;
  r.params = config.params;

  // Plain values rather than std::optional: g++ 12 warns falsely about optionals crossing the loop.
  std::uint64_t before = 0;
  const bool have_before = env.taint && read_into(env.taint, before);
  if (auto problem = config_problem(config, env)) {
    r.errors.push_back(std::move(*problem));
  } else {
    CycleLoop loop(config, env, r);
    for (unsigned i = 0; i < config.cycles; ++i) {
      if (env.stop.load()) {
        r.interrupted = true;
        break;
      }
      if (!loop.run(i)) break;
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
