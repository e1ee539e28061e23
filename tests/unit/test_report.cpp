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
}

TEST_CASE("gnuplot writes the PNG") {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    WARN("gnuplot is not installed; plot not checked");
    return;
  }
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
  r.strategies.push_back("direct");
  auto text = format_report(r, false);
  CHECK(text.find("direct           0          -") != std::string::npos);
  CHECK(text.find(" 0.000 ") == std::string::npos);
}
