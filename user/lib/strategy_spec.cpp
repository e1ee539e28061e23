#include "rcu_unload/strategy_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rcu_unload {

std::optional<StrategySpec> parse_strategy_spec(std::string_view spec) {
  StrategySpec parsed;
  if (spec.size() > kKnobsSuffix.size() && spec.substr(spec.size() - kKnobsSuffix.size()) == kKnobsSuffix) {
    parsed.knobs = true;
    spec.remove_suffix(kKnobsSuffix.size());
  }
  if (!is_known_strategy(spec) && spec != kEveryStrategy) return std::nullopt;
  parsed.name = std::string(spec);
  return parsed;
}

std::vector<std::string> spec_texts(const std::vector<StrategySpec>& specs) {
  std::vector<std::string> texts;
  for (const auto& spec : specs) texts.push_back(spec.text());
  return texts;
}

Result<std::vector<StrategySpec>> expand_every_strategy(const std::vector<StrategySpec>& specs,
                                                        std::string_view applies) {
  std::vector<std::string_view> applying;
  for (std::size_t from = 0; from < applies.size();) {
    const auto comma = std::min(applies.find(',', from), applies.size());
    const auto name = applies.substr(from, comma - from);
    from = comma + 1;
    if (name.empty()) continue;
    if (!is_known_strategy(name))
      return error(fmt::format("the module says strategy '{}' applies, which this harness does not know "
                               "(built from another rcu_unload.h?)",
                               name));
    applying.push_back(name);
  }
  std::vector<StrategySpec> expanded;
  for (const auto& spec : specs) {
    if (!spec.is_every()) {
      expanded.push_back(spec);
      continue;
    }
    const auto before = expanded.size();
    for (const auto& strategy : kStrategies)
      if (strategy.name != kUnsafeStrategy &&
          std::find(applying.begin(), applying.end(), strategy.name) != applying.end())
        expanded.push_back({std::string(strategy.name), spec.knobs});
    if (expanded.size() == before)
      return error(fmt::format("{} names no strategy: the module says only '{}' apply", spec.text(), applies));
  }
  return expanded;
}

}  // namespace rcu_unload
