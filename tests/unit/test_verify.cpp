#include <catch2/catch.hpp>

#include "fakes.hpp"
#include "rcu_unload/verify.hpp"

using namespace rcu_unload;

namespace {
bool mentions(const std::vector<std::string>& problems, const std::string& needle) {
  for (const auto& p : problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("a clean run verifies with and without expectations") {
  auto r = test::good_results(6, {"barrier", "force-qs"});
  CHECK(verify_results(r, {}).empty());
  CHECK(verify_results(r, {3u, test::specs({"barrier", "force-qs"}), {}, {}}).empty());
}

TEST_CASE("verify catches missing cycles and wrong strategies") {
  auto r = test::good_results(5, {"barrier", "force-qs"});
  auto p = verify_results(r, {3u, test::specs({"barrier", "force-qs"}), {}, {}});
  CHECK(mentions(p, "force-qs cb=1000: 2 cycles, expected 3"));
  CHECK(mentions(p, "5 cycles in the results, expected 6"));
  CHECK(verify_results(r, {}).empty());
  auto wrong = verify_results(r, {std::nullopt, test::specs({"barrier", "sync-exp"}), {}, {}});
  CHECK(mentions(wrong, "cycle 1 (force-qs cb=1000): expected sync-exp cb=1000"));
  CHECK(mentions(wrong, "strategies are [barrier, force-qs], expected [barrier, sync-exp]"));
}

TEST_CASE("verify catches lost callbacks and zero timings and interruption and errors and taint") {
  auto r = test::good_results(4, {"barrier"});
  r.cycles[1].exit.invoked = 999;
  r.cycles[2].exit.total_ns = 0;
  r.cycles[3].exit.wait_ns = 0;
  r.interrupted = true;
  r.errors = {"cycle 9: boom"};
  r.new_taint = 1u << 7;
  auto p = verify_results(r, {4u, test::specs({"barrier"}), {}, {}});
  CHECK(mentions(p, "cycle 1 (barrier cb=1000): invoked 999 of 1000"));
  CHECK(mentions(p, "cycle 2 (barrier cb=1000): total_ns"));
  CHECK(mentions(p, "cycle 3 (barrier cb=1000): wait_ns"));
  CHECK(mentions(p, "interrupted"));
  CHECK(mentions(p, "boom"));
  CHECK(mentions(p, "tainted during the run: D"));
}

TEST_CASE("verify rejects an empty run") {
  auto r = test::good_results(0, {"barrier"});
  CHECK(mentions(verify_results(r, {}), "no cycles"));
}

TEST_CASE("verify checks every strategy x callbacks combination") {
  auto r = test::good_results(12, {"barrier", "force-qs+knobs"}, {1, 1000, 100000});
  CHECK(verify_results(r, {}).empty());
  CHECK(verify_results(r, {2u, test::specs({"barrier", "force-qs+knobs"}), {1, 1000, 100000}, {}}).empty());
  auto more = verify_results(r, {3u, test::specs({"barrier", "force-qs+knobs"}), {1, 1000, 100000}, {}});
  CHECK(mentions(more, "force-qs+knobs cb=100000: 2 cycles, expected 3"));
  CHECK(mentions(more, "12 cycles in the results, expected 18"));
  auto other = verify_results(r, {2u, test::specs({"barrier", "force-qs+knobs"}), {1, 1000}, {}});
  CHECK(mentions(other, "callbacks are [1, 1000, 100000], expected [1, 1000]"));
  CHECK(mentions(other, "cycle 4 (barrier cb=100000): expected barrier cb=1"));
  r.cycles[9].callbacks = 1;  // a cycle that ran the wrong callbacks value
  r.cycles[9].exit.enqueued = r.cycles[9].exit.invoked = 1;
  CHECK(mentions(verify_results(r, {}), "cycle 9 (force-qs+knobs cb=1): expected force-qs+knobs cb=1000"));
}

TEST_CASE("verify checks what the cycles of a strategy spec picked") {
  auto r = test::good_results(6, {"barrier", "auto"});
  for (auto& c : r.cycles)
    if (c.strategy == "auto") c.exit.picked = "direct";
  Expectation expect;
  expect.picks = {{"auto", "direct"}, {"barrier", "barrier"}};
  CHECK(verify_results(r, expect).empty());

  r.cycles[3].exit.picked = "force-qs";
  r.cycles[5].exit.picked.clear();
  auto p = verify_results(r, expect);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == "cycle 3 (auto): picked force-qs, expected direct");
  CHECK(p[1] == "cycle 5 (auto): picked nothing, expected direct");

  // A spec the run never ran can't be checked, which must not pass as if it had been.
  expect.picks = {{"auto+knobs", "direct"}};
  CHECK(mentions(verify_results(r, expect), "no auto+knobs cycles to check the pick direct against"));
}

TEST_CASE("verify --strategy all checks against the specs the run expanded it to") {
  auto r = test::good_results(8, {"auto", "barrier", "force-qs", "force-qs+knobs"});
  CHECK(verify_results(r, {2u, test::specs({"all", "force-qs+knobs"}), {}, {}}).empty());
  CHECK(verify_results(r, {2u, test::specs({"all", "all+knobs"}), {}, {}}).empty());
  CHECK(mentions(verify_results(r, {3u, test::specs({"all", "force-qs+knobs"}), {}, {}}),
                 "8 cycles in the results, expected 12"));
  // A +knobs spec needs an all+knobs or itself; unsafe-none is never part of `all`.
  CHECK(mentions(verify_results(r, {2u, test::specs({"all"}), {}, {}}),
                 "strategy force-qs+knobs in the results is none of [all]"));
  auto unsafe = test::good_results(2, {"barrier", "unsafe-none"});
  CHECK(mentions(verify_results(unsafe, {1u, test::specs({"all"}), {}, {}}),
                 "strategy unsafe-none in the results is none of [all]"));
  CHECK(verify_results(unsafe, {1u, test::specs({"all", "unsafe-none"}), {}, {}}).empty());
}
