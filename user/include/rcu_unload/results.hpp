#pragma once
// Results JSON, format 1 (docs/interfaces.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rcu_unload/result.hpp"
#include "rcu_unload/statistics.hpp"

namespace rcu_unload {

inline constexpr int kResultsFormat = 1;

struct Cycle {
  unsigned cycle = 0;
  std::uint64_t tag = 0;
  std::string strategy;
  std::string picked;
  std::uint64_t syscall_ns = 0;  // delete_module() as seen from user space
  std::uint64_t exit_ns = 0;     // the module's total_ns for its exit function
  std::uint64_t wait_ns = 0;     // the strategy's share of exit_ns
  std::uint64_t enqueued = 0;
  std::uint64_t invoked = 0;
};

struct Results {
  std::string kernel;
  std::string cmdline;
  unsigned cpus = 0;
  std::uint64_t taint_before = 0;
  std::uint64_t taint = 0;      // after the run
  std::uint64_t new_taint = 0;  // bits that appeared during the run, O and E excluded
  unsigned callbacks = 0;
  std::vector<std::string> strategies;
  bool interrupted = false;
  std::vector<Cycle> cycles;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// What is wrong with one cycle: lost or extra callbacks, non-positive timings. Empty when fine.
std::vector<std::string> cycle_problems(const Cycle& c, unsigned callbacks);

enum class Metric { syscall_ns, exit_ns };
std::string_view metric_name(Metric m);
std::vector<double> metric_sample(const Results& r, std::string_view strategy, Metric m);

// Strategies in results order, then any that only appear in cycles.
std::vector<std::string> strategies_present(const Results& r);

std::string results_to_json(const Results& r);  // includes the per-strategy summary
Result<Results> results_from_json(std::string_view text);
Result<Results> load_results(const std::string& path);
std::optional<std::string> save_results(const std::string& path, const Results& r);  // error text

}  // namespace rcu_unload
