#pragma once
// The command line lives in the library so tests can parse argv arrays exactly as main() does.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/result.hpp"

namespace rcu_unload {

// The unload strategies the module knows (docs/interfaces.md); the only list in the harness.
inline constexpr std::array<std::string_view, 8> kStrategies = {
    "barrier", "sync-exp", "force-qs", "force-qs-own", "boost", "direct", "auto", "unsafe-none"};

bool is_known_strategy(std::string_view name);

// A strategy as given on the command line: a module strategy, optionally with "+knobs" (the
// harness sets the kernel's runtime RCU knobs around that cycle's removal, see knobs.hpp).
inline constexpr std::string_view kKnobsSuffix = "+knobs";

struct StrategySpec {
  std::string name;  // what the module is loaded with (strategy=NAME)
  bool knobs = false;
};

// nullopt unless `spec` is a known strategy, optionally followed by "+knobs".
std::optional<StrategySpec> parse_strategy_spec(std::string_view spec);

inline constexpr unsigned kMaxCallbacks = 1'000'000;

// Module options the harness sets itself and `--param` must not override.
inline constexpr std::array<std::string_view, 3> kOwnedParams = {"callbacks", "tag", "strategy"};

// Why `param` is not a usable `--param KEY=VALUE`; nullopt when it is.
std::optional<std::string> param_problem(std::string_view param);

// `verify --expect-pick SPEC=PICK`: the cycles of strategy spec SPEC must have run PICK, a module
// strategy other than auto (auto is what asks the module to pick).
struct ExpectedPick {
  std::string spec;
  std::string pick;
};

// An error saying why unless `arg` is SPEC=PICK with a spec parse_strategy_spec accepts and PICK a
// known strategy other than auto.
Result<ExpectedPick> parse_expected_pick(std::string_view arg);

enum class Command { run, report, verify, matrix };

struct Options {
  Command command = Command::run;
  // run
  std::string module;
  unsigned cycles = 20;
  bool cycles_given = false;
  std::vector<std::string> strategies;  // specs in the order given; run defaults to {"barrier"}
  std::vector<unsigned> callbacks;      // in the order given; run defaults to {1000}
  std::vector<std::string> params;      // extra KEY=VALUE module options for every cycle
  std::string json;
  std::uint64_t tag_base = 1;
  // report / verify / matrix
  std::vector<std::string> inputs;
  std::string plot;
  bool markdown = false;
  std::map<std::string, std::string> expected_picks;  // verify: strategy spec -> what its cycles must pick
};

struct ParsedOptions {
  std::optional<Options> options;  // nullopt: exit now with exit_code after printing output
  int exit_code = 0;
  std::string output;  // help text or the usage error, for the caller to print
};

ParsedOptions parse_options(int argc, const char* const* argv);
ParsedOptions parse_options(const std::vector<std::string>& args);  // args[0] is the program name

}  // namespace rcu_unload
