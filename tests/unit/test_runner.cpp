#include <catch2/catch.hpp>

#include "fakes.hpp"
#include "rcu_unload/runner.hpp"

using namespace rcu_unload;
using rcu_unload::test::FakeKernel;

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

  RunOutcome run(std::vector<std::string> strategies, unsigned cycles, unsigned callbacks = 100) {
    return run_cycles(RunConfig{std::move(strategies), cycles, callbacks, 1}, env);
  }
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
    CHECK(c.picked == c.strategy);
    CHECK(c.syscall_ns == 1000);  // one tick of the fake clock around remove()
    CHECK(c.exit_ns == 1000 * c.tag + 500);
    CHECK(c.wait_ns == 1000 * c.tag);
    CHECK(c.invoked == 100);
  }
  CHECK(h.kernel.removes == 5);
  CHECK_FALSE(h.kernel.loaded);
  CHECK(out.results.strategies == std::vector<std::string>{"barrier", "force-qs"});
}

TEST_CASE("auto keeps the asked strategy and records the picked one") {
  Harness h;
  auto out = h.run({"auto"}, 1);
  REQUIRE(out.results.cycles.size() == 1);
  CHECK(out.results.cycles[0].strategy == "auto");
  CHECK(out.results.cycles[0].picked == "barrier");
}

TEST_CASE("lost callbacks fail the run and stop it") {
  Harness h;
  h.kernel.lose[2] = 3;
  auto out = h.run({"barrier"}, 4);
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.cycles.size() == 2);  // the bad cycle is kept for the record
  CHECK(out.results.cycles[1].invoked == 97);
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
