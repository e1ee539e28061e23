#include "rcu_unload/options.hpp"

#include "rcu_unload/module_loader.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cctype>
#include <limits>
#include <sstream>

#include "rcu_unload/environment.hpp"
#include "rcu_unload/outputs.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

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
  for (const auto& s : kStrategies)
    if (s.name != except) list += (list.empty() ? "" : ", ") + std::string(s.name);
  return list;
}

std::string unknown_spec(std::string_view spec) {
  return "unknown strategy '" + std::string(spec) + "' (known: " + strategy_list() + ", or " +
         std::string(kEveryStrategy) + ", or " + std::string(kPlainStrategy) + " for a module that is not rcu_unload; " +
         "each may end in " + std::string(kExpediteSuffix) + ", " + std::string(kKnobsSuffix) + " or +GROUP for " +
         fmt::format("{}", fmt::join(kKnobGroups, ", ")) + ")";
}

}  // namespace

Result<ExpectedPick> parse_expected_pick(std::string_view arg) {
  const auto equals = arg.find('=');
  if (equals == std::string_view::npos)
    return error("'" + std::string(arg) + "' is not SPEC=PICK (e.g. auto=direct)");
  ExpectedPick expected{std::string(arg.substr(0, equals)), std::string(arg.substr(equals + 1))};
  const auto spec = parse_strategy_spec(expected.spec);
  if (!spec) return error(unknown_spec(expected.spec) + " in '" + std::string(arg) + "'");
  if (spec->is_every())
    return error("'" + expected.spec + "' in '" + std::string(arg) + "' is not one strategy (expect a pick per strategy)");
  if (expected.pick == kAutoStrategy || !is_known_strategy(expected.pick))
    return error("'" + expected.pick + "' in '" + std::string(arg) + "' is not a strategy the module picks (one of " +
                 strategy_list(kAutoStrategy) + ")");
  return expected;
}

namespace {

std::string strategy_help() {
  std::string help = "\n";
  for (const auto& s : kStrategies) help += "  " + std::string(s.name) + ": " + std::string(s.help) + "\n";
  return help + "  " + std::string(kEveryStrategy) +
         ": every strategy that applies on this kernel (the module's init record says which), but " +
         std::string(kUnsafeStrategy);
}

// Specs are checked here and converted once after parsing (to_specs); the engine takes them parsed.
void add_strategies(CLI::App& cmd, std::vector<std::string>& texts, const std::string& what) {
  cmd.add_option("--strategy", texts, what)
      ->check(CLI::Validator(
          [](const std::string& value) { return parse_strategy_spec(value) ? std::string{} : unknown_spec(value); },
          "STRATEGY[+knobs]"))
      ->take_all();
}

std::vector<StrategySpec> to_specs(const std::vector<std::string>& texts) {
  std::vector<StrategySpec> specs;
  for (const auto& text : texts) specs.push_back(*parse_strategy_spec(text));
  return specs;
}

void add_callbacks(CLI::App& cmd, std::vector<unsigned>& values, const char* what) {
  cmd.add_option("--callbacks", values, what)->check(CLI::Range(0u, kMaxCallbacks))->take_all();
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

TableStyle table_style(bool markdown) { return markdown ? TableStyle::markdown : TableStyle::text; }

}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
  CLI::App app{"Load and unload rcu_unload.ko in loops and time the unload strategies"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("rcu-unload ") + harness_version());

  RunOptions run_options;
  RunConfig& config = run_options.config;
  config.cycles = 20;
  std::vector<std::string> run_specs;
  auto* run = app.add_subcommand("run", "load/unload the module in cycles (root; in a QEMU test guest, or on a real machine: README, On a real machine)");
  // --- module lifecycle (issue 11, 13): --module PATH|NAME, --expediter, --unload-timeout ---
  run->add_option("--module", run_options.module,
                  "rcu_unload.ko, or any module: a path (.ko, .ko.xz, .ko.zst) or a name from the kernel's modules.dep")
      ->required()
      ->check(CLI::Validator(
          [](const std::string& m) {
            std::error_code ec;
            return looks_like_path(m) && !std::filesystem::is_regular_file(m, ec)
                       ? "module file " + m + " does not exist"
                       : std::string{};
          },
          "PATH|NAME"));
  run->add_option("--expediter", run_options.expediter,
                  "rcu_unload_expediter.ko for +expedite specs (default: next to --module, else /rcu_unload_expediter.ko)");
  double unload_timeout_s = 60;
  run->add_option("--unload-timeout", unload_timeout_s,
                  "seconds a removal may take before the harness reports the module's state and the remover's stack")
      ->check(CLI::Range(0.001, 86400.0));
  // --- end module lifecycle ---
  unsigned run_cycles_per = 20;
  run->add_option("--cycles", run_cycles_per,
                  "load/unload cycles per strategy spec x callbacks value (after `all` is expanded; default 20)")
      ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  bool quiet = false, verbose = false;
  auto* quiet_flag = run->add_flag("--quiet,-q", quiet, "print nothing but the errors (no progress, no table)");
  run->add_flag("--verbose,-v", verbose, "a line per cycle on stderr, also when it is not a terminal")
      ->excludes(quiet_flag);
  add_strategies(*run, run_specs,
                 "unload strategy, NAME or NAME+knobs (sets the kernel's RCU knobs around the removal; NAME+GROUP "
                 "only some: " + fmt::format("{}", fmt::join(kKnobGroups, ", ")) + "); repeat to "
                 "interleave several cycle by cycle (default " + std::string(kBaselineStrategy) + "). NAME is" +
                     strategy_help());
  std::vector<unsigned> run_callbacks;
  add_callbacks(*run, run_callbacks,
                "call_rcu callbacks enqueued per load; repeat to interleave strategies x callbacks cycle by cycle "
                "(default 1000)");
  run->add_option("--param", config.params, "extra module option KEY=VALUE for every cycle (repeatable)")
      ->check(CLI::Validator([](const std::string& p) { return param_problem(p).value_or(""); }, "KEY=VALUE"))
      ->take_all();
  run->add_option("--json", run_options.json, "write the results JSON here (also when interrupted)");
  run->add_option("--tag-base", config.tag_base, "tag of cycle 0; cycle i uses tag-base + i")
      ->check(CLI::Validator(
          [](const std::string& v) {
            return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos
                       ? std::string{}
                       : "--tag-base takes a whole number from 1, not '" + v + "'";
          },
          "N"))
      ->check(CLI::Range(std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max() / 2));

  ReportOptions report_options;
  bool markdown = false;
  auto* report = app.add_subcommand("report", "print tables (and a plot) from saved results");
  report->add_option("files", report_options.files, "results JSON files")->required()->check(CLI::ExistingFile);
  report->add_option("--plot", report_options.plot, "write latency plots here: PNG, or SVG for a name ending in .svg");
  auto* report_markdown = report->add_flag("--markdown", markdown, "print the tables as Markdown");
  bool as_json = false, as_csv = false, as_ktap = false;
  auto* json_flag = report->add_flag("--json", as_json, "print the results JSON (format 2) instead of tables");
  auto* csv_flag = report->add_flag("--csv", as_csv, "print one CSV row per cycle instead of tables");
  auto* ktap_flag = report->add_flag("--ktap", as_ktap,
                                     "print KTAP: a test per strategy x callbacks, ok when its cycles pass verify's checks");
  json_flag->excludes(csv_flag, ktap_flag, report_markdown);
  csv_flag->excludes(ktap_flag, report_markdown);
  ktap_flag->excludes(report_markdown);

  CompareOptions compare_options;
  std::string threshold_text = "10%", metric_text = "total_ns";
  auto* compare = app.add_subcommand(
      "compare", "compare two results files per strategy (exit 1 when one got slower beyond the threshold)");
  compare->add_option("old", compare_options.old_file, "the baseline results JSON")->required()->check(CLI::ExistingFile);
  compare->add_option("new", compare_options.new_file, "the results JSON to judge")->required()->check(CLI::ExistingFile);
  compare
      ->add_option("--threshold", threshold_text,
                   "how much slower a p50 may get before it counts, e.g. 10% or 0.1 (default 10%)")
      ->check(CLI::Validator(
          [](const std::string& v) { return parse_threshold(v) ? std::string{} : "'" + v + "' is not a threshold like 10%"; },
          "PERCENT"));
  compare->add_option("--metric", metric_text, "total_ns (the module's exit path, default), syscall_ns or wait_ns")
      ->check(CLI::IsMember({"total_ns", "syscall_ns", "wait_ns"}));
  bool compare_markdown = false;
  compare->add_flag("--markdown", compare_markdown, "print the table as Markdown");

  EnvOptions env_options;
  auto* env = app.add_subcommand("env", "what the harness sees: kernel, preempt model, RCU, HZ, CPUs, knobs, taint");
  env->add_flag("--json", env_options.json, "print it as one JSON object");
  env->add_option("--module", env_options.module,
                  "rcu_unload.ko: load it once with callbacks=0 (root) and add what its records say: the "
                  "strategies that apply, whether the kick does, the RCU type and preempt model")
      ->check(CLI::ExistingFile);
  env->add_option("--param", env_options.params, "KEY=VALUE for that load (e.g. flavor=srcu)");

  VerifyOptions verify_options;
  Expectation& expect = verify_options.expect;
  std::vector<std::string> verify_specs;
  unsigned verify_cycles = 0;
  auto* verify = app.add_subcommand("verify", "check a results JSON (exit 1 on any problem)");
  verify->add_option("file", verify_options.file, "results JSON file")->required()->check(CLI::ExistingFile);
  auto* cycles_opt = verify->add_option("--cycles", verify_cycles,
                                        "expected cycles per strategy x callbacks combination (run got this times "
                                        "the number of combinations)")
                         ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  add_strategies(*verify, verify_specs,
                 "expected strategies, in the order given to run (" + std::string(kEveryStrategy) +
                     ": those the run expanded it to)");
  add_callbacks(*verify, expect.callbacks, "expected callbacks values, in the order given to run");
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

  MatrixOptions matrix_options;
  auto* matrix = app.add_subcommand(
      "matrix", "summarize a kernel matrix, a row per configuration (exit 1 unless every one passed)");
  matrix->add_option("tsv", matrix_options.tsv, "lines LABEL<TAB>STATUS<TAB>RESULTS_JSON (the path may be empty)")
      ->required()
      ->check(CLI::ExistingFile);
  matrix->add_flag("--markdown", markdown, "print the table as Markdown");

  StressOptions stress_options;
  StressConfig& stress_config = stress_options.config;
  stress_config.module = std::string(kStressDefaultModule);
  auto* stress = app.add_subcommand(
      "stress", "randomized load/unload cycles until a lost callback, a kernel splat or new taint (root; in a QEMU guest)");
  stress->add_option("--seed", stress_config.seed, "the run's seed: cycle K is drawn from (seed, K) alone")
      ->required()
      ->check(CLI::Validator(
          [](const std::string& v) {
            return parse_u64(v) ? std::string{} : "--seed takes a whole number from 0 to 2^64-1, not '" + v + "'";
          },
          "S"));
  unsigned stress_cycles = 0;
  auto* stress_cycles_opt = stress->add_option("--cycles", stress_cycles, "run this many cycles")
                                ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  std::string duration_text;
  auto* duration_opt =
      stress->add_option("--duration", duration_text, "run for this long: seconds, or a number with s, m or h (e.g. 30m)")
          ->check(CLI::Validator(
              [](const std::string& v) {
                return parse_duration(v) ? std::string{} : "'" + v + "' is not a duration like 90, 90s, 30m or 2h";
              },
              "T"));
  stress_cycles_opt->excludes(duration_opt);
  stress->add_option("--from-cycle", stress_config.from_cycle, "index of the first cycle (replay: --from-cycle K --cycles 1)")
      ->check(CLI::Range(0u, std::numeric_limits<unsigned>::max() - 1));
  stress->add_option("--module", stress_config.module, "rcu_unload.ko (default /rcu_unload.ko)")->check(CLI::ExistingFile);
  stress->add_option("--json", stress_options.json,
                     "stream each cycle to PATH.partial, the results JSON at the end (as run --json)");
  bool no_hotplug = false;
  stress->add_flag("--no-hotplug", no_hotplug, "never take a CPU offline");
  stress->add_flag("--verbose,-v", stress_config.verbose, "print each cycle's draw on stderr before it runs");
  stress
      ->add_option("--max-callbacks", stress_config.max_callbacks,
                   "the most callbacks a cycle draws (default the module's maximum; fewer decades for DEBUG kernels)")
      ->check(CLI::Range(1u, kMaxCallbacks));

  std::ostringstream out, err;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return {std::nullopt, code == 0 ? 0 : kExitUsage, out.str() + err.str()};
  }

  if (compare->parsed()) {
    compare_options.threshold = *parse_threshold(threshold_text);
    compare_options.metric = metric_text == "syscall_ns" ? Metric::syscall_ns
                             : metric_text == "wait_ns"  ? Metric::wait_ns
                                                         : Metric::total_ns;
    compare_options.style = table_style(compare_markdown);
    return {std::move(compare_options), 0, {}};
  }
  if (env->parsed()) return {std::move(env_options), 0, {}};
  if (stress->parsed()) {
    if (stress_cycles_opt->count() > 0) {
      if (std::uint64_t{stress_config.from_cycle} + stress_cycles > std::uint64_t{std::numeric_limits<unsigned>::max()} + 1)
        return {std::nullopt, kExitUsage, "stress: --from-cycle + --cycles goes beyond the last cycle index (2^32-1)\n"};
      stress_config.cycles = stress_cycles;
    } else if (duration_opt->count() > 0) {
      stress_config.duration = parse_duration(duration_text);
    } else {
      return {std::nullopt, kExitUsage, "stress needs --cycles N or --duration T\n"};
    }
    stress_config.hotplug = !no_hotplug;
    return {std::move(stress_options), 0, {}};
  }
  if (run->parsed()) {
    config.cycles_per_combination = run_cycles_per;
    run_options.verbosity = quiet ? Verbosity::quiet : verbose ? Verbosity::verbose : Verbosity::normal;
    if (auto dup = duplicate_callbacks(run_callbacks)) return {std::nullopt, kExitUsage, *dup};
    config.strategies = run_specs.empty() ? std::vector<StrategySpec>{{std::string(kBaselineStrategy)}}
                                          : to_specs(run_specs);
    config.default_strategies = run_specs.empty();  // module lifecycle: a foreign module runs `plain`
    config.unload_timeout = std::chrono::milliseconds(static_cast<long long>(unload_timeout_s * 1000));
    config.callbacks = run_callbacks.empty() ? std::vector<unsigned>{1000} : run_callbacks;
    return {std::move(run_options), 0, {}};
  }
  if (report->parsed()) {
    report_options.style = table_style(markdown);
    report_options.format = as_json  ? ReportFormat::json
                            : as_csv ? ReportFormat::csv
                            : as_ktap ? ReportFormat::ktap
                                      : ReportFormat::table;
    if (report_options.format != ReportFormat::table && report_options.files.size() > 1)
      return {std::nullopt, kExitUsage, "report --json, --csv and --ktap take one results file\n"};
    return {std::move(report_options), 0, {}};
  }
  if (matrix->parsed()) {
    matrix_options.style = table_style(markdown);
    return {std::move(matrix_options), 0, {}};
  }
  if (auto dup = duplicate_callbacks(expect.callbacks)) return {std::nullopt, kExitUsage, *dup};
  if (cycles_opt->count() > 0) expect.cycles = verify_cycles;
  expect.strategies = to_specs(verify_specs);
  auto picks = expected_pick_map(expect_picks);
  if (!picks) return {std::nullopt, kExitUsage, picks.error()};
  expect.picks = std::move(*picks);
  return {std::move(verify_options), 0, {}};
}

ParsedOptions parse_options(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace rcu_unload
