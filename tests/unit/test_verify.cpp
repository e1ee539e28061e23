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
  CHECK(verify_results(r, {3u, {"barrier", "force-qs"}}).empty());
}

TEST_CASE("verify catches missing cycles and wrong strategies") {
  auto r = test::good_results(5, {"barrier", "force-qs"});
  auto p = verify_results(r, {3u, {"barrier", "force-qs"}});
  CHECK(mentions(p, "strategy force-qs: 2 cycles, expected 3"));
  CHECK(mentions(p, "5 cycles in the results, expected 6"));
  CHECK(verify_results(r, {}).empty());
  auto wrong = verify_results(r, {std::nullopt, {"barrier", "sync-exp"}});
  CHECK(mentions(wrong, "cycle 1 (force-qs): expected strategy sync-exp"));
  CHECK(mentions(wrong, "strategies are [barrier, force-qs], expected [barrier, sync-exp]"));
}

TEST_CASE("verify catches lost callbacks and zero timings and interruption and errors and taint") {
  auto r = test::good_results(4, {"barrier"});
  r.cycles[1].invoked = 999;
  r.cycles[2].exit_ns = 0;
  r.cycles[3].wait_ns = 0;
  r.interrupted = true;
  r.errors = {"cycle 9: boom"};
  r.new_taint = 1u << 7;
  auto p = verify_results(r, {4u, {"barrier"}});
  CHECK(mentions(p, "cycle 1 (barrier): invoked 999 of 1000"));
  CHECK(mentions(p, "cycle 2 (barrier): exit_ns"));
  CHECK(mentions(p, "cycle 3 (barrier): wait_ns"));
  CHECK(mentions(p, "interrupted"));
  CHECK(mentions(p, "boom"));
  CHECK(mentions(p, "tainted during the run: D"));
}

TEST_CASE("verify rejects an empty run") {
  auto r = test::good_results(0, {"barrier"});
  CHECK(mentions(verify_results(r, {}), "no cycles"));
}
