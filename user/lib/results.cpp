#include "rcu_unload/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

using nlohmann::json;

void to_json(json& j, const Cycle& c) {
  j = {{"cycle", c.cycle},           {"tag", c.tag},             {"strategy", c.strategy}, {"picked", c.picked},
       {"syscall_ns", c.syscall_ns}, {"exit_ns", c.exit_ns},     {"wait_ns", c.wait_ns},   {"enqueued", c.enqueued},
       {"invoked", c.invoked},       {"callbacks", c.callbacks}, {"gp_ns", c.gp_ns},       {"rounds", c.rounds},
       {"stop_ns", c.stop_ns},       {"readers", c.readers},     {"churn", c.churn},       {"flavor", c.flavor},
       {"rcu", c.rcu},               {"preempt", c.preempt},     {"exp_gp_ns", c.exp_gp_ns}, {"cb_cost_ns", c.cb_cost_ns},
       {"peak_pending", c.peak_pending}, {"peak_bytes", c.peak_bytes}};
}

// The fields of the first format-1 files are required, later ones default to 0 (strings to "").
void from_json(const json& j, Cycle& c) {
  j.at("cycle").get_to(c.cycle);
  j.at("tag").get_to(c.tag);
  j.at("strategy").get_to(c.strategy);
  j.at("picked").get_to(c.picked);
  j.at("syscall_ns").get_to(c.syscall_ns);
  j.at("exit_ns").get_to(c.exit_ns);
  j.at("wait_ns").get_to(c.wait_ns);
  j.at("enqueued").get_to(c.enqueued);
  j.at("invoked").get_to(c.invoked);
  c.callbacks = j.value("callbacks", 0u);
  c.gp_ns = j.value("gp_ns", std::uint64_t{0});
  c.rounds = j.value("rounds", std::uint64_t{0});
  c.stop_ns = j.value("stop_ns", std::uint64_t{0});
  c.readers = j.value("readers", std::uint64_t{0});
  c.churn = j.value("churn", std::uint64_t{0});
  c.flavor = j.value("flavor", "");
  c.rcu = j.value("rcu", "");
  c.preempt = j.value("preempt", "");
  c.exp_gp_ns = j.value("exp_gp_ns", std::uint64_t{0});
  c.cb_cost_ns = j.value("cb_cost_ns", std::uint64_t{0});
  c.peak_pending = j.value("peak_pending", std::uint64_t{0});
  c.peak_bytes = j.value("peak_bytes", std::uint64_t{0});
}

std::vector<std::string> cycle_problems(const Cycle& c) {
  std::vector<std::string> problems;
  // Churn producers add callbacks after load: then only fewer than asked is wrong.
  if (c.churn == 0 ? c.enqueued != c.callbacks : c.enqueued < c.callbacks)
    problems.push_back(fmt::format("enqueued {} callbacks, asked for {}", c.enqueued, c.callbacks));
  if (lost_callbacks(c))
    problems.push_back(fmt::format("invoked {} of {} callbacks before unload returned", c.invoked, c.enqueued));
  if (c.syscall_ns == 0) problems.emplace_back("syscall_ns is 0");
  if (c.exit_ns == 0) problems.emplace_back("exit_ns (total_ns) is 0 or missing");
  if (c.wait_ns == 0) problems.emplace_back("wait_ns is 0 or missing");
  return problems;
}

Combination cycle_combination(std::size_t cycle, std::size_t strategies, std::size_t callbacks) {
  if (strategies == 0 || callbacks == 0) return {};
  const std::size_t combo = cycle % (strategies * callbacks);
  return {combo % strategies, combo / strategies};
}

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::syscall_ns: return "syscall_ns";
    case Metric::exit_ns: return "exit_ns";
    case Metric::wait_ns: return "wait_ns";
  }
  return "?";
}

std::uint64_t metric_value(const Cycle& c, Metric m) {
  switch (m) {
    case Metric::syscall_ns: return c.syscall_ns;
    case Metric::exit_ns: return c.exit_ns;
    case Metric::wait_ns: return c.wait_ns;
  }
  return 0;
}

std::string Row::label() const { return callbacks ? fmt::format("{} cb={}", strategy, *callbacks) : strategy; }

std::vector<double> metric_sample(const Results& r, const Row& row, Metric m) {
  std::vector<double> sample;
  for (const auto& c : r.cycles)
    if (row.has(c)) sample.push_back(static_cast<double>(metric_value(c, m)));
  return sample;
}

std::vector<std::string> strategies_present(const Results& r) {
  auto names = r.strategies;
  for (const auto& c : r.cycles)
    if (std::find(names.begin(), names.end(), c.strategy) == names.end()) names.push_back(c.strategy);
  return names;
}

std::vector<unsigned> callbacks_present(const Results& r) {
  auto values = r.callbacks;
  for (const auto& c : r.cycles)
    if (std::find(values.begin(), values.end(), c.callbacks) == values.end()) values.push_back(c.callbacks);
  return values;
}

std::vector<Row> rows_present(const Results& r) {
  const auto values = callbacks_present(r);
  std::vector<Row> rows;
  for (auto cb : values)
    for (const auto& name : strategies_present(r))
      rows.push_back({name, values.size() > 1 ? std::optional<unsigned>(cb) : std::nullopt});
  if (values.empty())
    for (const auto& name : strategies_present(r)) rows.push_back({name, std::nullopt});
  return rows;
}

namespace {

json summary_json(const Summary& s) {
  auto whole = [](double v) { return static_cast<std::uint64_t>(v); };
  return {{"n", s.n},           {"min", whole(s.min)}, {"p50", whole(s.p50)}, {"p90", whole(s.p90)},
          {"p99", whole(s.p99)}, {"max", whole(s.max)}, {"mean", s.mean}};
}

}  // namespace

std::string results_to_json(const Results& r) {
  json summary = json::object();
  for (const auto& row : rows_present(r)) {
    json& entry = summary[row.label()];
    for (auto m : kSummaryMetrics) entry[std::string(metric_name(m))] = summary_json(summarize(metric_sample(r, row, m)));
  }
  json j = {{"format", kResultsFormat},
            {"kernel", r.kernel},
            {"cmdline", r.cmdline},
            {"cpus", r.cpus},
            {"taint_before", r.taint_before},
            {"taint", r.taint},
            {"new_taint", r.new_taint},
            {"callbacks", r.callbacks.empty() ? 0u : r.callbacks.front()},
            {"callbacks_list", r.callbacks},
            {"strategies", r.strategies},
            {"params", r.params},
            {"interrupted", r.interrupted},
            {"cycles", r.cycles},
            {"errors", r.errors},
            {"warnings", r.warnings},
            {"summary", std::move(summary)}};
  return j.dump(2) + "\n";
}

Result<Results> results_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return error("results are not valid JSON");
  if (!j.is_object()) return error("results JSON is not an object");
  if (j.value("format", 0) != kResultsFormat)
    return error(fmt::format("results JSON format is {}, expected {}", j.value("format", json()).dump(), kResultsFormat));
  try {
    Results r;
    r.kernel = j.value("kernel", "");
    r.cmdline = j.value("cmdline", "");
    r.cpus = j.value("cpus", 0u);
    r.taint = j.value("taint", std::uint64_t{0});
    // Files written before the taint was split into before/after only have "taint".
    r.taint_before = j.value("taint_before", r.taint);
    r.new_taint = j.value("new_taint", std::uint64_t{0});
    // Files written before --callbacks was repeatable have one value and cycles without their own.
    r.callbacks = j.value("callbacks_list", std::vector<unsigned>{j.at("callbacks").get<unsigned>()});
    r.strategies = j.at("strategies").get<std::vector<std::string>>();
    r.params = j.value("params", std::vector<std::string>{});
    r.interrupted = j.value("interrupted", false);
    r.cycles = j.at("cycles").get<std::vector<Cycle>>();
    for (std::size_t i = 0; i < r.cycles.size(); ++i)
      if (!j.at("cycles").at(i).contains("callbacks") && !r.callbacks.empty()) r.cycles[i].callbacks = r.callbacks.front();
    r.errors = j.value("errors", std::vector<std::string>{});
    r.warnings = j.value("warnings", std::vector<std::string>{});
    return r;
  } catch (const json::exception& e) {
    return error(fmt::format("results JSON does not match format {}: {}", kResultsFormat, e.what()));
  }
}

Result<Results> load_results(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return error(fmt::format("cannot read {}", path));
  auto r = results_from_json(*text);
  if (!r) return error(fmt::format("{}: {}", path, r.error()));
  return r;
}

std::optional<std::string> save_results(const std::string& path, const Results& r) {
  std::ofstream out(path, std::ios::trunc);
  out << results_to_json(r);
  out.close();
  if (!out) return fmt::format("cannot write {}", path);
  return std::nullopt;
}

}  // namespace rcu_unload
