#pragma once
// The kernel matrix summary: a row per configuration a script built and booted, from the status word
// the script wrote and the results file the guest left (docs/interfaces.md, `rcu-unload matrix`).
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/report.hpp"
#include "rcu_unload/result.hpp"

namespace rcu_unload {

// One line of the matrix TSV: LABEL<TAB>STATUS<TAB>RESULTS_JSON_PATH.
struct MatrixEntry {
  std::string label;         // the configuration, e.g. deb-6.1-rt
  std::string status;        // the script's verdict: ok, splat, timeout, boot-failed, build-failed, ...
  std::string results_path;  // empty when there is no results file to read
};

inline constexpr std::string_view kMatrixOk = "ok";

// Blank lines and lines starting with '#' are skipped; a malformed line is an error naming its number.
Result<std::vector<MatrixEntry>> parse_matrix_tsv(std::string_view text);

struct MatrixSummary {
  std::string table;
  // Every status is ok, with nothing appended to it, and no callbacks were lost.
  bool pass = false;
  std::vector<std::string> problems;  // what the table can't show: why a results file could not be read
};

// A row per entry: configuration, rcu, preempt, the strategy auto picked, the exit-path p50 of every
// strategy spec in any of the files (per callbacks value when the files mix several), lost, cycles and
// the status with what the results add to it: "+errors", "+taint", "+interrupted", "+unreadable" (the
// file is there but is no results JSON) or "+no-results" (ok, but the file it names is not there). An
// entry without a path passes on its status alone. Paths are read as given (relative to the working
// directory).
MatrixSummary summarize_matrix(const std::vector<MatrixEntry>& entries, TableStyle style = TableStyle::text);

}  // namespace rcu_unload
