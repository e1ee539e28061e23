#pragma once
// A strategy as `run` and `verify` take it and as results name it: a module strategy, optionally
// with "+knobs" (the harness sets the kernel's runtime RCU knobs around that cycle's removal, see
// knobs.hpp) or "+GROUP" for some of them (kKnobGroups, e.g. kick+expedited+fqs), or `all`, which
// a run expands to the strategies that apply on its kernel.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/contract.hpp"
#include "rcu_unload/knobs.hpp"
#include "rcu_unload/result.hpp"

namespace rcu_unload {

inline constexpr std::string_view kKnobsSuffix = "+knobs";
inline constexpr std::string_view kEveryStrategy = "all";
static_assert(!is_known_strategy(kEveryStrategy), "`all` would hide a module strategy of that name");
// The only strategy of a module that is not rcu_unload: insmod and rmmod, nothing injected.
inline constexpr std::string_view kPlainStrategy = "plain";
static_assert(!is_known_strategy(kPlainStrategy), "`plain` would hide a module strategy of that name");
// The resident expediter (rcu_unload_expediter.ko) switched on around that cycle's removal.
inline constexpr std::string_view kExpediteSuffix = "+expedite";

struct StrategySpec {
  std::string name;  // what the module is loaded with (strategy=NAME), `all`, or `plain` (a foreign module)
  KnobSet knobs = 0;
  bool expedite = false;  // +expedite: the resident expediter is on during the removal

  bool is_every() const { return name == kEveryStrategy; }
  bool is_plain() const { return name == kPlainStrategy; }
  std::string text() const;  // NAME[+expedite][+knobs|+GROUP...]
  bool operator==(const StrategySpec& other) const {
    return name == other.name && knobs == other.knobs && expedite == other.expedite;
  }
};

// nullopt unless `spec` is a known strategy, `all` or `plain`, optionally followed by "+expedite",
// "+knobs" or "+GROUP"s, each suffix once, in any order.
std::optional<StrategySpec> parse_strategy_spec(std::string_view spec);

std::vector<std::string> spec_texts(const std::vector<StrategySpec>& specs);

// `all` and `all+knobs` replaced in place by every strategy of `applies` (the module's init record:
// the strategies that apply to its flavor on the running kernel) but unsafe-none, in the order of
// rcu_unload.h, with the knobs flag of the `all` they replace. An error names a strategy of
// `applies` this harness does not know, or an `all` that expands to nothing.
Result<std::vector<StrategySpec>> expand_every_strategy(const std::vector<StrategySpec>& specs,
                                                        std::string_view applies);

}  // namespace rcu_unload
