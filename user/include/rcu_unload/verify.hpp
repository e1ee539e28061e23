#pragma once
// The pass/fail check the QEMU integration tests run on a results JSON.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/results.hpp"
#include "rcu_unload/strategy_spec.hpp"

namespace rcu_unload {

// A run of `cycles` per combination over S strategies and C callbacks values is cycles
// 0..cycles*S*C-1, cycle i with cycle_combination(i, S, C) (what `run --cycles cycles*S*C` with the
// same --strategy and --callbacks lists produces).
struct Expectation {
  std::optional<unsigned> cycles;       // per strategy x callbacks; default: whatever the file has
  // Default: the file's own list. `all` (or all+knobs) stands for what the run expanded it to: the
  // file's specs, each of which must then be one given here or, but unsafe-none, one `all` yields.
  std::vector<StrategySpec> strategies;
  std::vector<unsigned> callbacks;      // default: the file's own list
  // Strategy spec -> the strategy every cycle of that spec must have picked (e.g. auto -> direct);
  // a spec without cycles is a problem too, or a misspelt run would pass unchecked.
  std::map<std::string, std::string> picks;
};

// One line per problem; empty means the results pass.
std::vector<std::string> verify_results(const Results& r, const Expectation& expect);

}  // namespace rcu_unload
