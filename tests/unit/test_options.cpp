#include <catch2/catch.hpp>

#include "rcu_unload/options.hpp"

using namespace rcu_unload;
using Args = std::vector<std::string>;

namespace {
// Any existing file stands in for the module and the JSON inputs.
const std::string kExisting = "/proc/self/status";
}  // namespace

TEST_CASE("run with several strategies keeps their order") {
  auto p = parse_options(Args{"rcu-unload", "run", "--module", kExisting, "--cycles", "4", "--strategy", "force-qs",
                              "--strategy", "barrier", "--callbacks", "0", "--json", "out.json", "--tag-base", "100"});
  REQUIRE(p.options);
  CHECK(p.options->command == Command::run);
  CHECK(p.options->strategies == Args{"force-qs", "barrier"});
  CHECK(p.options->cycles == 4);
  CHECK(p.options->callbacks == std::vector<unsigned>{0});
  CHECK(p.options->json == "out.json");
  CHECK(p.options->tag_base == 100);
}

TEST_CASE("run defaults to barrier") {
  auto p = parse_options(Args{"rcu-unload", "run", "--module", kExisting});
  REQUIRE(p.options);
  CHECK(p.options->strategies == Args{"barrier"});
  CHECK(p.options->cycles == 20);
  CHECK(p.options->callbacks == std::vector<unsigned>{1000});
  CHECK(p.options->params.empty());
}

TEST_CASE("misuse is rejected with a message and a non-zero exit") {
  auto rejects = [](Args args, const std::string& needle) {
    args.insert(args.begin(), "rcu-unload");
    auto p = parse_options(args);
    CHECK_FALSE(p.options);
    CHECK(p.exit_code != 0);
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
  rejects({"run", "--module", kExisting, "--callbacks", "1", "--callbacks", "1"}, "--callbacks 1 is given twice");
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
  rejects({"verify", kExisting, "--expect-pick", "auto=direct", "--expect-pick", "auto=boost"},
          "--expect-pick for auto is given twice");
  rejects({"matrix"}, "tsv");
  rejects({"matrix", "/nonexistent.tsv"}, "/nonexistent.tsv");
}

TEST_CASE("every known strategy is accepted and the list has no strangers") {
  for (auto s : kStrategies) {
    auto p = parse_options(Args{"rcu-unload", "run", "--module", kExisting, "--strategy", std::string(s)});
    REQUIRE(p.options);
    CHECK(is_known_strategy(s));
  }
  CHECK_FALSE(is_known_strategy("Barrier"));
}

TEST_CASE("help exits zero with usage text") {
  auto p = parse_options(Args{"rcu-unload", "run", "--help"});
  CHECK_FALSE(p.options);
  CHECK(p.exit_code == 0);
  CHECK(p.output.find("--tag-base") != std::string::npos);
}

TEST_CASE("report takes several files and a plot") {
  auto p = parse_options(Args{"rcu-unload", "report", kExisting, kExisting, "--plot", "x.png"});
  REQUIRE(p.options);
  CHECK(p.options->command == Command::report);
  CHECK(p.options->inputs.size() == 2);
  CHECK(p.options->plot == "x.png");
}

TEST_CASE("verify records whether cycles were given") {
  auto plain = parse_options(Args{"rcu-unload", "verify", kExisting});
  REQUIRE(plain.options);
  CHECK(plain.options->command == Command::verify);
  CHECK_FALSE(plain.options->cycles_given);
  CHECK(plain.options->strategies.empty());
  auto full = parse_options(Args{"rcu-unload", "verify", kExisting, "--cycles", "6", "--strategy", "barrier", "--strategy", "sync-exp"});
  REQUIRE(full.options);
  CHECK(full.options->cycles_given);
  CHECK(full.options->cycles == 6);
  CHECK(full.options->strategies == Args{"barrier", "sync-exp"});
  CHECK(full.options->inputs == Args{kExisting});
}

TEST_CASE("run takes several callbacks values, module params and +knobs specs") {
  auto p = parse_options(Args{"rcu-unload", "run", "--module", kExisting, "--cycles", "12", "--strategy", "barrier",
                              "--strategy", "force-qs+knobs", "--callbacks", "1", "--callbacks", "100000",
                              "--callbacks", "1000", "--param", "measure_limit=1", "--param", "flavor=srcu"});
  REQUIRE(p.options);
  CHECK(p.options->strategies == Args{"barrier", "force-qs+knobs"});
  CHECK(p.options->callbacks == std::vector<unsigned>{1, 100000, 1000});
  CHECK(p.options->params == Args{"measure_limit=1", "flavor=srcu"});
  CHECK(p.options->cycles == 12);
}

TEST_CASE("strategy specs split into the module strategy and the knobs flag") {
  auto plain = parse_strategy_spec("force-qs");
  REQUIRE(plain);
  CHECK(plain->name == "force-qs");
  CHECK_FALSE(plain->knobs);
  auto knobs = parse_strategy_spec("barrier+knobs");
  REQUIRE(knobs);
  CHECK(knobs->name == "barrier");
  CHECK(knobs->knobs);
  CHECK_FALSE(parse_strategy_spec("+knobs"));
  CHECK_FALSE(parse_strategy_spec("expedite+knobs"));
  REQUIRE(parse_strategy_spec("direct+knobs"));
  CHECK(parse_strategy_spec("direct+knobs")->name == "direct");
  CHECK_FALSE(parse_strategy_spec("barrier+knobs+knobs"));
  CHECK_FALSE(param_problem("readers=2"));
  CHECK_FALSE(param_problem("reader_hold_us=20"));
  CHECK(param_problem("readers=2 3"));
}

TEST_CASE("report takes --markdown and verify takes expected callbacks") {
  auto r = parse_options(Args{"rcu-unload", "report", kExisting, "--markdown"});
  REQUIRE(r.options);
  CHECK(r.options->markdown);
  auto v = parse_options(Args{"rcu-unload", "verify", kExisting, "--cycles", "3", "--strategy", "force-qs+knobs",
                              "--callbacks", "1", "--callbacks", "1000"});
  REQUIRE(v.options);
  CHECK(v.options->strategies == Args{"force-qs+knobs"});
  CHECK(v.options->callbacks == std::vector<unsigned>{1, 1000});
  auto plain = parse_options(Args{"rcu-unload", "verify", kExisting});
  REQUIRE(plain.options);
  CHECK(plain.options->callbacks.empty());
}

TEST_CASE("verify takes expected picks per strategy spec") {
  auto p = parse_options(Args{"rcu-unload", "verify", kExisting, "--expect-pick", "auto=direct", "--expect-pick",
                              "auto+knobs=force-qs", "--strategy", "auto", "--expect-pick", "barrier=barrier"});
  REQUIRE(p.options);
  CHECK(p.options->expected_picks == std::map<std::string, std::string>{
                                         {"auto", "direct"}, {"auto+knobs", "force-qs"}, {"barrier", "barrier"}});
  CHECK(p.options->strategies == Args{"auto"});
  auto plain = parse_options(Args{"rcu-unload", "verify", kExisting});
  REQUIRE(plain.options);
  CHECK(plain.options->expected_picks.empty());
  auto parsed = parse_expected_pick("force-qs+knobs=force-qs");
  REQUIRE(parsed);
  CHECK(parsed->spec == "force-qs+knobs");
  CHECK(parsed->pick == "force-qs");
}

TEST_CASE("matrix takes one TSV and --markdown") {
  auto p = parse_options(Args{"rcu-unload", "matrix", kExisting, "--markdown"});
  REQUIRE(p.options);
  CHECK(p.options->command == Command::matrix);
  CHECK(p.options->inputs == Args{kExisting});
  CHECK(p.options->markdown);
  auto plain = parse_options(Args{"rcu-unload", "matrix", kExisting});
  REQUIRE(plain.options);
  CHECK_FALSE(plain.options->markdown);
}
