#include "rcu_unload/outputs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "rcu_unload/statistics.hpp"
#include "rcu_unload/system_info.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

using nlohmann::json;

void to_json(json& j, const Cycle& c);  // results.cpp

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string json_scalar(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string ms(double ns) { return format_ms(ns); }

// The per-cycle problems of one row's cycles, as verify words them.
std::vector<std::string> row_problems(const Results& r, const Row& row) {
  std::vector<std::string> problems;
  for (const auto& c : r.cycles)
    if (row.has(c))
      for (const auto& p : cycle_problems(c)) problems.push_back(fmt::format("cycle {}: {}", c.cycle, p));
  return problems;
}

std::string errno_text(int err) { return fmt::format("{} (errno {})", std::strerror(err), err); }

}  // namespace

std::string results_to_csv(const Results& r) {
  // The harness's keys first (a JSON object iterates its keys sorted), then the records' keys.
  std::vector<std::string> columns = {"cycle", "tag", "strategy", "callbacks", "syscall_ns"};
  std::vector<json> rows;
  for (const auto& c : r.cycles) {
    json j;
    to_json(j, c);
    for (const auto& [key, value] : j.items())
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    rows.push_back(std::move(j));
  }
  std::string out;
  for (std::size_t k = 0; k < columns.size(); ++k) out += (k ? "," : "") + csv_field(columns[k]);
  out += "\n";
  for (const auto& j : rows) {
    for (std::size_t k = 0; k < columns.size(); ++k) {
      auto it = j.find(columns[k]);
      out += (k ? "," : "") + (it == j.end() ? std::string{} : csv_field(json_scalar(*it)));
    }
    out += "\n";
  }
  return out;
}

std::string results_to_ktap(const Results& r) {
  const auto rows = rows_present(r);
  std::string out = "KTAP version 1\n";
  out += fmt::format("1..{}\n", rows.size() + 1);
  out += fmt::format("# rcu-unload: kernel {}, {} cpus, {} cycles\n", r.kernel.empty() ? "?" : r.kernel, r.cpus,
                     r.cycles.size());
  unsigned number = 0;
  for (const auto& row : rows) {
    ++number;
    const auto problems = row_problems(r, row);
    for (auto m : {Metric::syscall_ns, Metric::total_ns}) {
      const auto s = summarize(metric_sample(r, row, m));
      if (s.n == 0) continue;
      out += fmt::format("# {} {}: n={} min={} p50={} max={} sigma={} ms\n", row.label(), metric_name(m), s.n,
                         ms(s.min), ms(s.p50), ms(s.max), ms(s.stddev));
    }
    const bool empty = metric_sample(r, row, Metric::syscall_ns).empty();
    if (empty) out += fmt::format("# {}: no cycles\n", row.label());
    for (const auto& p : problems) out += fmt::format("# {}: {}\n", row.label(), p);
    out += fmt::format("{} {} {}\n", problems.empty() && !empty ? "ok" : "not ok", number, row.label());
  }
  std::vector<std::string> run_problems;
  if (r.interrupted) run_problems.emplace_back("the run was interrupted");
  for (const auto& e : r.errors) run_problems.push_back("error: " + e);
  if (r.new_taint) run_problems.push_back("the kernel became tainted during the run: " + describe_taint(r.new_taint));
  for (const auto& p : run_problems) {
    // A diagnostic is one line.
    std::string line = p;
    for (auto& ch : line)
      if (ch == '\n') ch = ' ';
    out += "# run: " + line + "\n";
  }
  out += fmt::format("{} {} run\n", run_problems.empty() ? "ok" : "not ok", number + 1);
  return out;
}

// --- the journal ---

ResultsJournal::ResultsJournal(ResultsJournal&& other) noexcept
    : path_(std::move(other.path_)), journal_(std::move(other.journal_)), fd_(std::exchange(other.fd_, -1)) {}

ResultsJournal& ResultsJournal::operator=(ResultsJournal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    path_ = std::move(other.path_);
    journal_ = std::move(other.journal_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ResultsJournal::~ResultsJournal() {
  if (fd_ >= 0) close(fd_);
}

Result<ResultsJournal> ResultsJournal::open(const std::string& results_path) {
  ResultsJournal j;
  j.path_ = results_path;
  j.journal_ = results_path + std::string(kJournalSuffix);
  if (unlink(results_path.c_str()) < 0 && errno != ENOENT)
    return error(fmt::format("cannot replace the results file {}: {}", results_path, errno_text(errno)));
  j.fd_ = ::open(j.journal_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (j.fd_ < 0)
    return error(fmt::format("cannot write the results to {} (journal {}): {}", results_path, j.journal_,
                             errno_text(errno)));
  return j;
}

std::optional<std::string> ResultsJournal::write_line(const std::string& line) {
  if (fd_ < 0) return fmt::format("the journal {} is not open", journal_);
  std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fmt::format("cannot write the journal {}: {}", journal_, errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  return std::nullopt;
}

std::optional<std::string> ResultsJournal::header(const Results& r) {
  json j = {{"format", kResultsFormat}, {"journal", 1},          {"kernel", r.kernel},
            {"cmdline", r.cmdline},     {"cpus", r.cpus},         {"callbacks_list", r.callbacks},
            {"strategies", r.strategies}, {"params", r.params}, {"environment", environment_json(r)}};
  return write_line(j.dump());
}

std::optional<std::string> ResultsJournal::cycle(const Cycle& c) {
  json j;
  to_json(j, c);
  return write_line(j.dump());
}

std::optional<std::string> ResultsJournal::finish(const Results& r) {
  const std::string temporary = path_ + ".tmp";
  if (auto problem = save_results(temporary, r)) {
    unlink(temporary.c_str());
    return fmt::format("{} (the cycles are in {})", *problem, journal_);
  }
  if (rename(temporary.c_str(), path_.c_str()) < 0)
    return fmt::format("cannot rename {} to {}: {}", temporary, path_, errno_text(errno));
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  unlink(journal_.c_str());
  return std::nullopt;
}

Result<Results> results_from_text(std::string_view text) {
  // ResultsJournal::open() creates the journal; its header follows once the run has started.
  if (trim(text).empty()) return error("no results: the run ended before its first cycle started (an empty journal)");
  const auto first_end = text.find('\n');
  const auto first = text.substr(0, first_end);
  json head = json::parse(first, nullptr, false);
  if (head.is_discarded() || !head.is_object() || !head.contains("journal")) return results_from_json(text);
  // A journal: the header's fields and the cycles it got to, as results without a summary.
  json whole = head;
  whole.erase("journal");
  whole["cycles"] = json::array();
  // The header's first callbacks value, if it has one; results_from_json judges the rest of it.
  const auto list = head.find("callbacks_list");
  const bool first_callbacks = list != head.end() && list->is_array() && !list->empty() &&
                               list->front().is_number_unsigned();
  whole["callbacks"] = first_callbacks ? list->front() : json(0u);
  whole["interrupted"] = true;
  std::size_t line_number = 1;
  std::string_view rest = first_end == std::string_view::npos ? std::string_view{} : text.substr(first_end + 1);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    ++line_number;
    if (line.empty()) continue;
    json cycle = json::parse(line, nullptr, false);
    // The last line may be cut short by the death that left the journal behind.
    if (cycle.is_discarded() || !cycle.is_object()) {
      if (rest.empty()) break;
      return error(fmt::format("journal line {} is not a JSON object", line_number));
    }
    whole["cycles"].push_back(std::move(cycle));
  }
  auto r = results_from_json(whole.dump());
  if (r) r->warnings.insert(r->warnings.begin(), "read from a run's journal: the run did not finish");
  return r;
}

Result<Results> load_any_results(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return error(fmt::format("cannot read {}: {}", path, errno_text(errno)));
  auto r = results_from_text(*text);
  if (!r) return error(fmt::format("{}: {}", path, r.error()));
  return r;
}

// --- compare ---

Comparison compare_results(const Results& old_results, const Results& new_results, Metric metric, double threshold,
                           double alpha) {
  Comparison out;
  const auto old_rows = rows_present(old_results);
  const auto new_rows = rows_present(new_results);
  for (const auto& row : old_rows) {
    auto found = std::find_if(new_rows.begin(), new_rows.end(), [&](const Row& n) { return n.label() == row.label(); });
    if (found == new_rows.end()) {
      out.only_in_one.push_back(row.label() + " (only in OLD)");
      continue;
    }
    const auto a = metric_sample(old_results, row, metric);
    const auto b = metric_sample(new_results, *found, metric);
    if (a.empty() || b.empty()) {
      out.only_in_one.push_back(row.label() + " (no cycles in " + (a.empty() ? "OLD" : "NEW") + ")");
      continue;
    }
    RowComparison c;
    c.row = row.label();
    c.n_old = a.size();
    c.n_new = b.size();
    c.p50_old = summarize(a).p50;
    c.p50_new = summarize(b).p50;
    c.ratio = ratio_ci(b, a);
    c.p_value = mann_whitney_greater_p(a, b);
    c.slower = c.ratio && c.ratio->ratio > 1 + threshold && c.ratio->low > 1 && c.p_value < alpha;
    out.regression = out.regression || c.slower;
    out.rows.push_back(std::move(c));
  }
  for (const auto& row : new_rows)
    if (std::none_of(old_rows.begin(), old_rows.end(), [&](const Row& o) { return o.label() == row.label(); }))
      out.only_in_one.push_back(row.label() + " (only in NEW)");
  return out;
}

std::string format_comparison(const Comparison& c, Metric metric, double threshold, TableStyle style) {
  Table t{{"strategy", "n old", "n new", "p50 old", "p50 new", "new / old [95% CI]", "p (slower)", "verdict"}};
  for (const auto& row : c.rows) {
    std::string verdict = row.slower ? fmt::format("SLOWER > {:.0f}%", threshold * 100) : "ok";
    t.push_back({row.row, std::to_string(row.n_old), std::to_string(row.n_new), format_ms(row.p50_old),
                 format_ms(row.p50_new),
                 row.ratio ? fmt::format("{:.3f} [{:.3f}, {:.3f}]", row.ratio->ratio, row.ratio->low, row.ratio->high)
                           : "-",
                 fmt::format("{:.4f}", row.p_value), verdict});
  }
  std::string out = fmt::format("compare: {} p50 [ms], NEW against OLD (threshold {:.0f}%, Mann-Whitney one-sided, "
                                "alpha {})\n",
                                metric_name(metric), threshold * 100, kCompareAlpha);
  out += render_table(t, style);
  for (const auto& o : c.only_in_one) out += "not compared: " + o + "\n";
  out += c.regression ? "verdict: REGRESSION\n" : "verdict: no regression\n";
  return out;
}

std::optional<double> parse_threshold(std::string_view text) {
  text = trim(text);
  bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return percent ? v / 100 : v;
}

}  // namespace rcu_unload
