#pragma once
// The load/unload cycle loop, independent of the real kernel (see kernel_interfaces.hpp).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/expediter.hpp"
#include "rcu_unload/kernel_interfaces.hpp"
#include "rcu_unload/knobs.hpp"
#include "rcu_unload/results.hpp"
#include "rcu_unload/strategy_spec.hpp"

namespace rcu_unload {

struct RunConfig {
  // Cycle i runs cycle_combination(i, strategies, callbacks); `all` is expanded before cycle 0.
  std::vector<StrategySpec> strategies;
  unsigned cycles = 1;  // in total, unless cycles_per_combination is set
  // When non-zero: the run is this many cycles per strategy spec x callbacks value, the total
  // computed after `all` is expanded (cycles is then ignored).
  unsigned cycles_per_combination = 0;
  std::vector<unsigned> callbacks;
  std::uint64_t tag_base = 1;
  std::vector<std::string> params;  // KEY=VALUE module options appended for every load
  std::chrono::milliseconds record_timeout{10'000};
  // --- module lifecycle (issue 11, 13) ---
  // A removal still running after this long is reported (module state, the remover's kernel
  // stack, hung-task lines) and fails the run once it returns.
  std::chrono::milliseconds unload_timeout{60'000};
  // No --strategy was given: a module that is not ours runs `plain` then.
  bool default_strategies = false;
  // Left loaded this long after its init record before the timed removal (stress: readers and
  // churn get to run, callbacks get invoked before the unload).
  std::chrono::microseconds unload_delay{0};
};

std::uint64_t monotonic_ns();

struct RunEnvironment {
  RunEnvironment(ModuleBackend& m, RecordSource& r, const std::atomic<bool>& s) : module(m), records(r), stop(s) {}

  ModuleBackend& module;
  RecordSource& records;
  const std::atomic<bool>& stop;  // set from a signal handler; honoured between cycles
  std::function<std::uint64_t()> now_ns = monotonic_ns;
  std::function<std::optional<std::uint64_t>()> taint;  // empty: taint not checked
  std::function<void(const Cycle&)> on_cycle;            // after each recorded cycle, may be empty
  // Once before cycle 0, after `all` is expanded: the total cycle count and the results so far
  // (strategies, callbacks, params); may be empty.
  std::function<void(unsigned total, const Results&)> on_start;
  const KnobFiles* knobs = nullptr;  // needed by +knobs strategies; tests point it at a temp dir
  // --- module lifecycle (issue 11, 13) ---
  ExpediterControl* expediter = nullptr;  // needed by +expedite strategies
  // A module not ours: the unload's phases from tracefs, given the syscall's start and end
  // (monotonic ns): (unload_exit_ns, unload_free_ns), or nullopt where tracefs has nothing.
  std::function<std::optional<std::pair<std::uint64_t, std::uint64_t>>(std::uint64_t, std::uint64_t)> unload_phases;
  // The kernel stack of the thread `tid` stuck in delete_module (/proc/self/task/TID/stack).
  std::function<std::string(long tid)> remover_stack;
  // Outside the timed syscalls: before each load (its options), and once the module is gone again
  // (a removal that worked, a load that failed); the harness records there which module it holds
  // (lifecycle.hpp, note_module_loading). May be empty.
  std::function<void(const std::string& options)> before_load;
  std::function<void()> after_gone;
};

struct RunOutcome {
  Results results;  // system facts (kernel, cmdline, cpus) are left for the caller
  int exit_code = 0;
};

// With `all` among the strategies, first loads the module once with callbacks=0 and the run's
// params, reads which strategies apply from its init record and unloads it (the probe, tag
// tag_base - 1); the results list the expanded specs. Stops at the first failing cycle, after
// making sure the module is unloaded.
RunOutcome run_cycles(const RunConfig& config, RunEnvironment& env);

// What rcu_unload says about the running kernel: the records of one load with callbacks=0 and
// config.params, unloaded at once (applies=, kick=; rcu=, preempt=). `run --strategy all` and
// `env --module` use it.
struct ModuleProbe {
  InitRecord init;
  ExitRecord exit;
};
Result<ModuleProbe> probe_module(const RunConfig& config, RunEnvironment& env);

// The module options for one cycle, e.g. "callbacks=1000 tag=7 strategy=barrier readers=2".
std::string module_options(unsigned callbacks, std::uint64_t tag, const std::string& strategy,
                           const std::vector<std::string>& params = {});

}  // namespace rcu_unload
