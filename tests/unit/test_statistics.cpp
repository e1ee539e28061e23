#include <catch2/catch.hpp>

#include "rcu_unload/statistics.hpp"

using namespace rcu_unload;

TEST_CASE("nearest-rank percentiles of 1..10") {
  auto s = summarize({10, 3, 1, 7, 2, 9, 4, 8, 6, 5});
  CHECK(s.n == 10);
  CHECK(s.min == 1);
  CHECK(s.p50 == 5);  // rank ceil(5.0) = 5
  CHECK(s.p90 == 9);  // rank 9
  CHECK(s.p99 == 10); // rank ceil(9.9) = 10
  CHECK(s.max == 10);
  CHECK(s.mean == Approx(5.5));
}

TEST_CASE("percentiles of tiny samples are observed values") {
  auto one = summarize({42});
  CHECK(one.p50 == 42);
  CHECK(one.p99 == 42);
  auto two = summarize({1, 100});
  CHECK(two.p50 == 1);
  CHECK(two.p90 == 100);
  CHECK(percentile_sorted({1, 2, 3, 4}, 0) == 1);
  CHECK(percentile_sorted({1, 2, 3, 4}, 25) == 1);
  CHECK(percentile_sorted({1, 2, 3, 4}, 26) == 2);
  CHECK(summarize({}).n == 0);
}

TEST_CASE("the bootstrap CI of a clear 2x ratio contains 2 and excludes 1") {
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    b.push_back(100 + i % 7);
    a.push_back(200 + 2 * (i % 7));
  }
  auto ci = ratio_ci(a, b);
  REQUIRE(ci);
  CHECK(ci->ratio == Approx(2.0).epsilon(0.02));
  CHECK(ci->low <= 2.0);
  CHECK(ci->high >= 2.0);
  CHECK(ci->low > 1.5);
  CHECK(ci->low <= ci->ratio);
  CHECK(ci->ratio <= ci->high);
}

TEST_CASE("the bootstrap is deterministic for a seed") {
  std::vector<double> a{1, 5, 2, 8, 3, 9, 4}, b{2, 2, 3, 7, 1, 6, 5};
  auto x = ratio_ci(a, b), y = ratio_ci(a, b);
  REQUIRE(x);
  REQUIRE(y);
  CHECK(x->low == y->low);
  CHECK(x->high == y->high);
  CHECK(ratio_ci(a, a)->ratio == 1.0);
}

TEST_CASE("no ratio without data or with a zero median") {
  CHECK_FALSE(ratio_ci({}, {1, 2}));
  CHECK_FALSE(ratio_ci({1, 2}, {}));
  CHECK_FALSE(ratio_ci({1, 2}, {0, 0, 5}));
}
