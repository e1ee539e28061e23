// Every output format (golden files with their content checked), the results journal, compare,
// progress, the environment and the CLI's error cases of issues 12 and 13.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "fakes.hpp"
#include "rcu_unload/commands.hpp"
#include "rcu_unload/environment.hpp"
#include "rcu_unload/options.hpp"
#include "rcu_unload/outputs.hpp"
#include "rcu_unload/progress.hpp"
#include "rcu_unload/report.hpp"
#include "rcu_unload/text.hpp"

using namespace rcu_unload;
using rcu_unload::test::TempDir;

namespace {

const std::string kGoldenDir = std::filesystem::path(__FILE__).parent_path() / "golden";

// The golden file's text; RCU_UNLOAD_UPDATE_GOLDEN=1 rewrites it from `actual` instead.
std::string golden(const std::string& name, const std::string& actual) {
  const std::string path = kGoldenDir + "/" + name;
  if (std::getenv("RCU_UNLOAD_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  return read_text_file(path).value_or("(missing golden file " + path + ")");
}

// Two strategies at two callbacks values, 12 cycles, one cycle that lost callbacks.
Results sample_results(bool lost = true) {
  auto r = test::good_results(12, {"barrier", "force-qs"}, {1, 1000});
  if (lost) r.cycles[5].exit.invoked -= 1;
  r.environment = {{"timestamp", "2026-11-28T21:00:00Z"}, {"hz", "250"}};
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

ParsedOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "rcu-unload");
  return parse_options(args);
}

std::vector<double> shifted_sample(unsigned n, double median, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> noise(0.0, 0.1);
  std::vector<double> out;
  for (unsigned i = 0; i < n; ++i) out.push_back(median * noise(rng));
  return out;
}

Results results_with(const std::vector<double>& barrier, const std::vector<double>& force) {
  Results r;
  r.callbacks = {1000};
  r.strategies = {"barrier", "force-qs"};
  unsigned i = 0;
  for (double v : barrier) {
    auto c = test::good_cycle(i++, "barrier", 1000);
    c.exit.total_ns = static_cast<std::uint64_t>(v);
    r.cycles.push_back(c);
  }
  for (double v : force) {
    auto c = test::good_cycle(i++, "force-qs", 1000);
    c.exit.total_ns = static_cast<std::uint64_t>(v);
    r.cycles.push_back(c);
  }
  return r;
}

}  // namespace

TEST_CASE("golden: the text and Markdown tables show min, max and sigma, and no p90/p99 for small n") {
  const auto r = sample_results(false);
  const auto text = format_report(r);
  CHECK(text == golden("report.txt", text));
  CHECK_THAT(text, Catch::Contains("min") && Catch::Contains("max") && Catch::Contains("sigma"));
  // n = 3 per row: p90 and p99 would be the max under another name.
  for (const auto& line : lines_of(text))
    if (line.rfind("barrier cb=1000", 0) == 0) CHECK_THAT(line, Catch::Contains(" -  "));
  const auto md = format_report(r, true, TableStyle::markdown);
  CHECK(md == golden("report.md", md));
  CHECK_THAT(md, Catch::Contains("| strategy | n | min | p50 | p90 | p99 | max | sigma |"));
}

TEST_CASE("the JSON summary leaves p99 null below n = 100 and gives sigma; the environment round-trips") {
  auto j = nlohmann::json::parse(results_to_json(sample_results(false)));
  const auto& s = j["summary"]["barrier cb=1"]["syscall_ns"];
  CHECK(s["n"] == 3);
  CHECK(s["p99"].is_null());
  CHECK(s["p90"].is_null());
  CHECK(s.contains("stddev"));
  CHECK(j["environment"]["hz"] == "250");
  auto big = test::good_results(100, {"barrier"});
  auto jb = nlohmann::json::parse(results_to_json(big));
  CHECK(jb["summary"]["barrier"]["syscall_ns"]["p99"].is_number());
  auto back = results_from_json(results_to_json(sample_results(false)));
  REQUIRE(back);
  auto sorted = [](Facts f) {
    std::sort(f.begin(), f.end());
    return f;
  };
  CHECK(sorted(back->environment) == sorted(sample_results(false).environment));
  const auto json_text = results_to_json(sample_results(false));
  CHECK(json_text == golden("results.json", json_text));
}

TEST_CASE("golden: CSV has a header and one row per cycle with the record keys") {
  const auto r = sample_results();
  const auto csv = results_to_csv(r);
  CHECK(csv == golden("results.csv", csv));
  const auto lines = lines_of(csv);
  REQUIRE(lines.size() == r.cycles.size() + 1);
  CHECK(lines[0].rfind("cycle,tag,strategy,callbacks,syscall_ns,", 0) == 0);
  CHECK_THAT(lines[0], Catch::Contains(",total_ns,") && Catch::Contains(",invoked,"));
  const auto columns = std::count(lines[0].begin(), lines[0].end(), ',');
  for (const auto& line : lines) CHECK(std::count(line.begin(), line.end(), ',') == columns);
}

TEST_CASE("golden: KTAP parses back to a test per strategy x callbacks and a run test") {
  const auto r = sample_results();
  const auto ktap = results_to_ktap(r);
  CHECK(ktap == golden("results.ktap", ktap));
  const auto lines = lines_of(ktap);
  REQUIRE(lines.size() > 2);
  CHECK(lines[0] == "KTAP version 1");
  CHECK(lines[1] == "1..5");
  std::vector<std::pair<bool, std::string>> results;
  unsigned expected_number = 1;
  for (const auto& line : lines) {
    if (line.empty() || line[0] == '#' || line.rfind("KTAP", 0) == 0 || line.rfind("1..", 0) == 0) continue;
    const bool ok = line.rfind("ok ", 0) == 0;
    REQUIRE((ok || line.rfind("not ok ", 0) == 0));
    std::istringstream words(line.substr(ok ? 3 : 7));
    unsigned number = 0;
    words >> number;
    CHECK(number == expected_number++);
    std::string name;
    std::getline(words, name);
    results.emplace_back(ok, std::string(trim(name)));
  }
  REQUIRE(results.size() == 5);
  // Cycle 5 is force-qs at cb=1 (combination 5 % 4 = 1, the second test) and lost a callback.
  CHECK(results[0] == std::make_pair(true, std::string("barrier cb=1")));
  CHECK(results[1] == std::make_pair(false, std::string("force-qs cb=1")));
  CHECK(results[2] == std::make_pair(true, std::string("barrier cb=1000")));
  CHECK(results[3] == std::make_pair(true, std::string("force-qs cb=1000")));
  CHECK(results[4] == std::make_pair(true, std::string("run")));
  CHECK_THAT(ktap, Catch::Contains("# force-qs cb=1: cycle 5: invoked"));
  CHECK_THAT(ktap, Catch::Contains("# barrier cb=1 total_ns: n=3 min="));
}

TEST_CASE("golden: the plot as SVG has one series per strategy in each CDF panel") {
  REQUIRE(std::system("command -v gnuplot >/dev/null 2>&1") == 0);
  TempDir dir;
  const auto svg = dir.path("out.svg");
  auto problem = write_plot({{"", test::good_results(8, {"barrier", "force-qs", "sync-exp"})}}, svg);
  REQUIRE_FALSE(problem);
  auto text = read_text_file(svg).value_or("");
  CHECK(text.find("<svg") != std::string::npos);
  std::size_t series = 0;
  for (auto at = text.find("<g id=\"gnuplot_plot_"); at != std::string::npos; at = text.find("<g id=\"gnuplot_plot_", at + 1))
    ++series;
  CHECK(series == 6);  // 3 strategies x 2 panels
  for (const char* spec : {"barrier", "force-qs", "sync-exp"}) {
    std::size_t count = 0;
    const std::string title = std::string("<text>") + spec + "</text>";  // the curve's key entry
    for (auto at = text.find(title); at != std::string::npos; at = text.find(title, at + 1)) ++count;
    CHECK(count == 2);  // the exit-path and the syscall CDF
  }
}

TEST_CASE("a plot to a path that cannot be written fails with the reason and writes nothing to stdout") {
  REQUIRE(std::system("command -v gnuplot >/dev/null 2>&1") == 0);
  auto problem = write_plot({{"", test::good_results(4, {"barrier"})}}, "/nonexistent-dir/out.png");
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("cannot write the plot to /nonexistent-dir/out.png: No such file or directory"));
  CHECK_THAT(*problem, !Catch::Contains("gnuplot"));
  auto empty = write_plot({{"", test::good_results(0, {"barrier"})}}, "/tmp/rcu_unload_empty.png");
  REQUIRE(empty);
  CHECK(*empty == "no cycles to plot");
  CHECK_FALSE(std::filesystem::exists("/tmp/rcu_unload_empty.png"));
}

TEST_CASE("a results file with no cycles says so instead of an all-zero table") {
  auto text = format_report(test::good_results(0, {"barrier"}));
  CHECK_THAT(text, Catch::Contains("no cycles recorded"));
  CHECK_THAT(text, !Catch::Contains("0.000"));
}

TEST_CASE("the journal keeps every cycle as it ends and finish leaves only the results file") {
  TempDir dir;
  const auto path = dir.path("results.json");
  std::ofstream(path) << "old results";
  auto journal = ResultsJournal::open(path);
  REQUIRE(journal);
  // A run that cannot start does not leave the older file looking new.
  CHECK_FALSE(std::filesystem::exists(path));
  auto r = test::good_results(3, {"barrier"});
  CHECK_FALSE(journal->header(r));
  CHECK_FALSE(journal->cycle(r.cycles[0]));
  CHECK_FALSE(journal->cycle(r.cycles[1]));
  // What a harness killed now leaves behind reads as an interrupted run with its two cycles.
  auto partial = load_any_results(path + ".partial");
  REQUIRE(partial);
  CHECK(partial->cycles.size() == 2);
  CHECK(partial->interrupted);
  CHECK(partial->strategies == std::vector<std::string>{"barrier"});
  // Even with its last line cut short.
  std::ofstream(path + ".partial", std::ios::app) << "{\"cycle\":2,\"ta";
  auto cut = load_any_results(path + ".partial");
  REQUIRE(cut);
  CHECK(cut->cycles.size() == 2);
  CHECK_FALSE(journal->finish(r));
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  auto done = load_any_results(path);
  REQUIRE(done);
  CHECK(done->cycles.size() == 3);
  CHECK_FALSE(done->interrupted);
}

TEST_CASE("an unwritable results path is refused before anything runs, with strerror") {
  auto missing = ResultsJournal::open("/nonexistent-dir/results.json");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error(), Catch::Contains("/nonexistent-dir/results.json") &&
                                  Catch::Contains("No such file or directory"));
  TempDir state;
  ::setenv("RCU_UNLOAD_STATE_DIR", state.root.c_str(), 1);  // the run lock, without root
  RunOptions o;
  o.module = "/nonexistent.ko";
  o.json = "/nonexistent-dir/results.json";
  o.config.cycles_per_combination = 1;
  // Fails at the path, before the module or the kernel log is opened (either would need root).
  CHECK(run_command(o) == kExitFailure);
  ::unsetenv("RCU_UNLOAD_STATE_DIR");
}

TEST_CASE("compare flags a known slowdown and passes an unchanged build") {
  const auto old_results = results_with(shifted_sample(30, 40e6, 1), shifted_sample(30, 5e6, 2));
  const auto slower = results_with(shifted_sample(30, 40e6, 3), shifted_sample(30, 7.5e6, 4));  // force-qs +50%
  const auto same = results_with(shifted_sample(30, 40e6, 5), shifted_sample(30, 5e6, 6));
  auto c = compare_results(old_results, slower, Metric::total_ns, 0.10);
  REQUIRE(c.rows.size() == 2);
  CHECK(c.regression);
  CHECK_FALSE(c.rows[0].slower);
  CHECK(c.rows[1].slower);
  CHECK(c.rows[1].ratio->ratio > 1.3);
  CHECK(c.rows[1].p_value < 0.001);
  CHECK_THAT(format_comparison(c, Metric::total_ns, 0.10, TableStyle::text), Catch::Contains("REGRESSION"));
  auto none = compare_results(old_results, same, Metric::total_ns, 0.10);
  CHECK_FALSE(none.regression);
  // A real but small slowdown stays under a 60% threshold.
  CHECK_FALSE(compare_results(old_results, slower, Metric::total_ns, 0.60).regression);
  CHECK(parse_threshold("10%") == Approx(0.1));
  CHECK(parse_threshold("0.25") == Approx(0.25));
  CHECK_FALSE(parse_threshold("-5%"));
  CHECK_FALSE(parse_threshold("ten"));
}

TEST_CASE("the Mann-Whitney p-value is small for a shift and large without one") {
  CHECK(mann_whitney_greater_p({1, 2, 3, 4, 5, 6, 7, 8}, {11, 12, 13, 14, 15, 16, 17, 18}) < 0.001);
  CHECK(mann_whitney_greater_p({11, 12, 13, 14, 15, 16, 17, 18}, {1, 2, 3, 4, 5, 6, 7, 8}) > 0.99);
  CHECK(mann_whitney_greater_p({5, 5, 5}, {5, 5, 5}) == 1.0);
  CHECK(mann_whitney_greater_p({}, {1}) == 1.0);
}

TEST_CASE("progress: nothing when not a terminal, one rewritten line with ETA on one, lines with --verbose") {
  std::uint64_t clock = 0;
  auto now = [&] { return clock += 1'000'000'000; };
  auto r = test::good_results(4, {"barrier", "force-qs"});
  auto capture = [&](bool tty, Verbosity v) {
    std::FILE* f = std::tmpfile();
    Progress p(f, tty, v, now);
    p.start(4);
    for (const auto& c : r.cycles) p.cycle(c);
    p.finish();
    std::rewind(f);
    std::string out;
    for (int ch; (ch = std::fgetc(f)) != EOF;) out += static_cast<char>(ch);
    std::fclose(f);
    return out;
  };
  CHECK(capture(false, Verbosity::normal).empty());
  CHECK(capture(true, Verbosity::quiet).empty());
  auto tty = capture(true, Verbosity::normal);
  CHECK_THAT(tty, Catch::Contains("\r") && Catch::Contains("[4/4] 100% ETA 0:00") && Catch::Contains("barrier p50 40.000 ms"));
  CHECK_THAT(tty, Catch::Contains("[2/4]  50% ETA 0:02"));
  auto verbose = capture(false, Verbosity::verbose);
  CHECK(lines_of(verbose).size() == 4);
  CHECK(verbose.rfind(kProgressPrefix, 0) == 0);
  CHECK_THAT(verbose, !Catch::Contains("\r"));
}

TEST_CASE("progress: a module not ours shows its load and unload phase, not an empty exit record") {
  Cycle c;
  c.strategy = "plain+expedite";
  c.syscall_ns = 9'000'000;
  c.measured = {{"load_ns", 2'000'000}, {"unload_exit_ns", 7'000'000}, {"expedite_rounds", 23}};
  std::FILE* f = std::tmpfile();
  Progress p(f, false, Verbosity::verbose, [] { return std::uint64_t{0}; });
  p.start(1);
  p.cycle(c);
  std::rewind(f);
  std::string out;
  for (int ch; (ch = std::fgetc(f)) != EOF;) out += static_cast<char>(ch);
  std::fclose(f);
  CHECK_THAT(out, Catch::Contains("plain+expedite") && Catch::Contains("syscall      9.000 ms") &&
                      Catch::Contains("load 2.000 ms") && Catch::Contains("unload_exit 7.000 ms"));
  CHECK_THAT(out, !Catch::Contains("invoked") && !Catch::Contains("picked"));
}

TEST_CASE("env reads the kernel's configuration, the knobs and the machine under a root") {
  TempDir dir;
  auto put = [&](const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir.root + path).parent_path());
    std::ofstream(dir.root + path) << text;
  };
  put("/proc/sys/kernel/osrelease", "6.1.0-test\n");
  put("/proc/sys/kernel/version", "#1 SMP PREEMPT Debian\n");
  put("/boot/config-6.1.0-test", "CONFIG_HZ=250\nCONFIG_PREEMPT=y\nCONFIG_PREEMPT_RCU=y\nCONFIG_TREE_RCU=y\n"
                                 "# CONFIG_RCU_NOCB_CPU is not set\n");
  put("/sys/kernel/rcu_expedited", "0\n");
  put("/sys/module/rcutree/parameters/jiffies_till_first_fqs", "3\n");
  put("/proc/cpuinfo", "model name\t: Test CPU\nflags\t\t: fpu hypervisor\n");
  put("/proc/sys/kernel/tainted", "4096\n");
  auto facts = read_environment(dir.root);
  auto value = [&](const std::string& key) {
    for (const auto& [k, v] : facts)
      if (k == key) return v;
    return std::string("(absent)");
  };
  CHECK(value("kernel") == "6.1.0-test");
  CHECK(value("hz") == "250");
  CHECK(value("preempt") == "full");
  CHECK(value("rcu") == "tree-preempt");
  CHECK(value("CONFIG_RCU_NOCB_CPU") == "n");
  CHECK(value("knob:/sys/kernel/rcu_expedited") == "0");
  CHECK(value("knob:/sys/module/rcutree/parameters/jiffies_till_first_fqs") == "3");
  CHECK(value("cpu_model") == "Test CPU");
  CHECK(value("hypervisor") == "yes (cpuinfo flag)");
  CHECK(value("taint") == "4096");
  CHECK(value("harness_version") == harness_version());
  put("/m.ko", std::string("\x7f" "ELF junk\0license=GPL\0srcversion=ABCDEF0123\0depends=", 52));
  CHECK(module_srcversion(dir.root + "/m.ko") == "ABCDEF0123");
  CHECK(module_srcversion(dir.root + "/absent.ko").empty());
}

TEST_CASE("CLI: --version, --quiet/--verbose, --cycles per combination, formats, compare and env") {
  auto version = parse({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_FALSE(version.command);
  CHECK_THAT(version.output, Catch::Contains(std::string("rcu-unload ") + harness_version()));

  auto run = parse({"run", "--module", "/etc/hostname", "--cycles", "3", "--strategy", "all", "--quiet"});
  REQUIRE(run.command);
  const auto& ro = std::get<RunOptions>(*run.command);
  CHECK(ro.config.cycles_per_combination == 3);
  CHECK(ro.verbosity == Verbosity::quiet);
  auto verbose = parse({"run", "--module", "/etc/hostname", "-v"});
  REQUIRE(verbose.command);
  CHECK(std::get<RunOptions>(*verbose.command).verbosity == Verbosity::verbose);
  CHECK(std::get<RunOptions>(*verbose.command).config.cycles_per_combination == 20);
  CHECK(parse({"run", "--module", "/etc/hostname", "-v", "-q"}).exit_code == kExitUsage);

  auto wrap = parse({"run", "--module", "/etc/hostname", "--tag-base", "-1"});
  CHECK(wrap.exit_code == kExitUsage);
  CHECK_THAT(wrap.output, Catch::Contains("--tag-base takes a whole number from 1, not '-1'"));
  CHECK(parse({"run", "--module", "/etc/hostname", "--tag-base", "18446744073709551615"}).exit_code == kExitUsage);
  CHECK(parse({"run", "--module", "/etc/hostname", "--tag-base", "0"}).exit_code == kExitUsage);

  auto ktap = parse({"report", "/etc/hostname", "--ktap"});
  REQUIRE(ktap.command);
  CHECK(std::get<ReportOptions>(*ktap.command).format == ReportFormat::ktap);
  CHECK(parse({"report", "/etc/hostname", "--csv", "--ktap"}).exit_code == kExitUsage);
  CHECK(parse({"report", "/etc/hostname", "/etc/hostname", "--json"}).exit_code == kExitUsage);

  auto cmp = parse({"compare", "/etc/hostname", "/etc/hostname", "--threshold", "5%", "--metric", "syscall_ns"});
  REQUIRE(cmp.command);
  CHECK(std::get<CompareOptions>(*cmp.command).threshold == Approx(0.05));
  CHECK(std::get<CompareOptions>(*cmp.command).metric == Metric::syscall_ns);
  auto bad = parse({"compare", "/etc/hostname", "/etc/hostname", "--threshold", "lots"});
  CHECK(bad.exit_code == kExitUsage);
  CHECK_THAT(bad.output, Catch::Contains("'lots' is not a threshold like 10%"));
  auto env = parse({"env", "--json"});
  REQUIRE(env.command);
  CHECK(std::get<EnvOptions>(*env.command).json);
}

TEST_CASE("report and compare exit codes: no cycles, a regression, an unreadable file") {
  TempDir dir;
  auto save = [&](const std::string& name, const Results& r) {
    REQUIRE_FALSE(save_results(dir.path(name), r));
    return dir.path(name);
  };
  ReportOptions empty;
  empty.files = {save("empty.json", test::good_results(0, {"barrier"}))};
  CHECK(report_command(empty) == kExitFailure);
  ReportOptions plot;
  plot.files = {save("good.json", test::good_results(4, {"barrier"}))};
  plot.plot = "/nonexistent-dir/p.png";
  CHECK(report_command(plot) == kExitFailure);
  ReportOptions ktap;
  ktap.files = {save("lost.json", sample_results())};
  ktap.format = ReportFormat::ktap;
  CHECK(report_command(ktap) == kExitFailure);  // a not ok test
  CompareOptions same;
  same.old_file = same.new_file = dir.path("good.json");
  CHECK(compare_command(same) == 0);
  CompareOptions slower;
  slower.old_file = save("old.json", results_with(shifted_sample(30, 40e6, 1), shifted_sample(30, 5e6, 2)));
  slower.new_file = save("new.json", results_with(shifted_sample(30, 40e6, 3), shifted_sample(30, 7.5e6, 4)));
  CHECK(compare_command(slower) == kExitFailure);
  CompareOptions unreadable;
  unreadable.old_file = "/nonexistent.json";
  unreadable.new_file = dir.path("good.json");
  CHECK(compare_command(unreadable) == kExitFailure);
}

TEST_CASE("verify --cycles 4294967295 answers at once") {
  auto r = test::good_results(4, {"barrier", "force-qs"});
  Expectation e;
  e.cycles = 4294967295u;
  const auto start = std::chrono::steady_clock::now();
  auto problems = verify_results(r, e);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  REQUIRE_FALSE(problems.empty());
  CHECK_THAT(problems.back(), Catch::Contains("4 cycles in the results, expected 8589934590"));
}

TEST_CASE("the report's header names the RCU flavour, the preempt model and the command line") {
  auto r = test::good_results(2, {"barrier"});
  r.cmdline = "console=ttyS0 preempt=full";
  for (auto& c : r.cycles) {
    c.exit.rcu = "tree-preempt";
    c.exit.preempt = "full";
  }
  CHECK_THAT(format_report(r), Catch::Contains("\nrcu tree-preempt, preempt full, cmdline: console=ttyS0 preempt=full\n"));
}

TEST_CASE("a results file whose format is not a number is an error, not an exception (found by fuzz_results)") {
  auto r = results_from_json(R"({"format": "6.1.0", "strategies": [], "cycles": []})");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("results JSON format is \"6.1.0\", expected 1 or 2"));
  const auto crash = read_text_file(kGoldenDir + "/../../fuzz/corpus/results/format-not-a-number");
  REQUIRE(crash);
  CHECK_NOTHROW(results_from_text(*crash));
}

TEST_CASE("a sample near 2^64 ns summarizes to the largest u64, not undefined behaviour (found by fuzz_results)") {
  auto r = test::good_results(1, {"barrier"});
  r.cycles[0].syscall_ns = std::numeric_limits<std::uint64_t>::max();
  auto j = nlohmann::json::parse(results_to_json(r));
  CHECK(j["summary"]["barrier"]["syscall_ns"]["max"] == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("a fraction where the results have whole numbers is an error, not a cast out of range (found by fuzz_results)") {
  auto r = results_from_json(R"({"format": 2, "cpus": 2.2e108, "callbacks": 1, "strategies": [], "cycles": []})");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("a fraction at cpus"));
  auto cycle = results_from_json(
      R"({"format": 2, "callbacks": 1, "strategies": ["barrier"], "cycles": [{"cycle": 0, "tag": 1, "strategy": "barrier", "syscall_ns": 1e300}]})");
  REQUIRE_FALSE(cycle);
  CHECK_THAT(cycle.error(), Catch::Contains("cycles/0/syscall_ns"));
  // The summary's mean and stddev are fractions by design.
  CHECK(results_from_json(results_to_json(test::good_results(3, {"barrier"}))));
}

TEST_CASE("a journal whose header has callbacks_list entries that are not numbers is an error, not an exception") {
  const std::string journal =
      "{\"format\":2,\"journal\":1,\"kernel\":\"6.12\",\"cpus\":2,\"callbacks_list\":[\"x\"],\"strategies\":[]}\n";
  Result<Results> r = error("not read");
  CHECK_NOTHROW(r = results_from_text(journal));
  CHECK_FALSE(r);
}

TEST_CASE("an empty journal (a run killed before its header) says so") {
  auto r = results_from_text("");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("ended before its first cycle"));
}

TEST_CASE("any command's start puts back what a dead stress left changed (a CPU offline), not only stress's") {
  TempDir state;
  ::setenv("RCU_UNLOAD_STATE_DIR", state.root.c_str(), 1);
  const std::string online = state.root + "/cpu1-online";
  std::ofstream(online) << "0\n";
  std::ofstream(state.root + "/hotplug.state") << online << "\t1\n";
  RunOptions o;
  o.module = "/nonexistent.ko";
  o.config.cycles_per_combination = 1;
  CHECK(run_command(o) == kExitFailure);  // fails at the module, after the recovery
  CHECK(trim(read_text_file(online).value_or("")) == "1");
  CHECK_FALSE(std::filesystem::exists(state.root + "/hotplug.state"));
  ::unsetenv("RCU_UNLOAD_STATE_DIR");
}
