#pragma once
// The pass/fail check the QEMU integration tests run on a results JSON.
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/results.hpp"

namespace rcu_unload {

// A run of `cycles` per strategy over k strategies is cycles 0..cycles*k-1, cycle i with
// strategies[i % k] (what `run --cycles cycles*k` with the same --strategy list produces).
struct Expectation {
  std::optional<unsigned> cycles;       // per strategy; default: whatever the file has
  std::vector<std::string> strategies;  // default: the file's own list
};

// One line per problem; empty means the results pass.
std::vector<std::string> verify_results(const Results& r, const Expectation& expect);

}  // namespace rcu_unload
