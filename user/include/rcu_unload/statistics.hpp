#pragma once
// Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at
// rank ceil(p/100 * n) (rank 1 for p = 0), so every reported percentile is an observed latency.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace rcu_unload {

struct Summary {
  std::size_t n = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for n < 2
};

// The smallest n at which a percentile is shown: below it the nearest-rank p99 is the max (p90
// likewise below 10), so tables print "-" and the JSON summary null instead.
inline constexpr std::size_t kMinSamplesP90 = 10;
inline constexpr std::size_t kMinSamplesP99 = 100;

// `sorted` must be ascending and non-empty.
double percentile_sorted(const std::vector<double>& sorted, double p);

Summary summarize(std::vector<double> sample);

struct RatioCI {
  double ratio = 0;  // p50(a) / p50(b)
  double low = 0;    // 2.5th percentile of the bootstrap distribution
  double high = 0;   // 97.5th percentile
};

inline constexpr unsigned kBootstrapResamples = 2000;
inline constexpr std::uint64_t kBootstrapSeed = 0x5eed'7c0d'e0f0'4c1dULL;

// Seeded so that reports of the same data are identical; nullopt when a sample is empty or a
// median of b is zero (no finite ratio).
std::optional<RatioCI> ratio_ci(const std::vector<double>& a, const std::vector<double>& b,
                                unsigned resamples = kBootstrapResamples,
                                std::uint64_t seed = kBootstrapSeed);

// One-sided Mann-Whitney U test (normal approximation with tie and continuity correction): the
// p-value of "values in `b` tend to be larger than those in `a`". 1 when either sample is empty.
double mann_whitney_greater_p(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace rcu_unload
