// The runner's per-combination cycle count and its start/cycle callbacks (progress, streaming).
#include <catch2/catch.hpp>

#include "fakes.hpp"
#include "rcu_unload/runner.hpp"

using namespace rcu_unload;
using rcu_unload::test::FakeKernel;

namespace {
struct PlanHarness {
  FakeKernel kernel;
  std::atomic<bool> stop{false};
  std::uint64_t clock = 0;
  RunEnvironment env{kernel, kernel, stop};
  PlanHarness() { env.now_ns = [this] { return clock += 1000; }; }
  RunOutcome run(const std::vector<std::string>& specs, unsigned per, std::vector<unsigned> callbacks,
                 std::uint64_t tag_base = 1) {
    RunConfig config;
    for (const auto& spec : specs) config.strategies.push_back(parse_strategy_spec(spec).value());
    config.cycles = 999;  // ignored when cycles_per_combination is set
    config.cycles_per_combination = per;
    config.callbacks = std::move(callbacks);
    config.tag_base = tag_base;
    return run_cycles(config, env);
  }
};
}  // namespace

TEST_CASE("cycles per combination: the runner computes the total after all is expanded") {
  PlanHarness h;
  h.kernel.applies = "barrier,auto,force-qs,unsafe-none";
  unsigned planned = 0;
  std::vector<std::string> planned_specs;
  std::vector<unsigned> seen;
  h.env.on_start = [&](unsigned total, const Results& r) {
    planned = total;
    planned_specs = r.strategies;
  };
  h.env.on_cycle = [&](const Cycle& c) { seen.push_back(c.cycle); };
  auto out = h.run({"all"}, 2, {1, 100});
  for (const auto& e : out.results.errors) UNSCOPED_INFO(e);
  CHECK(out.exit_code == 0);
  // auto, barrier, force-qs x 2 callbacks values x 2
  CHECK(planned == 12);
  CHECK(planned_specs == std::vector<std::string>{"auto", "barrier", "force-qs"});
  CHECK(out.results.cycles.size() == 12);
  CHECK(seen.size() == 12);
  REQUIRE(!seen.empty());
  CHECK(seen.back() == 11);
}

TEST_CASE("cycles per combination that would overflow the count or the tags is an error before any load") {
  PlanHarness h;
  auto out = h.run({"barrier", "force-qs"}, 4'000'000'000u, {1});
  CHECK(out.exit_code == kExitFailure);
  REQUIRE(out.results.errors.size() == 1);
  CHECK_THAT(out.results.errors[0], Catch::Contains("too many"));
  CHECK(h.kernel.inserts.empty());
  auto wrap = h.run({"barrier"}, 2, {1}, std::numeric_limits<std::uint64_t>::max());
  CHECK(wrap.exit_code == kExitFailure);
  CHECK(h.kernel.inserts.empty());
}
