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
  CHECK(p.options->callbacks == 0);
  CHECK(p.options->json == "out.json");
  CHECK(p.options->tag_base == 100);
}

TEST_CASE("run defaults to barrier") {
  auto p = parse_options(Args{"rcu-unload", "run", "--module", kExisting});
  REQUIRE(p.options);
  CHECK(p.options->strategies == Args{"barrier"});
  CHECK(p.options->cycles == 20);
  CHECK(p.options->callbacks == 1000);
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
