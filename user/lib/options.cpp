#include "rcu_unload/options.hpp"

#include "rcu_unload/result.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <limits>
#include <sstream>

namespace rcu_unload {

bool is_known_strategy(std::string_view name) {
  return std::find(kStrategies.begin(), kStrategies.end(), name) != kStrategies.end();
}

namespace {

CLI::Validator strategy_validator() {
  std::string list;
  for (auto s : kStrategies) list += (list.empty() ? "" : ", ") + std::string(s);
  return CLI::Validator(
      [list](const std::string& value) {
        return is_known_strategy(value) ? std::string{} : "unknown strategy '" + value + "' (known: " + list + ")";
      },
      "STRATEGY in {" + list + "}");
}

void add_strategies(CLI::App& cmd, Options& o, const char* what) {
  cmd.add_option("--strategy", o.strategies, what)->check(strategy_validator())->take_all();
}

}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
  Options o;
  CLI::App app{"Load and unload rcu_unload.ko in loops and time the unload strategies"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "load/unload the module in cycles (root, inside the test guest)");
  run->add_option("--module", o.module, "path of rcu_unload.ko")->required()->check(CLI::ExistingFile);
  run->add_option("--cycles", o.cycles, "number of load/unload cycles")
      ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  add_strategies(*run, o, "unload strategy; repeat to interleave several cycle by cycle (default barrier)");
  run->add_option("--callbacks", o.callbacks, "call_rcu callbacks enqueued per load")
      ->check(CLI::Range(0u, kMaxCallbacks));
  run->add_option("--json", o.json, "write the results JSON here (also when interrupted)");
  run->add_option("--tag-base", o.tag_base, "tag of cycle 0; cycle i uses tag-base + i");

  auto* report = app.add_subcommand("report", "print tables (and a plot) from saved results");
  report->add_option("files", o.inputs, "results JSON files")->required()->check(CLI::ExistingFile);
  report->add_option("--plot", o.plot, "write a latency CDF plot (PNG) here");

  auto* verify = app.add_subcommand("verify", "check a results JSON (exit 1 on any problem)");
  std::string verify_input;
  verify->add_option("file", verify_input, "results JSON file")->required()->check(CLI::ExistingFile);
  auto* cycles_opt = verify->add_option("--cycles", o.cycles, "expected cycles per strategy (run got this times the number of strategies)")
                         ->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()));
  add_strategies(*verify, o, "expected strategies, in the order given to run");

  std::ostringstream out, err;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return {std::nullopt, code == 0 ? 0 : kExitUsage, out.str() + err.str()};
  }

  if (run->parsed()) {
    o.command = Command::run;
    if (o.strategies.empty()) o.strategies = {"barrier"};
  } else if (report->parsed()) {
    o.command = Command::report;
  } else {
    o.command = Command::verify;
    o.inputs = {verify_input};
    o.cycles_given = cycles_opt->count() > 0;
  }
  return {std::move(o), 0, {}};
}

ParsedOptions parse_options(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace rcu_unload
