#include <catch2/catch.hpp>

#include "fakes.hpp"
#include "rcu_unload/options.hpp"

using namespace rcu_unload;
using Args = std::vector<std::string>;

namespace {
// Any existing file stands in for the module and the JSON inputs.
const std::string kExisting = "/proc/self/status";

// The options of subcommand T from a command line that must parse.
template <class T>
T parsed(Args args) {
  args.insert(args.begin(), "rcu-unload");
  auto p = parse_options(args);
  INFO(p.output);
  REQUIRE(p.command);
  const T* options = std::get_if<T>(&*p.command);
  REQUIRE(options);
  return *options;
}
}  // namespace

TEST_CASE("run with several strategies keeps their order") {
  auto o = parsed<RunOptions>({"run", "--module", kExisting, "--cycles", "4", "--strategy", "force-qs", "--strategy",
                               "barrier", "--callbacks", "0", "--json", "out.json", "--tag-base", "100"});
  CHECK(o.config.strategies == test::specs({"force-qs", "barrier"}));
  CHECK(o.config.cycles_per_combination == 4);  // per strategy x callbacks, as verify counts them
  CHECK(o.config.callbacks == std::vector<unsigned>{0});
  CHECK(o.json == "out.json");
  CHECK(o.module == kExisting);
  CHECK(o.config.tag_base == 100);
}

TEST_CASE("run defaults to barrier") {
  auto o = parsed<RunOptions>({"run", "--module", kExisting});
  CHECK(o.config.strategies == test::specs({"barrier"}));
  CHECK(o.config.cycles == 20);
  CHECK(o.config.callbacks == std::vector<unsigned>{1000});
  CHECK(o.config.params.empty());
  CHECK(o.json.empty());
}

TEST_CASE("misuse is rejected with a message and a non-zero exit") {
  auto rejects = [](Args args, const std::string& needle) {
    args.insert(args.begin(), "rcu-unload");
    auto p = parse_options(args);
    CHECK_FALSE(p.command);
    CHECK(p.exit_code == kExitUsage);
    INFO(p.output);
    CHECK(p.output.find(needle) != std::string::npos);
  };
  rejects({}, "subcommand");
  rejects({"run"}, "--module");
  rejects({"run", "--module", "/nonexistent/rcu_unload.ko"}, "/nonexistent/rcu_unload.ko");
  rejects({"run", "--module", kExisting, "--cycles", "0"}, "--cycles");
  rejects({"run", "--module", kExisting, "--cycles", "-3"}, "--cycles");
  rejects({"run", "--module", kExisting, "--callbacks", "1000001"}, "--callbacks");
  rejects({"run", "--module", kExisting, "--strategy", "bogus"}, "unknown strategy 'bogus'");
  rejects({"run", "--module", kExisting, "--frobnicate"}, "frobnicate");
  rejects({"report"}, "files");
  rejects({"verify", "/nonexistent.json"}, "/nonexistent.json");
  rejects({"run", "--module", kExisting, "--cycles", "x"}, "--cycles");
  rejects({"run", "--module", kExisting, "--strategy", "expedite"}, "unknown strategy 'expedite'");
  rejects({"run", "--module", kExisting, "--strategy", "bogus+knobs"}, "unknown strategy 'bogus+knobs'");
  rejects({"run", "--module", kExisting, "--strategy", "barrier+knob"}, "unknown strategy 'barrier+knob'");
  rejects({"run", "--module", kExisting, "--strategy", "all+knobs+knobs"}, "unknown strategy 'all+knobs+knobs'");
  rejects({"run", "--module", kExisting, "--callbacks", "1", "--callbacks", "1"}, "--callbacks 1 is given twice");
  rejects({"verify", kExisting, "--callbacks", "7", "--callbacks", "7"}, "--callbacks 7 is given twice");
  rejects({"run", "--module", kExisting, "--callbacks", "1", "--callbacks", "2000000"}, "--callbacks");
  rejects({"run", "--module", kExisting, "--param", "readers"}, "'readers' is not KEY=VALUE");
  rejects({"run", "--module", kExisting, "--param", "=2"}, "is not KEY=VALUE");
  rejects({"run", "--module", kExisting, "--param", "readers="}, "is not KEY=VALUE");
  rejects({"run", "--module", kExisting, "--param", "read-ers=2"}, "is not KEY=VALUE");
  rejects({"run", "--module", kExisting, "--param", "callbacks=5"}, "'callbacks' is set by the harness (use --callbacks");
  rejects({"run", "--module", kExisting, "--param", "tag=5"}, "use --tag-base");
  rejects({"run", "--module", kExisting, "--param", "strategy=barrier"}, "'strategy' is set by the harness");
  rejects({"report", kExisting, "--markdown=x"}, "markdown");
  rejects({"verify", kExisting, "--expect-pick", "auto"}, "'auto' is not SPEC=PICK");
  rejects({"verify", kExisting, "--expect-pick", "autox=direct"}, "unknown strategy 'autox' (known: ");
  rejects({"verify", kExisting, "--expect-pick", "auto=auto"},
          "'auto' in 'auto=auto' is not a strategy the module picks (one of barrier,");
  rejects({"verify", kExisting, "--expect-pick", "auto=direct+knobs"}, "'direct+knobs' in 'auto=direct+knobs'");
  rejects({"verify", kExisting, "--expect-pick", "auto="}, "'' in 'auto='");
  rejects({"verify", kExisting, "--expect-pick", "all=direct"}, "'all' in 'all=direct' is not one strategy");
  rejects({"verify", kExisting, "--expect-pick", "auto=all"}, "'all' in 'auto=all' is not a strategy the module picks");
  rejects({"verify", kExisting, "--expect-pick", "auto=direct", "--expect-pick", "auto=boost"},
          "--expect-pick for auto is given twice");
  rejects({"matrix"}, "tsv");
  rejects({"matrix", "/nonexistent.tsv"}, "/nonexistent.tsv");
}

TEST_CASE("every strategy of rcu_unload.h is accepted, with and without +knobs, and nothing else") {
  for (const auto& s : kStrategies) {
    const std::string name(s.name);
    auto o = parsed<RunOptions>({"run", "--module", kExisting, "--strategy", name, "--strategy", name + "+knobs"});
    CHECK(o.config.strategies == std::vector<StrategySpec>{{name, 0}, {name, kAllKnobs}});
    CHECK(is_known_strategy(s.name));
    CHECK_FALSE(s.help.empty());
  }
  CHECK(is_known_strategy("kick"));
  CHECK_FALSE(is_known_strategy("Barrier"));
  CHECK_FALSE(is_known_strategy("all"));
}

TEST_CASE("run and verify take all and all+knobs, which only a run expands") {
  auto run = parsed<RunOptions>({"run", "--module", kExisting, "--strategy", "all", "--strategy", "barrier+knobs",
                                 "--strategy", "all+knobs"});
  REQUIRE(run.config.strategies.size() == 3);
  CHECK(run.config.strategies[0].is_every());
  CHECK_FALSE(run.config.strategies[0].knobs);
  CHECK(run.config.strategies[2].is_every());
  CHECK(run.config.strategies[2].knobs);
  CHECK(spec_texts(run.config.strategies) == Args{"all", "barrier+knobs", "all+knobs"});
  auto verify = parsed<VerifyOptions>({"verify", kExisting, "--strategy", "all", "--expect-pick", "auto=direct"});
  CHECK(verify.expect.strategies == test::specs({"all"}));
}

TEST_CASE("help exits zero with usage text and the strategies' help") {
  auto p = parse_options(Args{"rcu-unload", "run", "--help"});
  CHECK_FALSE(p.command);
  CHECK(p.exit_code == 0);
  CHECK(p.output.find("--tag-base") != std::string::npos);
  CHECK(p.output.find("kick: ") != std::string::npos);
  CHECK(p.output.find("all: every strategy that applies") != std::string::npos);
}

TEST_CASE("report takes several files, a plot and --markdown") {
  auto o = parsed<ReportOptions>({"report", kExisting, kExisting, "--plot", "x.png"});
  CHECK(o.files.size() == 2);
  CHECK(o.plot == "x.png");
  CHECK(o.style == TableStyle::text);
  CHECK(parsed<ReportOptions>({"report", kExisting, "--markdown"}).style == TableStyle::markdown);
}

TEST_CASE("verify gives the engine an expectation, with cycles only when given") {
  auto plain = parsed<VerifyOptions>({"verify", kExisting});
  CHECK(plain.file == kExisting);
  CHECK_FALSE(plain.expect.cycles);
  CHECK(plain.expect.strategies.empty());
  CHECK(plain.expect.callbacks.empty());
  CHECK(plain.expect.picks.empty());
  auto full = parsed<VerifyOptions>({"verify", kExisting, "--cycles", "6", "--strategy", "barrier", "--strategy",
                                     "force-qs+knobs", "--callbacks", "1", "--callbacks", "1000"});
  CHECK(full.expect.cycles == 6u);
  CHECK(full.expect.strategies == test::specs({"barrier", "force-qs+knobs"}));
  CHECK(full.expect.callbacks == std::vector<unsigned>{1, 1000});
}

TEST_CASE("run takes several callbacks values, module params and +knobs specs") {
  auto o = parsed<RunOptions>({"run", "--module", kExisting, "--cycles", "12", "--strategy", "barrier", "--strategy",
                               "force-qs+knobs", "--callbacks", "1", "--callbacks", "100000", "--callbacks", "1000",
                               "--param", "measure_limit=1", "--param", "flavor=srcu"});
  CHECK(o.config.strategies == test::specs({"barrier", "force-qs+knobs"}));
  CHECK(o.config.callbacks == std::vector<unsigned>{1, 100000, 1000});
  CHECK(o.config.params == Args{"measure_limit=1", "flavor=srcu"});
  CHECK(o.config.cycles_per_combination == 12);
}

TEST_CASE("strategy specs split into the module strategy and the knobs flag") {
  auto plain = parse_strategy_spec("force-qs");
  REQUIRE(plain);
  CHECK(plain->name == "force-qs");
  CHECK_FALSE(plain->knobs);
  CHECK(plain->text() == "force-qs");
  auto knobs = parse_strategy_spec("barrier+knobs");
  REQUIRE(knobs);
  CHECK(knobs->name == "barrier");
  CHECK(knobs->knobs);
  CHECK(knobs->text() == "barrier+knobs");
  CHECK_FALSE(parse_strategy_spec("+knobs"));
  CHECK_FALSE(parse_strategy_spec("expedite+knobs"));
  REQUIRE(parse_strategy_spec("direct+knobs"));
  CHECK(parse_strategy_spec("direct+knobs")->name == "direct");
  CHECK_FALSE(parse_strategy_spec("barrier+knobs+knobs"));
  CHECK_FALSE(param_problem("readers=2"));
  CHECK_FALSE(param_problem("reader_hold_us=20"));
  CHECK(param_problem("readers=2 3"));
}

TEST_CASE("verify takes expected picks per strategy spec") {
  auto o = parsed<VerifyOptions>({"verify", kExisting, "--expect-pick", "auto=direct", "--expect-pick",
                                  "auto+knobs=force-qs", "--strategy", "auto", "--expect-pick", "barrier=barrier"});
  CHECK(o.expect.picks ==
        std::map<std::string, std::string>{{"auto", "direct"}, {"auto+knobs", "force-qs"}, {"barrier", "barrier"}});
  CHECK(o.expect.strategies == test::specs({"auto"}));
  auto expected = parse_expected_pick("force-qs+knobs=force-qs");
  REQUIRE(expected);
  CHECK(expected->spec == "force-qs+knobs");
  CHECK(expected->pick == "force-qs");
}

TEST_CASE("matrix takes one TSV and --markdown") {
  auto o = parsed<MatrixOptions>({"matrix", kExisting, "--markdown"});
  CHECK(o.tsv == kExisting);
  CHECK(o.style == TableStyle::markdown);
  CHECK(parsed<MatrixOptions>({"matrix", kExisting}).style == TableStyle::text);
}

TEST_CASE("run's callbacks values are bounded by the module's own range, from rcu_unload.h") {
  const auto max = std::to_string(kMaxCallbacks);
  CHECK(parsed<RunOptions>({"run", "--module", kExisting, "--callbacks", max}).config.callbacks ==
        std::vector<unsigned>{kMaxCallbacks});
  auto p = parse_options(Args{"rcu-unload", "run", "--module", kExisting, "--callbacks", std::to_string(kMaxCallbacks + 1)});
  CHECK_FALSE(p.command);
  CHECK(module_param("no_such_param").name.empty());
}
