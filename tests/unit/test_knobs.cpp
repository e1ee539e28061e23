#include <catch2/catch.hpp>

#include "fakes.hpp"
#include "rcu_unload/knobs.hpp"
#include "rcu_unload/strategy_spec.hpp"

#include <filesystem>

using namespace rcu_unload;
using rcu_unload::test::FakeSysfs;
using Values = std::vector<std::string>;

TEST_CASE("the knob list is the five runtime RCU knobs, the wake-up one optional") {
  REQUIRE(unload_knobs().size() == 5);
  CHECK(unload_knobs()[0].path == "/sys/kernel/rcu_expedited");
  CHECK(unload_knobs()[0].value == "1");
  CHECK(unload_knobs()[1].path == "/sys/module/rcutree/parameters/jiffies_till_first_fqs");
  CHECK(unload_knobs()[1].value == "0");
  CHECK(unload_knobs()[2].path == "/sys/module/rcutree/parameters/jiffies_till_next_fqs");
  CHECK(unload_knobs()[2].value == "1");
  CHECK(unload_knobs()[3].path == "/sys/module/rcutree/parameters/rcu_normal_wake_from_gp");
  CHECK(unload_knobs()[3].optional);
  CHECK(unload_knobs()[4].path == "/sys/module/rcutree/parameters/rcu_divisor");
  CHECK(unload_knobs()[4].value == "0");
  CHECK_FALSE(unload_knobs()[4].optional);
}

TEST_CASE("a knob guard sets the knobs and restores the old values") {
  FakeSysfs sys("7");
  auto files = sys.files();
  auto guard = KnobGuard::apply(files, unload_knobs());
  REQUIRE(guard);
  CHECK(sys.all() == Values{"1", "0", "1", "1", "0"});
  CHECK(guard->restore().empty());
  CHECK(sys.all() == Values{"7", "7", "7", "7", "7"});
  sys.set(kUnloadKnobs[0].path, "5");  // restoring twice must not write again
  CHECK(guard->restore().empty());
  CHECK(sys.get(kUnloadKnobs[0].path) == "5");
}

TEST_CASE("a knob guard restores when it goes out of scope, also after being moved") {
  FakeSysfs sys("3");
  {
    auto guard = KnobGuard::apply(sys.files(), unload_knobs());
    REQUIRE(guard);
    KnobGuard moved(std::move(*guard));
    CHECK(sys.all() == Values{"1", "0", "1", "1", "0"});
  }
  CHECK(sys.all() == Values{"3", "3", "3", "3", "3"});
}

TEST_CASE("a missing knob is an error naming it, and the knobs set before it are restored") {
  FakeSysfs sys("4");
  std::filesystem::remove(sys.path(kUnloadKnobs[2].path));
  auto guard = KnobGuard::apply(sys.files(), unload_knobs());
  REQUIRE_FALSE(guard);
  CHECK(guard.error().find("cannot read RCU knob " + sys.path(kUnloadKnobs[2].path)) != std::string::npos);
  CHECK(sys.get(kUnloadKnobs[0].path) == "4");
  CHECK(sys.get(kUnloadKnobs[1].path) == "4");
}

TEST_CASE("a knob that can't be restored is reported") {
  FakeSysfs sys("9");
  auto guard = KnobGuard::apply(sys.files(), unload_knobs());
  REQUIRE(guard);
  sys.break_writes(kUnloadKnobs[1].path);
  auto problems = guard->restore();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("RCU knob " + sys.path(kUnloadKnobs[1].path) + " NOT restored to 9") != std::string::npos);
  CHECK(sys.get(kUnloadKnobs[0].path) == "9");  // the others are still restored
  CHECK(sys.get(kUnloadKnobs[2].path) == "9");
}

TEST_CASE("a knob write that fails is an error") {
  FakeSysfs sys("2");
  sys.break_writes(kUnloadKnobs[1].path);
  auto guard = KnobGuard::apply(sys.files(), unload_knobs());
  REQUIRE_FALSE(guard);
  CHECK(guard.error().find("RCU knob " + sys.path(kUnloadKnobs[1].path)) != std::string::npos);
  CHECK(sys.get(kUnloadKnobs[0].path) == "2");
}

TEST_CASE("a spec names every knob group with +knobs, or some with +GROUP, each once") {
  CHECK(parse_strategy_spec("kick+knobs")->knobs == kAllKnobs);
  CHECK(parse_strategy_spec("kick+expedited")->knobs == 1U);
  CHECK(parse_strategy_spec("kick+fqs+expedited")->knobs == 3U);
  CHECK(parse_strategy_spec("kick+fqs+expedited")->text() == "kick+expedited+fqs");
  CHECK(parse_strategy_spec("kick+expedited+fqs+wake")->text() == "kick+expedited+fqs+wake");
  CHECK(parse_strategy_spec("kick+expedited+fqs+wake+batch")->text() == "kick+knobs");
  CHECK_FALSE(parse_strategy_spec("kick+fqs+fqs"));
  CHECK_FALSE(parse_strategy_spec("kick+knobs+wake"));
  CHECK_FALSE(parse_strategy_spec("kick+bogus"));
  CHECK_FALSE(parse_strategy_spec("kick+"));
  REQUIRE(unload_knobs(2U).size() == 2);
  CHECK(unload_knobs(2U)[0].path == "/sys/module/rcutree/parameters/jiffies_till_first_fqs");
}

TEST_CASE("an optional knob missing on this kernel is left out of +knobs, but +GROUP of it alone is refused") {
  FakeSysfs sys;
  std::filesystem::remove(sys.path(kUnloadKnobs[3].path));
  auto all = present_knobs(sys.files(), kAllKnobs);
  REQUIRE(all);
  CHECK(all->size() == kUnloadKnobs.size() - 1);
  auto wake = present_knobs(sys.files(), 4U);
  REQUIRE_FALSE(wake);
  CHECK_THAT(wake.error(), Catch::Contains("rcu_normal_wake_from_gp"));
}

TEST_CASE("a choice file's value is its current choice, the one in brackets") {
  FakeSysfs sys;
  sys.set("/sys/kernel/tracing/trace_clock", "local global [mono] boot");
  sys.set("/sys/block/vda/queue/scheduler", "[mq-deadline] none");
  CHECK(*sys.files().read("/sys/kernel/tracing/trace_clock") == "mono");
  CHECK(*sys.files().read("/sys/block/vda/queue/scheduler") == "mq-deadline");
  CHECK(*sys.files().read(kUnloadKnobs[0].path) == "7");
}

TEST_CASE("messages name the kind of file a KnobFiles holds") {
  const KnobFiles files("/nonexistent", {}, "tracefs file");
  auto value = files.read("/trace_clock");
  REQUIRE_FALSE(value);
  CHECK(value.error().find("cannot read tracefs file /nonexistent/trace_clock") != std::string::npos);
}
