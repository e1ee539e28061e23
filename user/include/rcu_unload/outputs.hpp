#pragma once
// The machine-readable outputs besides the results JSON: CSV (a row per cycle), KTAP (a test per
// strategy spec x callbacks value), the results journal a run streams cycle by cycle, and the
// comparison of two results files (docs/interfaces.md).
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/report.hpp"
#include "rcu_unload/result.hpp"
#include "rcu_unload/results.hpp"

namespace rcu_unload {

// A header line, then one line per cycle with every key a cycle has in the results JSON (the
// union over the cycles, in first-seen order; empty where a cycle lacks one).
std::string results_to_csv(const Results& r);

// KTAP version 1: a test per row (strategy spec x callbacks value), `ok` when its cycles pass
// verify's per-cycle checks (callbacks all invoked, timings positive) and it has any, with its
// figures and problems as `#` diagnostics; then a test `run` for the run-level checks (errors,
// interruption, new taint).
std::string results_to_ktap(const Results& r);

// The journal a run writes next to its results file, PATH.partial: JSON lines, the run's header
// (format, "journal": 1, strategies, callbacks, params, environment) and then one line per cycle,
// each written as the cycle ends, so a harness that dies keeps every cycle that ran.
class ResultsJournal {
 public:
  ResultsJournal() = default;
  ResultsJournal(const ResultsJournal&) = delete;
  ResultsJournal& operator=(const ResultsJournal&) = delete;
  ResultsJournal(ResultsJournal&& other) noexcept;
  ResultsJournal& operator=(ResultsJournal&& other) noexcept;
  ~ResultsJournal();

  // Checks that the results can be written before anything is loaded: removes an older
  // `results_path` (a run that cannot start leaves no stale file behind) and creates
  // results_path + ".partial". The error names the path and strerror.
  static Result<ResultsJournal> open(const std::string& results_path);

  std::optional<std::string> header(const Results& r);  // error text
  std::optional<std::string> cycle(const Cycle& c);
  // Writes the results file (through a temporary and a rename) and removes the journal.
  std::optional<std::string> finish(const Results& r);
  const std::string& journal_path() const { return journal_; }

 private:
  std::optional<std::string> write_line(const std::string& line);
  std::string path_, journal_;
  int fd_ = -1;
};

inline constexpr std::string_view kJournalSuffix = ".partial";

// A results JSON or a journal (a run that died: its cycles, marked interrupted).
Result<Results> results_from_text(std::string_view text);
Result<Results> load_any_results(const std::string& path);

// compare OLD NEW: per row both files have, NEW's p50 over OLD's with a bootstrap 95% CI and the
// one-sided Mann-Whitney p-value of "NEW is slower"; a row is a regression when the ratio exceeds
// 1 + threshold, the CI's low end exceeds 1 and p < alpha.
struct RowComparison {
  std::string row;
  std::size_t n_old = 0, n_new = 0;
  double p50_old = 0, p50_new = 0;
  std::optional<RatioCI> ratio;
  double p_value = 1;
  bool slower = false;
};

struct Comparison {
  std::vector<RowComparison> rows;
  std::vector<std::string> only_in_one;  // rows missing from one of the files
  bool regression = false;
};

inline constexpr double kCompareAlpha = 0.05;

Comparison compare_results(const Results& old_results, const Results& new_results, Metric metric, double threshold,
                           double alpha = kCompareAlpha);
std::string format_comparison(const Comparison& c, Metric metric, double threshold, TableStyle style);

// "10%" or "0.1" as a fraction; nullopt for anything else or a negative value.
std::optional<double> parse_threshold(std::string_view text);

}  // namespace rcu_unload
