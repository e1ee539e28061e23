#include "rcu_unload/options.hpp"

#include "rcu_unload/result.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <limits>
#include <sstream>

namespace rcu_unload {

bool is_known_strategy(std::string_view name) {
  return std::find(kStrategies.begin(), kStrategies.end(), name) != kStrategies.end();
}

std::optional<StrategySpec> parse_strategy_spec(std::string_view spec) {
  StrategySpec s;
  if (spec.size() > kKnobsSuffix.size() && spec.substr(spec.size() - kKnobsSuffix.size()) == kKnobsSuffix) {
    s.knobs = true;
    spec.remove_suffix(kKnobsSuffix.size());
  }
  if (!is_known_strategy(spec)) return std::nullopt;
  s.name = std::string(spec);
  return s;
}

std::optional<std::string> param_problem(std::string_view param) {
  auto equals = param.find('=');
  auto key = param.substr(0, equals);
  auto key_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (equals == std::string_view::npos || key.empty() || equals + 1 == param.size() ||
      !std::all_of(key.begin(), key.end(), key_char))
    return "'" + std::string(param) + "' is not KEY=VALUE (KEY of letters, digits and _, VALUE not empty)";
  auto value = param.substr(equals + 1);
  if (std::any_of(value.begin(), value.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return "the value in '" + std::string(param) + "' contains blanks";
  if (std::find(kOwnedParams.begin(), kOwnedParams.end(), key) != kOwnedParams.end())
    return "'" + std::string(key) + "' is set by the harness (use --" + std::string(key) + (key == "tag" ? "-base" : "") +
           " instead of --param)";
  return std::nullopt;
}

namespace {

std::string strategy_list(std::string_view except = {}) {
  std::string list;
  for (auto s : kStrategies)
    if (s != except) list += (list.empty() ? "" : ", ") + std::string(s);
  return list;
}

std::string unknown_spec(std::string_view spec) {
  return "unknown strategy '" + std::string(spec) + "' (known: " + strategy_list() + "; each may end in " +
         std::string(kKnobsSuffix) + ")";
}

}  // namespace

Result<ExpectedPick> parse_expected_pick(std::string_view arg) {
  const auto equals = arg.find('=');
  if (equals == std::string_view::npos)
    return error("'" + std::string(arg) + "' is not SPEC=PICK (e.g. auto=direct)");
  ExpectedPick expected{std::string(arg.substr(0, equals)), std::string(arg.substr(equals + 1))};
  if (!parse_strategy_spec(expected.spec)) return error(unknown_spec(expected.spec) + " in '" + std::string(arg) + "'");
  if (expected.pick == "auto" || !is_known_strategy(expected.pick))
    return error("'" + expected.pick + "' in '" + std::string(arg) + "' is not a strategy the module picks (one of " +
                 strategy_list("auto") + ")");
  return expected;
}

namespace {

CLI::Validator strategy_validator() {
  return CLI::Validator(
      [](const std::string& value) { return parse_strategy_spec(value) ? std::string{} : unknown_spec(value); },
      "STRATEGY[+knobs] with STRATEGY in {" + strategy_list() + "}");
}

void add_strategies(CLI::App& cmd, Options& o, const char* what) {
  cmd.add_option("--strategy", o.strategies, what)->check(strategy_validator())->take_all();
}

void add_callbacks(CLI::App& cmd, Options& o, const char* what) {
  cmd.add_option("--callbacks", o.callbacks, what)->check(CLI::Range(0u, kMaxCallbacks))->take_all();
}

std::optional<std::string> duplicate_callbacks(std::vector<unsigned> values) {
  std::sort(values.begin(), values.end());
  auto dup = std::adjacent_find(values.begin(), values.end());
  if (dup == values.end()) return std::nullopt;
  return "--callbacks " + std::to_string(*dup) + " is given twice\n";
}

// Each argument already passed the option's validator; a spec given twice would ask for two picks.
Result<std::map<std::string, std::string>> expected_pick_map(const std::vector<std::string>& args) {
  std::map<std::string, std::string> picks;
  for (const auto& arg : args) {
    auto expected = parse_expected_pick(arg);
    if (!expected) return error(expected.error() + "\n");
    if (!picks.emplace(expected->spec, expected->pick).second)
      return error("--expect-pick for " + expected->spec + " is given twice\n");
  }
  return picks;
}

}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
  Options o;
  CLI::App app{"Load and unload rcu_unload.ko in loops and time the unload strategies"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "load/unload the module in cycles (root, inside the test guest)");
  run->add_option("--module", o.module, "path of rcu_unload.ko")->required()->check(CLI::ExistingFile);
  run->add_option("--cycles", o.cycles, "total number of load/unload cycles")
      ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  add_strategies(*run, o,
                 "unload strategy, NAME or NAME+knobs (sets the kernel's RCU knobs around the removal); repeat to "
                 "interleave several cycle by cycle (default barrier)");
  add_callbacks(*run, o,
                "call_rcu callbacks enqueued per load; repeat to interleave strategies x callbacks cycle by cycle "
                "(default 1000)");
  run->add_option("--param", o.params, "extra module option KEY=VALUE for every cycle (repeatable)")
      ->check(CLI::Validator([](const std::string& p) { return param_problem(p).value_or(""); }, "KEY=VALUE"))
      ->take_all();
  run->add_option("--json", o.json, "write the results JSON here (also when interrupted)");
  run->add_option("--tag-base", o.tag_base, "tag of cycle 0; cycle i uses tag-base + i");

  auto* report = app.add_subcommand("report", "print tables (and a plot) from saved results");
  report->add_option("files", o.inputs, "results JSON files")->required()->check(CLI::ExistingFile);
  report->add_option("--plot", o.plot, "write latency plots (PNG) here");
  report->add_flag("--markdown", o.markdown, "print the tables as Markdown");

  auto* verify = app.add_subcommand("verify", "check a results JSON (exit 1 on any problem)");
  std::string verify_input;
  verify->add_option("file", verify_input, "results JSON file")->required()->check(CLI::ExistingFile);
  auto* cycles_opt = verify->add_option("--cycles", o.cycles,
                                        "expected cycles per strategy x callbacks combination (run got this times "
                                        "the number of combinations)")
                         ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  add_strategies(*verify, o, "expected strategies, in the order given to run");
  add_callbacks(*verify, o, "expected callbacks values, in the order given to run");
  std::vector<std::string> expect_picks;
  verify
      ->add_option("--expect-pick", expect_picks,
                   "SPEC=PICK: every cycle of strategy spec SPEC must have picked PICK, e.g. auto=direct (repeatable)")
      ->check(CLI::Validator(
          [](const std::string& arg) {
            auto expected = parse_expected_pick(arg);
            return expected ? std::string{} : expected.error();
          },
          "SPEC=PICK"))
      ->take_all();

  auto* matrix = app.add_subcommand(
      "matrix", "summarize a kernel matrix, a row per configuration (exit 1 unless every one passed)");
  std::string matrix_input;
  matrix->add_option("tsv", matrix_input, "lines LABEL<TAB>STATUS<TAB>RESULTS_JSON (the path may be empty)")
      ->required()
      ->check(CLI::ExistingFile);
  matrix->add_flag("--markdown", o.markdown, "print the table as Markdown");

  std::ostringstream out, err;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return {std::nullopt, code == 0 ? 0 : kExitUsage, out.str() + err.str()};
  }
  if (auto dup = duplicate_callbacks(o.callbacks)) return {std::nullopt, kExitUsage, *dup};

  if (run->parsed()) {
    o.command = Command::run;
    if (o.strategies.empty()) o.strategies = {"barrier"};
    if (o.callbacks.empty()) o.callbacks = {1000};
  } else if (report->parsed()) {
    o.command = Command::report;
  } else if (matrix->parsed()) {
    o.command = Command::matrix;
    o.inputs = {matrix_input};
  } else {
    o.command = Command::verify;
    o.inputs = {verify_input};
    o.cycles_given = cycles_opt->count() > 0;
    auto picks = expected_pick_map(expect_picks);
    if (!picks) return {std::nullopt, kExitUsage, picks.error()};
    o.expected_picks = std::move(*picks);
  }
  return {std::move(o), 0, {}};
}

ParsedOptions parse_options(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace rcu_unload
