#include "rcu_unload/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Cycle, cycle, tag, strategy, picked, syscall_ns, exit_ns, wait_ns, enqueued,
                                   invoked)

std::vector<std::string> cycle_problems(const Cycle& c, unsigned callbacks) {
  std::vector<std::string> problems;
  if (c.enqueued != callbacks) problems.push_back(fmt::format("enqueued {} callbacks, asked for {}", c.enqueued, callbacks));
  if (c.invoked != c.enqueued)
    problems.push_back(fmt::format("invoked {} of {} callbacks before unload returned", c.invoked, c.enqueued));
  if (c.syscall_ns == 0) problems.emplace_back("syscall_ns is 0");
  if (c.exit_ns == 0) problems.emplace_back("exit_ns (total_ns) is 0 or missing");
  if (c.wait_ns == 0) problems.emplace_back("wait_ns is 0 or missing");
  return problems;
}

std::string_view metric_name(Metric m) { return m == Metric::syscall_ns ? "syscall_ns" : "exit_ns"; }

std::vector<double> metric_sample(const Results& r, std::string_view strategy, Metric m) {
  std::vector<double> sample;
  for (const auto& c : r.cycles)
    if (c.strategy == strategy)
      sample.push_back(static_cast<double>(m == Metric::syscall_ns ? c.syscall_ns : c.exit_ns));
  return sample;
}

std::vector<std::string> strategies_present(const Results& r) {
  auto names = r.strategies;
  for (const auto& c : r.cycles)
    if (std::find(names.begin(), names.end(), c.strategy) == names.end()) names.push_back(c.strategy);
  return names;
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
  for (const auto& name : strategies_present(r)) {
    json& entry = summary[name];
    for (auto m : {Metric::syscall_ns, Metric::exit_ns})
      entry[std::string(metric_name(m))] = summary_json(summarize(metric_sample(r, name, m)));
  }
  json j = {{"format", kResultsFormat},
            {"kernel", r.kernel},
            {"cmdline", r.cmdline},
            {"cpus", r.cpus},
            {"taint_before", r.taint_before},
            {"taint", r.taint},
            {"new_taint", r.new_taint},
            {"callbacks", r.callbacks},
            {"strategies", r.strategies},
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
    r.callbacks = j.at("callbacks").get<unsigned>();
    r.strategies = j.at("strategies").get<std::vector<std::string>>();
    r.interrupted = j.value("interrupted", false);
    r.cycles = j.at("cycles").get<std::vector<Cycle>>();
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
