#pragma once
// The command line: an options struct per subcommand, each holding the plain configuration its
// engine takes (runner.hpp, verify.hpp, ...), so the engine never sees CLI11. A library rather
// than main.cpp so that tests parse argv arrays exactly as main() does.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rcu_unload/progress.hpp"
#include "rcu_unload/report.hpp"
#include "rcu_unload/result.hpp"
#include "rcu_unload/runner.hpp"
#include "rcu_unload/strategy_spec.hpp"
#include "rcu_unload/stress.hpp"
#include "rcu_unload/verify.hpp"

namespace rcu_unload {

// Module options the harness sets itself and `--param` must not override.
inline constexpr std::array<std::string_view, 3> kOwnedParams = {"callbacks", "tag", "strategy"};

// Why `param` is not a usable `--param KEY=VALUE`; nullopt when it is. Keys and values are left
// to the module, whose refusal names the reason.
std::optional<std::string> param_problem(std::string_view param);

// `verify --expect-pick SPEC=PICK`: the cycles of strategy spec SPEC must have run PICK, a module
// strategy other than auto (auto is what asks the module to pick).
struct ExpectedPick {
  std::string spec;
  std::string pick;
};

// An error saying why unless `arg` is SPEC=PICK with SPEC a spec naming one strategy (not `all`)
// and PICK a known strategy other than auto.
Result<ExpectedPick> parse_expected_pick(std::string_view arg);

struct RunOptions {
  std::string module;     // path of rcu_unload.ko or of any module, or a module name (modules.dep)
  std::string expediter;  // rcu_unload_expediter.ko for +expedite; empty: default_expediter_path()
  std::string json;       // where to write the results; empty: nowhere
  RunConfig config;
  Verbosity verbosity = Verbosity::normal;  // --quiet / --verbose
};

// report's output on stdout: the tables (text or Markdown), or one file's results as JSON, CSV or KTAP.
enum class ReportFormat { table, json, csv, ktap };

struct ReportOptions {
  std::vector<std::string> files;
  std::string plot;  // PNG (or SVG for a path ending in .svg) to write; empty: none
  TableStyle style = TableStyle::text;
  ReportFormat format = ReportFormat::table;
};

struct CompareOptions {
  std::string old_file, new_file;
  double threshold = 0.10;  // a fraction
  Metric metric = Metric::total_ns;
  TableStyle style = TableStyle::text;
};

struct EnvOptions {
  bool json = false;
  std::string module;  // rcu_unload.ko to probe (root): which strategies and whether the kick apply
  std::vector<std::string> params;
};

struct VerifyOptions {
  std::string file;
  Expectation expect;
};

struct MatrixOptions {
  std::string tsv;
  TableStyle style = TableStyle::text;
};

// stress: the module is a file (default /rcu_unload.ko, where the guests carry it).
inline constexpr std::string_view kStressDefaultModule = "/rcu_unload.ko";
struct StressOptions {
  StressConfig config;
  std::string json;  // the journal/results as run --json writes them; empty: nowhere
};

using Subcommand =
    std::variant<RunOptions, ReportOptions, VerifyOptions, MatrixOptions, CompareOptions, EnvOptions, StressOptions>;

struct ParsedOptions {
  std::optional<Subcommand> command;  // nullopt: exit now with exit_code after printing output
  int exit_code = 0;
  std::string output;  // help text or the usage error, for the caller to print
};

ParsedOptions parse_options(int argc, const char* const* argv);
ParsedOptions parse_options(const std::vector<std::string>& args);  // args[0] is the program name

}  // namespace rcu_unload
