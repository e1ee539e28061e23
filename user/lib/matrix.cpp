#include "rcu_unload/matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "rcu_unload/results.hpp"
#include "rcu_unload/statistics.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

Result<std::vector<MatrixEntry>> parse_matrix_tsv(std::string_view text) {
  std::vector<MatrixEntry> entries;
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    auto line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Not the whole line trimmed: a leading tab is an empty label, not one column fewer.
    if (trim(line).empty() || trim(line).front() == '#') continue;

    std::vector<std::string_view> fields;
    for (std::size_t from = 0;;) {
      const auto tab = line.find('\t', from);
      fields.push_back(trim(line.substr(from, tab == std::string_view::npos ? std::string_view::npos : tab - from)));
      if (tab == std::string_view::npos) break;
      from = tab + 1;
    }
    // The status is a single word a script wrote; anything else means the columns slipped.
    const bool status_is_word = fields.size() > 1 && !fields[1].empty() &&
                                fields[1].find(' ') == std::string_view::npos;
    if (fields.size() > 3 || fields[0].empty() || !status_is_word)
      return error(fmt::format("line {}: expected LABEL<TAB>STATUS[<TAB>RESULTS_JSON], got '{}'", number, line));
    const auto path = fields.size() == 3 ? fields[2] : std::string_view{};
    entries.push_back({std::string(fields[0]), std::string(fields[1]), std::string(path)});
  }
  return entries;
}

namespace {

struct MatrixLine {
  const MatrixEntry* entry = nullptr;
  std::optional<Results> results;
  std::string status;  // the entry's status plus what the results add, e.g. "ok+taint"
  std::size_t lost = 0;  // cycles that unloaded with callbacks still pending
  bool pass = false;
};

bool runs_auto(const Cycle& c) { return c.exit.strategy == kAutoStrategy; }

// The distinct non-empty values of an exit record `field` in first-seen order, joined by '/'; "-"
// when there are none.
std::string distinct_values(const Results* r, std::string ExitRecord::*field, bool auto_only = false) {
  std::vector<std::string> values;
  if (r)
    for (const auto& c : r->cycles) {
      const std::string& value = c.exit.*field;
      if ((auto_only && !runs_auto(c)) || value.empty()) continue;
      if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    }
  return values.empty() ? "-" : fmt::format("{}", fmt::join(values, "/"));
}

// The strategy columns over all files, as the report's rows of one run holding all of them: a p50 over
// cycles of different callbacks values would mean nothing, so those split by callbacks value.
std::vector<Row> strategy_columns(const std::vector<MatrixLine>& lines) {
  Results all;
  for (const auto& line : lines) {
    if (!line.results) continue;
    for (const auto& name : strategies_present(*line.results))
      if (std::find(all.strategies.begin(), all.strategies.end(), name) == all.strategies.end())
        all.strategies.push_back(name);
    for (auto value : callbacks_present(*line.results))
      if (std::find(all.callbacks.begin(), all.callbacks.end(), value) == all.callbacks.end())
        all.callbacks.push_back(value);
  }
  return rows_present(all);
}

MatrixLine load_line(const MatrixEntry& entry, std::vector<std::string>& problems) {
  MatrixLine line{&entry, std::nullopt, entry.status};
  // No path: a line that checks something without a run, which passes on its status. A path to nothing:
  // scripts name the file before knowing whether the guest wrote it, which only an ok must have done.
  const bool named = !entry.results_path.empty();
  std::error_code ec;
  if (named && std::filesystem::exists(entry.results_path, ec)) {
    if (auto r = load_results(entry.results_path)) {
      line.results = std::move(*r);
      if (!line.results->errors.empty()) line.status += "+errors";
      if (line.results->new_taint) line.status += "+taint";
      if (line.results->interrupted) line.status += "+interrupted";
    } else {
      line.status += "+unreadable";
      problems.push_back(fmt::format("{}: {}", entry.label, r.error()));
    }
  } else if (named && entry.status == kMatrixOk) {
    line.status += "+no-results";
  }
  if (line.results) {
    const auto& cycles = line.results->cycles;
    line.lost = static_cast<std::size_t>(std::count_if(cycles.begin(), cycles.end(), lost_callbacks));
  }
  line.pass = line.status == kMatrixOk && line.lost == 0;
  return line;
}

}  // namespace

MatrixSummary summarize_matrix(const std::vector<MatrixEntry>& entries, TableStyle style) {
  MatrixSummary summary;
  std::vector<MatrixLine> lines;
  for (const auto& entry : entries) lines.push_back(load_line(entry, summary.problems));
  const auto columns = strategy_columns(lines);

  Table t{{"configuration", "rcu", "preempt", "auto picked"}};
  for (const auto& column : columns) t[0].push_back(column.label());
  t[0].insert(t[0].end(), {"lost", "cycles", "status"});
  for (const auto& line : lines) {
    const Results* r = line.results ? &*line.results : nullptr;
    std::vector<std::string> cells{line.entry->label, distinct_values(r, &ExitRecord::rcu),
                                   distinct_values(r, &ExitRecord::preempt), distinct_values(r, &ExitRecord::picked, true)};
    for (const auto& column : columns) {
      auto sample = r ? metric_sample(*r, column, Metric::total_ns) : std::vector<double>{};
      cells.push_back(sample.empty() ? "-" : format_ms(summarize(sample).p50));
    }
    if (r) {
      cells.push_back(std::to_string(line.lost));
      cells.push_back(std::to_string(r->cycles.size()));
    } else {
      cells.insert(cells.end(), {"-", "-"});
    }
    cells.push_back(line.status);
    t.push_back(std::move(cells));
  }

  const std::string title = "kernel matrix: module exit path p50 per strategy";
  summary.table = style == TableStyle::markdown ? fmt::format("**{}** [ms]\n\n", title) : title + " [ms]\n";
  summary.table += render_table(t, style);
  summary.pass = !lines.empty() && std::all_of(lines.begin(), lines.end(), [](const MatrixLine& l) { return l.pass; });
  if (lines.empty()) summary.problems.emplace_back("the matrix has no configurations");
  return summary;
}

}  // namespace rcu_unload
