#include <catch2/catch.hpp>

#include "fakes.hpp"
#include "rcu_unload/runner.hpp"

using namespace rcu_unload;
using rcu_unload::test::FakeKernel;
using rcu_unload::test::FakeSysfs;
using Values = std::vector<std::string>;

namespace {

struct Harness {
  FakeKernel kernel;
  std::atomic<bool> stop{false};
  std::uint64_t clock = 0;
  std::vector<std::uint64_t> taints{12288, 12288};
  std::size_t taint_reads = 0;
  RunEnvironment env{kernel, kernel, stop};

  Harness() {
    env.now_ns = [this] { return clock += 1000; };
    env.taint = [this]() -> std::optional<std::uint64_t> { return taints.at(std::min(taint_reads++, taints.size() - 1)); };
  }

  RunOutcome run(const std::vector<std::string>& specs, unsigned cycles, std::vector<unsigned> callbacks = {100},
                 std::vector<std::string> params = {}) {
    RunConfig config;
    for (const auto& spec : specs) config.strategies.push_back(parse_strategy_spec(spec).value());
    config.cycles = cycles;
    config.callbacks = std::move(callbacks);
    config.params = std::move(params);
    return run_cycles(config, env);
  }
};

// A harness whose +knobs strategies reach a fake sysfs holding 5 in every knob.
struct KnobHarness : Harness {
  FakeSysfs sys{"5"};
  KnobFiles files = sys.files();
  KnobHarness() { env.knobs = &files; }
};

}  // namespace

TEST_CASE("strategies are interleaved cycle by cycle with consecutive tags") {
  Harness h;
  auto out = h.run({"barrier", "force-qs"}, 5);
  CHECK(out.exit_code == 0);
  CHECK(out.results.errors.empty());
  CHECK_FALSE(out.results.interrupted);
  REQUIRE(out.results.cycles.size() == 5);
  CHECK(h.kernel.inserts.front() == "callbacks=100 tag=1 strategy=barrier");
  CHECK(h.kernel.inserts.at(1) == "callbacks=100 tag=2 strategy=force-qs");
  for (unsigned i = 0; i < 5; ++i) {
    const auto& c = out.results.cycles[i];
    CHECK(c.cycle == i);
    CHECK(c.tag == i + 1);
    CHECK(c.strategy == (i % 2 ? "force-qs" : "barrier"));
    CHECK(c.exit.picked == c.strategy);
    CHECK(c.syscall_ns == 1000);  // one tick of the fake clock around remove()
    CHECK(c.exit.total_ns == 1000 * c.tag + 500);
    CHECK(c.exit.wait_ns == 1000 * c.tag);
    CHECK(c.exit.invoked == 100);
  }
  CHECK(h.kernel.removes == 5);
  CHECK_FALSE(h.kernel.loaded);
  CHECK(out.results.strategies == std::vector<std::string>{"barrier", "force-qs"});
}

TEST_CASE("auto keeps the asked strategy and records the picked one, the RCU and the preemption model") {
  Harness h;
  auto out = h.run({"auto"}, 1);
  REQUIRE(out.results.cycles.size() == 1);
  CHECK(out.results.cycles[0].strategy == "auto");
  CHECK(out.results.cycles[0].exit.picked == "barrier");
  CHECK(out.results.cycles[0].exit.rcu == "tree");
  CHECK(out.results.cycles[0].exit.preempt == "full");
}

TEST_CASE("lost callbacks fail the run and stop it") {
  Harness h;
  h.kernel.lose[2] = 3;
  auto out = h.run({"barrier"}, 4);
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.cycles.size() == 2);  // the bad cycle is kept for the record
  CHECK(out.results.cycles[1].exit.invoked == 97);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("invoked 97 of 100") != std::string::npos);
  CHECK(out.results.errors[0].find("what=lost-callbacks") != std::string::npos);
  CHECK(h.kernel.inserts.size() == 2);
}

TEST_CASE("a missing exit record is an error") {
  Harness h;
  h.kernel.silent_exit.insert(1);
  auto out = h.run({"barrier"}, 3);
  CHECK(out.exit_code == kExitFailure);
  CHECK(out.results.cycles.empty());
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("no exit record of tag 1") != std::string::npos);
  CHECK_FALSE(h.kernel.loaded);
}

TEST_CASE("an insert failure surfaces the module's log line") {
  Harness h;
  h.kernel.reject_insert[1] = "rcu_unload: invalid strategy=boost: not supported by this kernel";
  auto out = h.run({"boost"}, 2);
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.errors.size() == 1);
  const auto& e = out.results.errors[0];
  CHECK(e.find("Invalid argument (-22)") != std::string::npos);
  CHECK(e.find("rcu_unload: invalid strategy=boost: not supported by this kernel") != std::string::npos);
  CHECK(h.kernel.removes == 0);
}

TEST_CASE("an interrupt stops after the current cycle with partial results") {
  Harness h;
  h.kernel.on_remove = [&] {
    if (h.kernel.removes == 2) h.stop = true;
  };
  auto out = h.run({"barrier", "sync-exp"}, 10);
  CHECK(out.exit_code == kExitInterrupted);
  CHECK(out.results.interrupted);
  CHECK(out.results.cycles.size() == 2);
  CHECK(out.results.errors.empty());
  CHECK_FALSE(h.kernel.loaded);
}

TEST_CASE("new taint other than O and E is a warning") {
  Harness h;
  h.taints = {0, 12288 | 512};  // O, E and W appear
  auto out = h.run({"barrier"}, 1);
  CHECK(out.exit_code == 0);
  CHECK(out.results.taint_before == 0);
  CHECK(out.results.taint == (12288 | 512));
  CHECK(out.results.new_taint == 512);
  REQUIRE(out.results.warnings.size() == 1);
  CHECK(out.results.warnings[0].find("W") != std::string::npos);
}

TEST_CASE("expected taint alone gives no warning") {
  Harness h;
  h.taints = {0, 12288};
  auto out = h.run({"barrier"}, 1);
  CHECK(out.results.new_taint == 0);
  CHECK(out.results.warnings.empty());
}

TEST_CASE("strategies x callbacks interleave cycle by cycle and each cycle keeps its record fields") {
  Harness h;
  auto out = h.run({"barrier", "force-qs"}, 9, {1, 1000}, {"measure_limit=1", "readers=2", "flavor=srcu"});
  CHECK(out.exit_code == 0);
  REQUIRE(out.results.cycles.size() == 9);
  const std::pair<const char*, unsigned> expected[] = {{"barrier", 1},    {"force-qs", 1},    {"barrier", 1000},
                                                       {"force-qs", 1000}, {"barrier", 1},    {"force-qs", 1},
                                                       {"barrier", 1000}, {"force-qs", 1000}, {"barrier", 1}};
  for (unsigned i = 0; i < 9; ++i) {
    const auto& c = out.results.cycles[i];
    CHECK(c.strategy == expected[i].first);
    CHECK(c.callbacks == expected[i].second);
    CHECK(c.exit.enqueued == expected[i].second);
    CHECK(h.kernel.inserts[i] == fmt::format("callbacks={} tag={} strategy={} measure_limit=1 readers=2 flavor=srcu",
                                             expected[i].second, i + 1, expected[i].first));
  }
  const auto& c = out.results.cycles[4];
  CHECK(c.exit.gp_ns == 900 * 5);
  CHECK(c.exit.rounds == 3);
  CHECK(c.exit.stop_ns == 10);
  CHECK(c.exit.readers == 2);
  CHECK(c.exit.churn == 0);
  CHECK(c.exit.flavor == "srcu");
  CHECK(c.init.exp_gp_ns == 2'000'005);
  CHECK(c.init.cb_cost_ns == 100);
  CHECK(c.exit.peak_pending == 1);
  CHECK(c.exit.peak_bytes == 32);
  CHECK(out.results.cycles[3].exit.peak_bytes == 32'000);
  CHECK(out.results.callbacks == std::vector<unsigned>{1, 1000});
  CHECK(out.results.params == Values{"measure_limit=1", "readers=2", "flavor=srcu"});
}

TEST_CASE("without measure_limit the limit fields are 0") {
  Harness h;
  auto out = h.run({"barrier"}, 1);
  REQUIRE(out.results.cycles.size() == 1);
  CHECK(out.results.cycles[0].init.exp_gp_ns == 0);
  CHECK(out.results.cycles[0].init.cb_cost_ns == 0);
  CHECK(out.results.cycles[0].exit.flavor == "rcu");
}

TEST_CASE("a module param the module rejects fails with the module's own log line") {
  Harness h;
  auto out = h.run({"barrier"}, 3, {100}, {"readers=many"});
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.errors.size() == 1);
  const auto& e = out.results.errors[0];
  CHECK(e.find("loading with 'callbacks=100 tag=1 strategy=barrier readers=many' failed: Invalid argument (-22)") !=
        std::string::npos);
  CHECK(e.find("module log: rcu_unload: invalid readers=many") != std::string::npos);
  CHECK(h.kernel.inserts.size() == 1);
}

TEST_CASE("+knobs sets the RCU knobs for the removal only and loads the plain strategy") {
  KnobHarness h;
  auto& sys = h.sys;
  std::vector<Values> during;
  h.kernel.on_remove = [&] { during.push_back(sys.all()); };
  auto out = h.run({"force-qs", "force-qs+knobs"}, 4);
  CHECK(out.exit_code == 0);
  CHECK(out.results.errors.empty());
  REQUIRE(during.size() == 4);
  CHECK(during[0] == Values{"5", "5", "5", "5", "5"});
  CHECK(during[1] == Values{"1", "0", "1", "1", "0"});
  CHECK(during[2] == Values{"5", "5", "5", "5", "5"});
  CHECK(during[3] == Values{"1", "0", "1", "1", "0"});
  CHECK(sys.all() == Values{"5", "5", "5", "5", "5"});
  CHECK(h.kernel.inserts.at(1) == "callbacks=100 tag=2 strategy=force-qs");
  REQUIRE(out.results.cycles.size() == 4);
  CHECK(out.results.cycles[1].strategy == "force-qs+knobs");
  CHECK(out.results.cycles[1].exit.picked == "force-qs");
}

TEST_CASE("the knobs are restored when the removal fails") {
  KnobHarness h;
  auto& sys = h.sys;
  h.kernel.remove_error[1] = -EBUSY;
  Values during;
  h.kernel.on_remove = [&] { during = sys.all(); };
  auto out = h.run({"barrier+knobs"}, 2);
  CHECK(out.exit_code == kExitFailure);
  CHECK(during == Values{"1", "0", "1", "1", "0"});
  CHECK(sys.all() == Values{"5", "5", "5", "5", "5"});
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("unloading failed: Device or resource busy") != std::string::npos);
}

TEST_CASE("the knobs are restored when a signal arrives during the removal") {
  KnobHarness h;
  auto& sys = h.sys;
  h.kernel.on_remove = [&] { h.stop = true; };
  auto out = h.run({"barrier+knobs"}, 5);
  CHECK(out.exit_code == kExitInterrupted);
  CHECK(out.results.cycles.size() == 1);
  CHECK(sys.all() == Values{"5", "5", "5", "5", "5"});
}

TEST_CASE("a missing knob file stops the run before anything is loaded") {
  KnobHarness h;
  auto& sys = h.sys;
  std::filesystem::remove(sys.path(kUnloadKnobs[1].path));
  auto out = h.run({"barrier", "sync-exp+knobs"}, 4);
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("strategy sync-exp+knobs: cannot read RCU knob " + sys.path(kUnloadKnobs[1].path)) !=
        std::string::npos);
  CHECK(h.kernel.inserts.empty());
  CHECK(sys.get(kUnloadKnobs[0].path) == "5");
}

TEST_CASE("+knobs without knob access is an error") {
  Harness h;
  auto out = h.run({"barrier+knobs"}, 1);
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("needs the RCU knobs") != std::string::npos);
}

TEST_CASE("a knob that can't be restored fails the run loudly") {
  KnobHarness h;
  auto& sys = h.sys;
  h.kernel.on_remove = [&] { sys.break_writes(kUnloadKnobs[0].path); };
  auto out = h.run({"barrier+knobs"}, 3);
  CHECK(out.exit_code == kExitFailure);
  CHECK(h.kernel.inserts.size() == 1);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("RCU knob " + sys.path(kUnloadKnobs[0].path) + " NOT restored to 5") !=
        std::string::npos);
  CHECK(sys.get(kUnloadKnobs[2].path) == "5");
}

TEST_CASE("a knob write failure fails the cycle, unloads the module and restores the others") {
  KnobHarness h;
  auto& sys = h.sys;
  sys.break_writes(kUnloadKnobs[2].path);
  auto out = h.run({"barrier+knobs"}, 2);
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.errors.size() == 1);
  CHECK(out.results.errors[0].find("RCU knob " + sys.path(kUnloadKnobs[2].path)) != std::string::npos);
  CHECK(out.results.cycles.empty());
  CHECK_FALSE(h.kernel.loaded);
  CHECK(sys.get(kUnloadKnobs[0].path) == "5");
  CHECK(sys.get(kUnloadKnobs[1].path) == "5");
}

TEST_CASE("the cycles keep the records' applies, kick and kicks and keys the harness does not know") {
  Harness h;
  auto out = h.run({"kick"}, 1);
  REQUIRE(out.results.cycles.size() == 1);
  const auto& c = out.results.cycles[0];
  CHECK(c.init.applies == h.kernel.applies);
  CHECK(c.init.kick == 1);
  CHECK(c.exit.kicks == 2);
  CHECK(c.exit.unknown == RecordKeyValues{{"future_key", "x"}});
}

TEST_CASE("all expands, through one probe load, to the strategies the module says apply but unsafe-none") {
  Harness h;
  h.kernel.applies = "barrier,auto,force-qs,unsafe-none,kick";
  auto out = h.run({"all"}, 8, {100}, {"readers=2"});
  CHECK(out.exit_code == 0);
  CHECK(out.results.errors.empty());
  // The header's order, not the module's.
  const Values expanded{"auto", "barrier", "force-qs", "kick"};
  CHECK(out.results.strategies == expanded);
  REQUIRE(h.kernel.inserts.size() == 9);
  CHECK(h.kernel.inserts[0] == "callbacks=0 tag=0 strategy=auto readers=2");
  CHECK(h.kernel.inserts[1] == "callbacks=100 tag=1 strategy=auto readers=2");
  CHECK(h.kernel.removes == 9);
  CHECK_FALSE(h.kernel.loaded);
  REQUIRE(out.results.cycles.size() == 8);
  for (unsigned i = 0; i < 8; ++i) CHECK(out.results.cycles[i].strategy == expanded[i % 4]);
  CHECK(out.results.cycles[0].tag == 1);
}

TEST_CASE("probe_module loads once with callbacks=0 and reports what the records say (env --module)") {
  Harness h;
  h.kernel.applies = "auto,barrier,kick";
  RunConfig config;
  config.params = {"flavor=rcu"};
  auto probe = probe_module(config, h.env);
  REQUIRE(probe);
  CHECK(probe->init.applies == "auto,barrier,kick");
  REQUIRE(h.kernel.inserts.size() == 1);
  CHECK(h.kernel.inserts[0] == "callbacks=0 tag=0 strategy=auto flavor=rcu");
  CHECK(h.kernel.removes == 1);
  CHECK_FALSE(h.kernel.loaded);

  Harness refused;
  refused.kernel.applies = "";
  auto none = probe_module(config, refused.env);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error(), Catch::Contains("no applies="));
  CHECK_FALSE(refused.kernel.loaded);
}

TEST_CASE("all and all+knobs expand in place next to named specs") {
  KnobHarness h;
  h.kernel.applies = "auto,barrier";
  auto out = h.run({"barrier", "all+knobs", "all"}, 5);
  CHECK(out.exit_code == 0);
  CHECK(out.results.strategies == Values{"barrier", "auto+knobs", "barrier+knobs", "auto", "barrier"});
  CHECK(h.kernel.inserts.size() == 6);
}

TEST_CASE("a probe load the module refuses fails the run with the module's log line") {
  Harness h;
  h.kernel.reject_insert[0] = "rcu_unload: invalid flavor=bogus: unknown flavor";
  auto out = h.run({"all"}, 3, {100}, {"flavor=bogus"});
  CHECK(out.exit_code == kExitFailure);
  CHECK(out.results.cycles.empty());
  REQUIRE(out.results.errors.size() == 1);
  const auto& e = out.results.errors[0];
  CHECK(e.find("probe load for strategy all (tag 0): loading with 'callbacks=0 tag=0 strategy=auto flavor=bogus' "
               "failed: Invalid argument (-22)") != std::string::npos);
  CHECK(e.find("module log: rcu_unload: invalid flavor=bogus: unknown flavor") != std::string::npos);
  CHECK(h.kernel.inserts.size() == 1);
}

TEST_CASE("all needs a module that reports applies= and strategies this harness knows") {
  Harness old;
  old.kernel.applies.clear();
  auto without = old.run({"all"}, 2);
  CHECK(without.exit_code == kExitFailure);
  REQUIRE(without.results.errors.size() == 1);
  CHECK(without.results.errors[0].find("the init record has no applies=") != std::string::npos);
  CHECK_FALSE(old.kernel.loaded);
  CHECK(without.results.cycles.empty());

  Harness newer;
  newer.kernel.applies = "barrier,teleport";
  auto unknown = newer.run({"all"}, 2);
  CHECK(unknown.exit_code == kExitFailure);
  REQUIRE(unknown.results.errors.size() == 1);
  CHECK(unknown.results.errors[0].find("strategy 'teleport' applies, which this harness does not know") !=
        std::string::npos);
  CHECK_FALSE(newer.kernel.loaded);

  Harness unsafe_only;
  unsafe_only.kernel.applies = "unsafe-none";
  auto nothing = unsafe_only.run({"all"}, 2);
  REQUIRE(nothing.results.errors.size() == 1);
  CHECK(nothing.results.errors[0].find("all names no strategy") != std::string::npos);
}

TEST_CASE("without all there is no probe load") {
  Harness h;
  auto out = h.run({"barrier"}, 2);
  CHECK(out.exit_code == 0);
  CHECK(h.kernel.inserts.size() == 2);
  CHECK(h.kernel.inserts[0] == "callbacks=100 tag=1 strategy=barrier");
}
