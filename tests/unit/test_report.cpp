#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fakes.hpp"
#include "rcu_unload/report.hpp"

using namespace rcu_unload;

TEST_CASE("the report has a row per strategy in ms with the ratio to the first") {
  auto r = test::good_results(6, {"barrier", "force-qs"});
  for (auto& c : r.cycles)
    if (c.strategy == "force-qs") c.syscall_ns /= 4;
  auto text = format_report(r);
  CHECK(text.find("rmmod syscall") != std::string::npos);
  CHECK(text.find("module exit path") != std::string::npos);
  CHECK(text.find("p50 / barrier [95% CI]") != std::string::npos);
  CHECK(text.find("40.000") != std::string::npos);  // barrier syscall p50 in ms
  CHECK(text.find("10.000") != std::string::npos);  // force-qs syscall p50 in ms
  CHECK(text.find("0.250 [") != std::string::npos);
  CHECK(text.find("reference") != std::string::npos);
}

TEST_CASE("warnings and errors follow the tables") {
  auto r = test::good_results(2, {"barrier"});
  r.warnings = {"tainted W"};
  r.errors = {"cycle 2: lost"};
  r.interrupted = true;
  auto text = format_report(r);
  CHECK(text.find("(interrupted)") != std::string::npos);
  CHECK(text.find("warning: tainted W") != std::string::npos);
  CHECK(text.find("error: cycle 2: lost") != std::string::npos);
}

TEST_CASE("the plot script has one CDF curve per strategy and metric") {
  auto script = plot_script({{"", test::good_results(4, {"barrier", "sync-exp"})}}, "/tmp/o'ut.png");
  CHECK(script.find("set output '/tmp/o''ut.png'") != std::string::npos);
  CHECK(script.find("set logscale x") != std::string::npos);
  CHECK(script.find("$d3 << EOD") != std::string::npos);
  CHECK(script.find("$d4") == std::string::npos);
  CHECK(script.find("title 'sync-exp'") != std::string::npos);
  CHECK(script.find("40.000000 0.500000") != std::string::npos);
  CHECK(script.find("layout 1,2") != std::string::npos);
  CHECK(script.find("$p") == std::string::npos);  // one callbacks value: no scaling panel
}

TEST_CASE("gnuplot writes the PNG") {
  // scripts/install-deps.sh installs gnuplot-nox; without it `report --plot` cannot work.
  REQUIRE(std::system("command -v gnuplot >/dev/null 2>&1") == 0);
  const std::string png = "/tmp/rcu_unload_plot_test.png";
  auto problem = write_plot({{"a.json", test::good_results(8, {"barrier", "force-qs"})}}, png);
  CHECK_FALSE(problem);
  std::ifstream in(png, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  CHECK(std::string(magic + 1, 3) == "PNG");
  std::filesystem::remove(png);
}

TEST_CASE("a strategy without cycles gets dashes instead of zeros") {
  auto r = test::good_results(2, {"barrier"});
  r.strategies.push_back("boost");
  auto text = format_report(r, false);
  auto line = text.substr(text.find("\nboost"), text.find('\n', text.find("\nboost") + 1) - text.find("\nboost"));
  CHECK(line.find("  0  ") != std::string::npos);
  CHECK(line.find("  -  ") != std::string::npos);
  CHECK(line.find(" 0.000 ") == std::string::npos);
}

namespace {

// Two strategies at two callbacks values; force-qs's exit path takes half of barrier's, and
// measure_limit results (exp_gp 2 ms, 100 ns per callback) only at 1000 callbacks.
Results scaling_results() {
  auto r = test::good_results(16, {"force-qs", "barrier"}, {1, 1000});
  for (auto& c : r.cycles) {
    if (c.strategy == "force-qs") c.exit.total_ns /= 2;
    if (c.callbacks == 1000) c.exit.total_ns *= 10;
    if (c.callbacks == 1000 && c.cycle % 4 != 3) {  // one unmeasured cycle must not count
      c.init.exp_gp_ns = 2'000'000;
      c.init.cb_cost_ns = 100;
    }
  }
  return r;
}

std::string line_of(const std::string& text, const std::string& start, std::size_t from = 0) {
  auto at = text.find("\n" + start, from);
  if (at == std::string::npos) return {};
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

}  // namespace

TEST_CASE("rows split by callbacks, compared with barrier at the same callbacks, with the limit") {
  auto r = scaling_results();
  auto text = format_report(r, false);
  CHECK(text.find("callbacks 1/1000") != std::string::npos);
  CHECK(text.find("p50 / barrier [95% CI]") != std::string::npos);
  auto exit_table = text.find("module exit path");
  REQUIRE(exit_table != std::string::npos);
  auto fq = line_of(text, "force-qs cb=1000 ", exit_table);
  REQUIRE_FALSE(fq.empty());
  CHECK(fq.find("100.000") != std::string::npos);  // p50 of 200'000'0xx ns / 2 in ms
  CHECK(fq.find("0.500 [") != std::string::npos);
  CHECK(fq.find("2.100") != std::string::npos);    // limit 2 ms + 1000 x 100 ns
  CHECK(fq.find("47.62") != std::string::npos);    // 100 ms / 2.1 ms
  auto fq1 = line_of(text, "force-qs cb=1 ", exit_table);
  CHECK(fq1.find("0.500 [") != std::string::npos);
  CHECK(fq1.substr(fq1.size() - 1) == "-");  // nothing measured at 1 callback
  CHECK(line_of(text, "barrier cb=1000 ", exit_table).find("reference") != std::string::npos);
  auto syscall_line = line_of(text, "force-qs cb=1 ");
  CHECK(syscall_line.find("1.000 [") != std::string::npos);  // the syscall sample is the same
  CHECK(syscall_line.find("2.100") == std::string::npos);    // no limit column there
}

TEST_CASE("the limit uses the measured cycles at that callbacks value only") {
  auto r = scaling_results();
  REQUIRE(limit_ns(r, 1000));
  CHECK(*limit_ns(r, 1000) == Approx(2'100'000.0));
  CHECK_FALSE(limit_ns(r, 1));
  CHECK_FALSE(limit_ns(r, 7));
  r.cycles[0].init.exp_gp_ns = 3'000'000;  // callbacks 1, gp measured but not the callback cost
  r.cycles[0].init.cb_cost_ns = 0;
  CHECK_FALSE(limit_ns(r, 1));
  r.cycles[0].init.cb_cost_ns = 50;
  CHECK(*limit_ns(r, 1) == Approx(3'000'050.0));
}

TEST_CASE("the reference is the first strategy when there is no barrier") {
  auto r = test::good_results(4, {"sync-exp", "force-qs"});
  CHECK(reference_strategy(r) == "sync-exp");
  CHECK(format_report(r).find("p50 / sync-exp [95% CI]") != std::string::npos);
  CHECK(reference_strategy(scaling_results()) == "barrier");
}

TEST_CASE("a Markdown report has the same tables") {
  auto text = format_report(scaling_results(), false, TableStyle::markdown);
  CHECK(text.find("**module exit path (record total_ns)** [ms]") != std::string::npos);
  CHECK(text.find("| strategy | n | min | p50 | p90 | p99 | max | sigma | p50 / barrier [95% CI] | limit | p50 / limit |") !=
        std::string::npos);
  CHECK(text.find("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |") != std::string::npos);
  CHECK(text.find("| force-qs cb=1000 | 4 | 100.000 | 100.000 | - | - | 100.000 |") != std::string::npos);
  CHECK(text.find("| strategy | n | min | p50 | p90 | p99 | max | sigma | p50 / barrier [95% CI] |\n") != std::string::npos);
}

TEST_CASE("with several callbacks values the plot adds exit p50 vs callbacks per strategy, log-log") {
  auto script = plot_script({{"", scaling_results()}}, "/tmp/x.png");
  CHECK(script.find("layout 1,3") != std::string::npos);
  CHECK(script.find("set logscale xy") != std::string::npos);
  CHECK(script.find("title 'force-qs cb=1000'") != std::string::npos);
  CHECK(script.find("cb=1'") == std::string::npos);  // the CDFs show callbacks=1000 only
  CHECK(script.find("with linespoints") != std::string::npos);
  CHECK(script.find("title 'barrier'") != std::string::npos);
  CHECK(script.find("1000 200.000070\n") != std::string::npos);  // barrier's exit p50 at 1000 in ms
  CHECK(script.find("1 20.000005\n") != std::string::npos);
}

TEST_CASE("gnuplot writes the PNG with the scaling panel") {
  // scripts/install-deps.sh installs gnuplot-nox; without it `report --plot` cannot work.
  REQUIRE(std::system("command -v gnuplot >/dev/null 2>&1") == 0);
  const std::string png = "/tmp/rcu_unload_scaling_plot_test.png";
  CHECK_FALSE(write_plot({{"", scaling_results()}}, png));
  CHECK(std::filesystem::file_size(png) > 1000);
  std::filesystem::remove(png);
}

TEST_CASE("the report gives each callbacks value's peak callback memory, the largest over its cycles") {
  auto r = test::good_results(8, {"barrier", "force-qs"}, {1, 100000});
  CHECK(format_callback_memory(r).empty());  // no cycle recorded it (files from before the field)
  for (auto& c : r.cycles) {
    c.exit.peak_pending = c.callbacks;
    c.exit.peak_bytes = 32ULL * c.callbacks;
  }
  r.cycles[6].exit.peak_pending = 100'500;  // churn adds to what was queued at load
  r.cycles[6].exit.peak_bytes = 32ULL * 100'500;
  const auto line = format_callback_memory(r);
  CHECK(line == "\npeak callback memory per load (max over cycles): callbacks=1: 1 pending, 0.0 KiB; "
                "callbacks=100000: 100500 pending, 3140.6 KiB\n");
  CHECK(format_report(r).find(line) != std::string::npos);
}
