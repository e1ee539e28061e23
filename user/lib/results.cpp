#include "rcu_unload/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "rcu_unload/strategy_spec.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

using nlohmann::json;

namespace {

// A cycle's keys the harness sets; they come first, so a record key of the same name (tag,
// strategy: the run checks that the records agree) is not written again.
constexpr std::string_view kCycleKeys[] = {"cycle", "tag", "strategy", "callbacks", "syscall_ns"};

// Format 1 wrote the exit record's total_ns as exit_ns.
std::string_view format1_name(std::string_view record_key) { return record_key == "total_ns" ? "exit_ns" : record_key; }

}  // namespace

// One flat object: the harness's keys, then every exit record key, then the init record keys the
// exit record does not have (a key of both, such as enqueued, is the exit record's).
void to_json(json& j, const Cycle& c) {
  j = {{"cycle", c.cycle}, {"tag", c.tag}, {"strategy", c.strategy}, {"callbacks", c.callbacks},
       {"syscall_ns", c.syscall_ns}};
  auto add = [&j](std::string_view key, const auto& value) {
    if (!j.contains(std::string(key))) j[std::string(key)] = value;
  };
  auto add_record = [&add](const auto& record) {
    record.for_each_field(record, add);
    for (const auto& [key, value] : record.unknown) add(key, value);
  };
  add_record(c.exit);
  add_record(c.init);
  for (const auto& [key, value] : c.measured) add(key, value);
}

namespace {

// Both formats through the records' field tables; a record key the file lacks stays 0 or "", and a
// key no table lists is kept as the exit record's unknown key.
Cycle cycle_from_json(const json& j, int format) {
  Cycle c;
  j.at("cycle").get_to(c.cycle);
  j.at("tag").get_to(c.tag);
  j.at("strategy").get_to(c.strategy);
  j.at("syscall_ns").get_to(c.syscall_ns);
  c.callbacks = j.value("callbacks", 0u);
  std::set<std::string, std::less<>> read(std::begin(kCycleKeys), std::end(kCycleKeys));
  auto read_field = [&](std::string_view key, auto& value) {
    const std::string name(format == 1 ? format1_name(key) : key);
    read.insert(name);
    if (auto it = j.find(name); it != j.end()) it->get_to(value);
  };
  c.exit.for_each_field(c.exit, read_field);
  c.init.for_each_field(c.init, read_field);
  // The cycle's strategy is the spec; the records were loaded with its strategy name.
  const auto spec = parse_strategy_spec(c.strategy);
  c.init.strategy = c.exit.strategy = spec ? spec->name : c.strategy;
  c.init.tag = c.exit.tag = c.tag;
  for (const auto& [key, value] : j.items()) {
    if (read.count(key)) continue;
    if (is_measured_key(key) && value.is_number_unsigned())
      c.measured.emplace_back(key, value.get<std::uint64_t>());
    else
      c.exit.unknown[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return c;
}

}  // namespace

bool is_measured_key(std::string_view key) {
  const auto starts = [key](std::string_view prefix) { return key.substr(0, prefix.size()) == prefix; };
  return key == "load_ns" || starts("unload_") || starts("expedite_") || starts("stress_");
}

bool is_plain_cycle(const Cycle& c) {
  const auto spec = parse_strategy_spec(c.strategy);
  return spec && spec->is_plain();
}

std::vector<std::string> cycle_problems(const Cycle& c) {
  std::vector<std::string> problems;
  if (is_plain_cycle(c)) {  // a module that is not ours: only the harness's own timings
    if (c.syscall_ns == 0) problems.emplace_back("syscall_ns is 0");
    return problems;
  }
  // Churn producers add callbacks after load: then only fewer than asked is wrong.
  const ExitRecord& e = c.exit;
  if (e.churn == 0 ? e.enqueued != c.callbacks : e.enqueued < c.callbacks)
    problems.push_back(fmt::format("enqueued {} callbacks, asked for {}", e.enqueued, c.callbacks));
  if (lost_callbacks(c))
    problems.push_back(fmt::format("invoked {} of {} callbacks before unload returned", e.invoked, e.enqueued));
  if (c.syscall_ns == 0) problems.emplace_back("syscall_ns is 0");
  if (e.total_ns == 0) problems.emplace_back("total_ns is 0 or missing");
  if (e.wait_ns == 0) problems.emplace_back("wait_ns is 0 or missing");
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
    case Metric::total_ns: return "total_ns";
    case Metric::wait_ns: return "wait_ns";
  }
  return "?";
}

std::uint64_t metric_value(const Cycle& c, Metric m) {
  switch (m) {
    case Metric::syscall_ns: return c.syscall_ns;
    case Metric::total_ns: return c.exit.total_ns;
    case Metric::wait_ns: return c.exit.wait_ns;
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
  // A u64 sample near 2^64 comes back from double as 2^64, which no u64 holds (UBSan, fuzz_results).
  auto whole = [](double v) {
    return v >= 18446744073709551616.0 ? std::numeric_limits<std::uint64_t>::max()
           : v <= 0                    ? std::uint64_t{0}
                                       : static_cast<std::uint64_t>(v);
  };
  // A percentile the sample is too small for is null rather than the max under another name.
  auto shown = [&](double v, std::size_t min_n) { return s.n >= min_n ? json(whole(v)) : json(nullptr); };
  return {{"n", s.n},
          {"min", whole(s.min)},
          {"p50", whole(s.p50)},
          {"p90", shown(s.p90, kMinSamplesP90)},
          {"p99", shown(s.p99, kMinSamplesP99)},
          {"max", whole(s.max)},
          {"mean", s.mean},
          {"stddev", s.stddev}};
}

}  // namespace

json environment_json(const Results& r) {
  json env = json::object();
  for (const auto& [key, value] : r.environment) env[key] = value;
  return env;
}

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
            {"environment", environment_json(r)},
            {"summary", std::move(summary)}};
  return j.dump(2) + "\n";
}

namespace {

// The path of the first fraction where the format has whole numbers only (everything but the
// summary): nlohmann's get<unsigned>() of 2e108 is a cast out of range (UBSan, fuzz_results).
std::optional<std::string> fraction_in(const json& j, const std::string& path) {
  if (j.is_number_float()) return path;
  if (j.is_object() || j.is_array())
    for (const auto& [key, value] : j.items())
      if (auto found = fraction_in(value, path + "/" + key)) return found;
  return std::nullopt;
}

}  // namespace

Result<Results> results_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return error("results are not valid JSON");
  if (!j.is_object()) return error("results JSON is not an object");
  // value() would throw on a "format" that is not a number (found by fuzz_results).
  const auto format_key = j.find("format");
  const int format = format_key != j.end() && format_key->is_number_integer() ? format_key->get<int>() : 0;
  if (format != 1 && format != kResultsFormat)
    return error(fmt::format("results JSON format is {}, expected 1 or {}", j.value("format", json()).dump(),
                             kResultsFormat));
  for (const auto& [key, value] : j.items())
    if (key != "summary")
      if (auto where = fraction_in(value, key))
        return error(fmt::format("results JSON has a fraction at {} where a whole number belongs", *where));
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
    for (const auto& cycle : j.at("cycles")) {
      r.cycles.push_back(cycle_from_json(cycle, format));
      if (!cycle.contains("callbacks") && !r.callbacks.empty()) r.cycles.back().callbacks = r.callbacks.front();
    }
    r.errors = j.value("errors", std::vector<std::string>{});
    r.warnings = j.value("warnings", std::vector<std::string>{});
    if (auto env = j.find("environment"); env != j.end() && env->is_object())
      for (const auto& [key, value] : env->items())
        r.environment.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
    return r;
  } catch (const json::exception& e) {
    return error(fmt::format("results JSON does not match format {}: {}", format, e.what()));
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
