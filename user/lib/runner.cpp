#include "rcu_unload/runner.hpp"

#include <fmt/format.h>

#include <cstring>
#include <ctime>

#include "rcu_unload/system_info.hpp"

namespace rcu_unload {

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string module_options(unsigned callbacks, std::uint64_t tag, const std::string& strategy) {
  return fmt::format("callbacks={} tag={} strategy={}", callbacks, tag, strategy);
}

namespace {

bool read_into(const std::function<std::optional<std::uint64_t>()>& source, std::uint64_t& value) {
  auto v = source();
  if (v) value = *v;
  return v.has_value();
}

std::string errno_text(int rc) { return fmt::format("{} ({})", std::strerror(-rc), rc); }

class CycleLoop {
 public:
  CycleLoop(const RunConfig& config, RunEnvironment& env, Results& results)
      : config_(config), env_(env), results_(results) {}

  // False once the loop must stop; the reason is already in results_.errors.
  bool run(unsigned i) {
    const std::string& strategy = config_.strategies[i % config_.strategies.size()];
    const std::uint64_t tag = config_.tag_base + i;
    const std::string options = module_options(config_.callbacks, tag, strategy);
    auto where = [&](std::string_view what) { return fmt::format("cycle {} ({}, tag {}): {}", i, strategy, tag, what); };

    if (int rc = env_.module.insert(options); rc < 0)
      return fail(where(fmt::format("loading with '{}' failed: {}", options, errno_text(rc))));

    auto init = env_.records.wait_for("init", tag, config_.record_timeout);
    if (!init) return fail_and_unload(where(init.error()));
    if (init->u64("enqueued") != config_.callbacks)
      return fail_and_unload(where(fmt::format("init record enqueued={} but callbacks={}",
                                               init->text("enqueued").value_or("?"), config_.callbacks)));

    const std::uint64_t start = env_.now_ns();
    const int rc = env_.module.remove();
    const std::uint64_t syscall_ns = env_.now_ns() - start;
    if (rc < 0) return fail(where(fmt::format("unloading failed: {}; the module may still be loaded", errno_text(rc))));

    auto exit = env_.records.wait_for("exit", tag, config_.record_timeout);
    if (!exit) return fail(where(exit.error()));

    Cycle c;
    c.cycle = i;
    c.tag = tag;
    c.strategy = strategy;
    c.picked = exit->text("picked").value_or("");
    c.syscall_ns = syscall_ns;
    c.exit_ns = exit->u64("total_ns").value_or(0);
    c.wait_ns = exit->u64("wait_ns").value_or(0);
    c.enqueued = exit->u64("enqueued").value_or(0);
    c.invoked = exit->u64("invoked").value_or(0);
    results_.cycles.push_back(c);
    if (env_.on_cycle) env_.on_cycle(c);

    auto problems = cycle_problems(c, config_.callbacks);
    if (exit->text("strategy") != strategy)
      problems.push_back(fmt::format("exit record strategy={} but asked for {}", exit->text("strategy").value_or("?"), strategy));
    for (const auto& line : env_.records.take_diagnostics())
      if (auto record = parse_record(line); record && record->kind == "error" && record->u64("tag") == tag)
        problems.push_back("module reported: " + line);
    if (problems.empty()) return true;
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : "; ") + p;
    return fail(where(joined));
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

  // Plain values rather than std::optional: g++ 12 warns falsely about optionals crossing the loop.
  std::uint64_t before = 0;
  const bool have_before = env.taint && read_into(env.taint, before);
  if (config.strategies.empty()) {
    r.errors.emplace_back("no strategy to run");
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
