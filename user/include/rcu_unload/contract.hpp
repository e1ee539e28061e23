#pragma once
// The lists of include/uapi/rcu_unload.h as the harness's tables. That header is the only place a
// strategy, a module parameter or a record key is written; everything here is expanded from it.
#include <array>
#include <climits>  // rcu_unload.h's parameter list bounds `tag` by ULONG_MAX
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "rcu_unload.h"

namespace rcu_unload {

struct StrategyInfo {
  std::string_view name;  // what the module's strategy parameter takes
  std::string_view help;
};

#define RU_HARNESS_STRATEGY_INFO(ident, name, help) StrategyInfo{name, help},
// In the header's order.
inline constexpr std::array kStrategies = {RU_STRATEGY_LIST(RU_HARNESS_STRATEGY_INFO)};
#undef RU_HARNESS_STRATEGY_INFO

constexpr bool is_known_strategy(std::string_view name) {
  for (const auto& s : kStrategies)
    if (s.name == name) return true;
  return false;
}

// The strategies the harness itself gives a meaning to, checked against the list at compile time.
inline constexpr std::string_view kAutoStrategy = "auto";          // asks the module to pick
inline constexpr std::string_view kUnsafeStrategy = "unsafe-none";  // never part of `all`
inline constexpr std::string_view kBaselineStrategy = "barrier";   // what the report compares with
static_assert(is_known_strategy(kAutoStrategy) && is_known_strategy(kUnsafeStrategy) &&
              is_known_strategy(kBaselineStrategy));

#define RU_HARNESS_FLAVOR_NAME(ident, name, help) std::string_view{name},
// The flavor parameter's names, the default first.
inline constexpr std::array kFlavors = {RU_FLAVOR_LIST(RU_HARNESS_FLAVOR_NAME)};
#undef RU_HARNESS_FLAVOR_NAME

struct ModuleParam {
  std::string_view name;
  unsigned long long min = 0;
  unsigned long long max = 0;
};

#define RU_HARNESS_MODULE_PARAM(name, type, default_value, min, max, description) ModuleParam{#name, min, max},
inline constexpr std::array kModuleParams = {RU_PARAM_LIST(RU_HARNESS_MODULE_PARAM)};
#undef RU_HARNESS_MODULE_PARAM

constexpr ModuleParam module_param(std::string_view name) {
  for (const auto& p : kModuleParams)
    if (p.name == name) return p;
  return {};
}

inline constexpr unsigned kMaxCallbacks = static_cast<unsigned>(module_param("callbacks").max);
static_assert(kMaxCallbacks > 0, "rcu_unload.h lists no callbacks parameter");

inline constexpr unsigned kRecordVersion = RU_RECORD_VERSION;

// The C++ type of each record field type the header names.
namespace record_field_type {
using u64 = std::uint64_t;
using str = std::string;
}  // namespace record_field_type

using RecordKeyValues = std::map<std::string, std::string, std::less<>>;

#define RU_HARNESS_RECORD_MEMBER(key, type, help) record_field_type::type key{};
#define RU_HARNESS_RECORD_VISIT(key, type, help) visit(std::string_view{#key}, self.key);
// A record's fields as typed members, one per key of LIST, plus the keys this harness does not
// know (a newer module's). for_each_field(record, visit) calls visit(key, member) for every key in
// the header's order: the field table the record parser and the results JSON share.
#define RU_HARNESS_RECORD(Name, record_kind, LIST)                                    \
  struct Name {                                                                       \
    static constexpr std::string_view kind = record_kind;                             \
    LIST(RU_HARNESS_RECORD_MEMBER)                                                    \
    RecordKeyValues unknown;                                                          \
    template <class Self, class Visit>                                                \
    static void for_each_field(Self& self, Visit&& visit) {                           \
      LIST(RU_HARNESS_RECORD_VISIT)                                                   \
    }                                                                                 \
  };

RU_HARNESS_RECORD(InitRecord, "init", RU_INIT_RECORD)
RU_HARNESS_RECORD(ExitRecord, "exit", RU_EXIT_RECORD)

#undef RU_HARNESS_RECORD
#undef RU_HARNESS_RECORD_VISIT
#undef RU_HARNESS_RECORD_MEMBER

}  // namespace rcu_unload
