#include "rcu_unload/verify.hpp"

#include <fmt/format.h>

#include <map>

#include "rcu_unload/system_info.hpp"

namespace rcu_unload {

std::vector<std::string> verify_results(const Results& r, const Expectation& expect) {
  std::vector<std::string> problems;
  auto add = [&](std::string p) { problems.push_back(std::move(p)); };

  if (r.interrupted) add("the run was interrupted");
  for (const auto& e : r.errors) add("run error: " + e);
  if (r.new_taint) add(fmt::format("the kernel became tainted during the run: {}", describe_taint(r.new_taint)));

  const auto& strategies = expect.strategies.empty() ? r.strategies : expect.strategies;
  if (!expect.strategies.empty() && r.strategies != expect.strategies)
    add(fmt::format("strategies are [{}], expected [{}]", fmt::join(r.strategies, ", "), fmt::join(expect.strategies, ", ")));
  if (strategies.empty()) add("no strategies in the results");
  const auto cycles = expect.cycles ? std::size_t{*expect.cycles} * strategies.size() : r.cycles.size();
  if (cycles == 0) add("no cycles in the results");

  std::map<std::string, unsigned> expected_count, found_count;
  for (std::size_t i = 0; i < cycles && !strategies.empty(); ++i) ++expected_count[strategies[i % strategies.size()]];
  for (const auto& c : r.cycles) ++found_count[c.strategy];
  for (const auto& [name, n] : expected_count)
    if (found_count[name] != n) add(fmt::format("strategy {}: {} cycles, expected {}", name, found_count[name], n));
  if (r.cycles.size() != cycles) add(fmt::format("{} cycles in the results, expected {}", r.cycles.size(), cycles));

  for (std::size_t i = 0; i < r.cycles.size(); ++i) {
    const Cycle& c = r.cycles[i];
    auto where = fmt::format("cycle {} ({})", c.cycle, c.strategy);
    if (c.cycle != i) add(fmt::format("{}: found at position {}", where, i));
    if (!strategies.empty() && c.strategy != strategies[i % strategies.size()])
      add(fmt::format("{}: expected strategy {}", where, strategies[i % strategies.size()]));
    for (const auto& p : cycle_problems(c, r.callbacks)) add(fmt::format("{}: {}", where, p));
  }
  return problems;
}

}  // namespace rcu_unload
