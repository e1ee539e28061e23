#include "rcu_unload/strategy_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rcu_unload {

std::optional<StrategySpec> parse_strategy_spec(std::string_view spec) {
  StrategySpec parsed;
  const auto plus = std::min(spec.find('+'), spec.size());
  const auto name = spec.substr(0, plus);
  if (!is_known_strategy(name) && name != kEveryStrategy && name != kPlainStrategy) return std::nullopt;
  parsed.name = std::string(name);
  for (auto rest = spec.substr(plus); !rest.empty();) {
    rest.remove_prefix(1);
    const auto suffix = rest.substr(0, std::min(rest.find('+'), rest.size()));
    rest.remove_prefix(suffix.size());
    KnobSet named = 0;
    if ("+" + std::string(suffix) == kExpediteSuffix) {
      if (parsed.expedite) return std::nullopt;
      parsed.expedite = true;
      continue;
    }
    if ("+" + std::string(suffix) == kKnobsSuffix) {
      named = kAllKnobs;
    } else {
      const auto group = std::find(kKnobGroups.begin(), kKnobGroups.end(), suffix);
      if (group == kKnobGroups.end()) return std::nullopt;
      named = 1U << (group - kKnobGroups.begin());
    }
    if (parsed.knobs & named) return std::nullopt;
    parsed.knobs |= named;
  }
  return parsed;
}

std::string StrategySpec::text() const {
  std::string text = name + (expedite ? std::string(kExpediteSuffix) : std::string());
  if (knobs == kAllKnobs) return text + std::string(kKnobsSuffix);
  for (std::size_t group = 0; group < kKnobGroups.size(); ++group)
    if (knobs & (1U << group)) text += "+" + std::string(kKnobGroups[group]);
  return text;
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
        expanded.push_back({std::string(strategy.name), spec.knobs, spec.expedite});
    if (expanded.size() == before)
      return error(fmt::format("{} names no strategy: the module says only '{}' apply", spec.text(), applies));
  }
  return expanded;
}

}  // namespace rcu_unload
