#include "rcu_unload/verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "rcu_unload/system_info.hpp"

namespace rcu_unload {

namespace {

// Whether `all` or `all+knobs` among `expected` yields the file's spec `text`.
bool yielded_by_every(const std::string& text, const std::vector<StrategySpec>& expected) {
  const auto spec = parse_strategy_spec(text);
  if (!spec || spec->is_every() || spec->name == kUnsafeStrategy) return false;
  return std::any_of(expected.begin(), expected.end(),
                     [&](const StrategySpec& e) { return e.is_every() && e.knobs == spec->knobs; });
}

// The specs the cycles must follow, and what is wrong with the file's list against the expected one.
std::vector<std::string> expected_strategies(const Results& r, const Expectation& expect,
                                             std::vector<std::string>& problems) {
  const auto texts = spec_texts(expect.strategies);
  if (expect.strategies.empty()) return r.strategies;
  const bool expanded = std::any_of(expect.strategies.begin(), expect.strategies.end(),
                                    [](const StrategySpec& s) { return s.is_every(); });
  if (!expanded) {
    if (r.strategies != texts)
      problems.push_back(
          fmt::format("strategies are [{}], expected [{}]", fmt::join(r.strategies, ", "), fmt::join(texts, ", ")));
    return texts;
  }
  for (const auto& text : r.strategies)
    if (std::find(texts.begin(), texts.end(), text) == texts.end() && !yielded_by_every(text, expect.strategies))
      problems.push_back(fmt::format("strategy {} in the results is none of [{}]", text, fmt::join(texts, ", ")));
  return r.strategies;
}

}  // namespace

std::vector<std::string> verify_results(const Results& r, const Expectation& expect) {
  std::vector<std::string> problems;
  auto add = [&](std::string p) { problems.push_back(std::move(p)); };

  if (r.interrupted) add("the run was interrupted");
  for (const auto& e : r.errors) add("run error: " + e);
  if (r.new_taint) add(fmt::format("the kernel became tainted during the run: {}", describe_taint(r.new_taint)));

  const auto strategies = expected_strategies(r, expect, problems);
  if (strategies.empty()) add("no strategies in the results");
  const auto& callbacks = expect.callbacks.empty() ? r.callbacks : expect.callbacks;
  if (!expect.callbacks.empty() && r.callbacks != expect.callbacks)
    add(fmt::format("callbacks are [{}], expected [{}]", fmt::join(r.callbacks, ", "), fmt::join(expect.callbacks, ", ")));
  if (callbacks.empty()) add("no callbacks values in the results");
  const std::size_t combinations = strategies.size() * callbacks.size();
  const auto cycles = expect.cycles ? std::size_t{*expect.cycles} * combinations : r.cycles.size();
  if (cycles == 0) add("no cycles in the results");

  auto expected_at = [&](std::size_t i) {
    auto combo = cycle_combination(i, strategies.size(), callbacks.size());
    return std::make_pair(strategies[combo.strategy], callbacks[combo.callbacks]);
  };
  auto name = [](const std::pair<std::string, unsigned>& key) { return fmt::format("{} cb={}", key.first, key.second); };
  std::map<std::pair<std::string, unsigned>, unsigned> expected_count, found_count;
  // Each combination runs exactly N times in N*S*C cycles: counted per combination, not per cycle
  // (verify --cycles 4294967295 must not walk billions of cycles).
  if (expect.cycles) {
    for (std::size_t k = 0; k < combinations; ++k) expected_count[expected_at(k)] += *expect.cycles;
  } else {
    for (std::size_t i = 0; i < cycles && combinations > 0; ++i) ++expected_count[expected_at(i)];
  }
  for (const auto& c : r.cycles) ++found_count[{c.strategy, c.callbacks}];
  for (const auto& [key, n] : expected_count)
    if (found_count[key] != n) add(fmt::format("{}: {} cycles, expected {}", name(key), found_count[key], n));
  if (r.cycles.size() != cycles) add(fmt::format("{} cycles in the results, expected {}", r.cycles.size(), cycles));

  for (std::size_t i = 0; i < r.cycles.size(); ++i) {
    const Cycle& c = r.cycles[i];
    auto where = fmt::format("cycle {} ({} cb={})", c.cycle, c.strategy, c.callbacks);
    if (c.cycle != i) add(fmt::format("{}: found at position {}", where, i));
    if (combinations > 0 && std::make_pair(c.strategy, c.callbacks) != expected_at(i))
      add(fmt::format("{}: expected {}", where, name(expected_at(i))));
    for (const auto& p : cycle_problems(c)) add(fmt::format("{}: {}", where, p));
  }

  for (const auto& [spec, pick] : expect.picks) {
    bool checked = false;
    for (const auto& c : r.cycles) {
      if (c.strategy != spec) continue;
      checked = true;
      if (c.exit.picked != pick)
        add(fmt::format("cycle {} ({}): picked {}, expected {}", c.cycle, spec,
                        c.exit.picked.empty() ? "nothing" : c.exit.picked, pick));
    }
    if (!checked) add(fmt::format("no {} cycles to check the pick {} against", spec, pick));
  }
  return problems;
}

}  // namespace rcu_unload
