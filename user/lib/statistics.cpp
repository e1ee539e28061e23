#include "rcu_unload/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <utility>

namespace rcu_unload {

double percentile_sorted(const std::vector<double>& sorted, double p) {
  auto n = sorted.size();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

Summary summarize(std::vector<double> sample) {
  Summary s;
  s.n = sample.size();
  if (sample.empty()) return s;
  std::sort(sample.begin(), sample.end());
  s.min = sample.front();
  s.max = sample.back();
  s.p50 = percentile_sorted(sample, 50);
  s.p90 = percentile_sorted(sample, 90);
  s.p99 = percentile_sorted(sample, 99);
  s.mean = std::accumulate(sample.begin(), sample.end(), 0.0) / static_cast<double>(s.n);
  if (s.n > 1) {
    double squares = 0;
    for (double x : sample) squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(s.n - 1));
  }
  return s;
}

namespace {

double resampled_median(const std::vector<double>& sample, std::mt19937_64& rng, std::vector<double>& scratch) {
  std::uniform_int_distribution<std::size_t> pick(0, sample.size() - 1);
  scratch.resize(sample.size());
  for (auto& x : scratch) x = sample[pick(rng)];
  std::sort(scratch.begin(), scratch.end());
  return percentile_sorted(scratch, 50);
}

}  // namespace

std::optional<RatioCI> ratio_ci(const std::vector<double>& a, const std::vector<double>& b, unsigned resamples,
                                std::uint64_t seed) {
  if (a.empty() || b.empty() || resamples == 0) return std::nullopt;
  auto median_b = summarize(b).p50;
  if (median_b == 0) return std::nullopt;

  std::mt19937_64 rng(seed);
  std::vector<double> ratios, scratch;
  ratios.reserve(resamples);
  for (unsigned i = 0; i < resamples; ++i) {
    double mb = resampled_median(b, rng, scratch);
    double ma = resampled_median(a, rng, scratch);
    if (mb > 0) ratios.push_back(ma / mb);
  }
  if (ratios.empty()) return std::nullopt;
  std::sort(ratios.begin(), ratios.end());
  return RatioCI{summarize(a).p50 / median_b, percentile_sorted(ratios, 2.5), percentile_sorted(ratios, 97.5)};
}

double mann_whitney_greater_p(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return 1.0;
  // Midranks over the pooled sample; U of b counts the pairs where b's value is the larger.
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.emplace_back(x, 0);
  for (double x : b) pooled.emplace_back(x, 1);
  std::sort(pooled.begin(), pooled.end());
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size()), n = n1 + n2;
  double rank_sum_b = 0, ties = 0;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double midrank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2.0;  // ranks i+1..j
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second == 1) rank_sum_b += midrank;
    i = j;
  }
  const double u = rank_sum_b - n2 * (n2 + 1) / 2.0;
  const double mean = n1 * n2 / 2.0;
  const double variance = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)));
  if (variance <= 0) return 1.0;  // every value equal
  const double z = (u - mean - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

}  // namespace rcu_unload
