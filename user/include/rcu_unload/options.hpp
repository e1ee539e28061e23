#pragma once
// The command line lives in the library so tests can parse argv arrays exactly as main() does.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcu_unload {

// The unload strategies the module knows (docs/interfaces.md); the only list in the harness.
inline constexpr std::array<std::string_view, 7> kStrategies = {
    "barrier", "sync-exp", "force-qs", "boost", "direct", "auto", "unsafe-none"};

bool is_known_strategy(std::string_view name);

inline constexpr unsigned kMaxCallbacks = 1'000'000;

enum class Command { run, report, verify };

struct Options {
  Command command = Command::run;
  // run
  std::string module;
  unsigned cycles = 20;
  bool cycles_given = false;
  std::vector<std::string> strategies;  // in the order given; run defaults to {"barrier"}
  unsigned callbacks = 1000;
  std::string json;
  std::uint64_t tag_base = 1;
  // report / verify
  std::vector<std::string> inputs;
  std::string plot;
};

struct ParsedOptions {
  std::optional<Options> options;  // nullopt: exit now with exit_code after printing output
  int exit_code = 0;
  std::string output;  // help text or the usage error, for the caller to print
};

ParsedOptions parse_options(int argc, const char* const* argv);
ParsedOptions parse_options(const std::vector<std::string>& args);  // args[0] is the program name

}  // namespace rcu_unload
