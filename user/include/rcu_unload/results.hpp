#pragma once
// Results JSON (docs/interfaces.md).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rcu_unload/contract.hpp"
#include "rcu_unload/result.hpp"
#include "rcu_unload/statistics.hpp"

namespace rcu_unload {

// 2: a cycle's record fields are named as in the records (total_ns, was exit_ns). Format-1 files
// still load.
inline constexpr int kResultsFormat = 2;

struct Cycle {
  unsigned cycle = 0;
  std::uint64_t tag = 0;
  std::string strategy;          // the spec, e.g. "force-qs+knobs"
  unsigned callbacks = 0;        // asked for at load
  std::uint64_t syscall_ns = 0;  // delete_module() as seen from user space
  InitRecord init;               // the module's records of this load
  ExitRecord exit;
  // Measured by the harness besides the records (written as numbers after them): load_ns (the
  // load syscall), for a module not ours the unload's phases where tracefs is there (unload_exit_ns:
  // delete_module entry to module:module_free, unload_free_ns: from there to the syscall's return),
  // and for +expedite the expediter's counters over the removal (expedite_rounds, _kicks, _ipis,
  // _busy_ns, _on_ns, _timed_out), and for a stress cycle what it drew besides the records
  // (stress_delay_us, stress_reader_hold_us, stress_offline_cpu: stress.hpp).
  std::vector<std::pair<std::string, std::uint64_t>> measured;
};

// Whether a results file's cycle key is one of Cycle::measured's (load_ns, unload_*, expedite_*, stress_*).
bool is_measured_key(std::string_view key);

// A cycle of a module that is not rcu_unload (strategy `plain`, `plain+expedite`...): no records.
bool is_plain_cycle(const Cycle& c);

struct Results {
  std::string kernel;
  std::string cmdline;
  unsigned cpus = 0;
  std::uint64_t taint_before = 0;
  std::uint64_t taint = 0;      // after the run
  std::uint64_t new_taint = 0;  // bits that appeared during the run, O and E excluded
  std::vector<unsigned> callbacks;  // values in the order given to run
  std::vector<std::string> strategies;
  std::vector<std::string> params;  // --param KEY=VALUE given to run
  bool interrupted = false;
  std::vector<Cycle> cycles;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  // What the run saw (docs/results-schema.json, "environment"): timestamp, harness version, module
  // srcversion, RCU knob values before the run, kernel configuration facts, host or QEMU facts.
  std::vector<std::pair<std::string, std::string>> environment;
};

// The module returned from its exit function before all of its callbacks had run.
inline bool lost_callbacks(const Cycle& c) { return c.exit.invoked != c.exit.enqueued; }

// What is wrong with one cycle: lost or extra callbacks (against c.callbacks), non-positive
// timings. Empty when fine.
std::vector<std::string> cycle_problems(const Cycle& c);

// Cycle i of a run over S strategies and C callbacks values runs combination i % (S*C):
// strategies vary fastest, so every strategy alternates cycle by cycle at each callbacks value.
struct Combination {
  std::size_t strategy = 0;   // index into the strategies
  std::size_t callbacks = 0;  // index into the callbacks values
};
Combination cycle_combination(std::size_t cycle, std::size_t strategies, std::size_t callbacks);

// The syscall as timed from user space, the module's exit function and its strategy's wait.
enum class Metric { syscall_ns, total_ns, wait_ns };
inline constexpr Metric kSummaryMetrics[] = {Metric::syscall_ns, Metric::total_ns, Metric::wait_ns};
std::string_view metric_name(Metric m);
std::uint64_t metric_value(const Cycle& c, Metric m);

// A row of the summaries and tables: a strategy spec, split by callbacks when a run has several.
struct Row {
  std::string strategy;
  std::optional<unsigned> callbacks;  // set when the run has more than one callbacks value
  std::string label() const;         // "force-qs+knobs" or "force-qs+knobs cb=1000"
  bool has(const Cycle& c) const { return c.strategy == strategy && (!callbacks || c.callbacks == *callbacks); }
};

// Strategies in results order, then any that only appear in cycles; likewise callbacks values.
std::vector<std::string> strategies_present(const Results& r);
std::vector<unsigned> callbacks_present(const Results& r);
// Callbacks-major (all strategies at the first value, then the next value...).
std::vector<Row> rows_present(const Results& r);

std::vector<double> metric_sample(const Results& r, const Row& row, Metric m);

std::string results_to_json(const Results& r);  // includes the per-row summary
nlohmann::json environment_json(const Results& r);
Result<Results> results_from_json(std::string_view text);
Result<Results> load_results(const std::string& path);
std::optional<std::string> save_results(const std::string& path, const Results& r);  // error text

}  // namespace rcu_unload
