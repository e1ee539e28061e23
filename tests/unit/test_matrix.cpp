#include <catch2/catch.hpp>

#include <fstream>

#include "fakes.hpp"
#include "rcu_unload/matrix.hpp"

using namespace rcu_unload;

namespace {

// A clean run as a kernel configuration would leave it: `auto` picked `picked` on every cycle.
Results config_results(std::vector<std::string> strategies, const std::string& rcu, const std::string& preempt,
                       const std::string& picked, std::vector<unsigned> callbacks = {1000}) {
  const auto cycles = 4 * static_cast<unsigned>(strategies.size());
  auto r = test::good_results(cycles, std::move(strategies), std::move(callbacks));
  for (auto& c : r.cycles) {
    c.exit.rcu = rcu;
    c.exit.preempt = preempt;
    if (c.strategy == "auto") c.exit.picked = picked;
    if (c.strategy == "barrier") c.exit.total_ns *= 2;
  }
  return r;
}

std::string saved(const test::TempDir& dir, const std::string& name, const Results& r) {
  auto path = dir.path(name);
  REQUIRE_FALSE(save_results(path, r));
  return path;
}

std::string line_starting(const std::string& text, const std::string& start) {
  auto at = text.find("\n" + start);
  if (at == std::string::npos) return {};
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

}  // namespace

TEST_CASE("the matrix TSV skips comments and blank lines and allows a missing path") {
  auto entries = parse_matrix_tsv("# label\tstatus\tresults\n\n"
                                  "deb-6.1-amd64\tok\t/tmp/a.json\n"
                                  "deb-6.1-rt\ttimeout\t\r\n"
                                  "  \n"
                                  "custom-tiny\tbuild-failed");
  REQUIRE(entries);
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].label == "deb-6.1-amd64");
  CHECK((*entries)[0].status == "ok");
  CHECK((*entries)[0].results_path == "/tmp/a.json");
  CHECK((*entries)[1].status == "timeout");
  CHECK((*entries)[1].results_path.empty());
  CHECK((*entries)[2].label == "custom-tiny");
  CHECK((*entries)[2].results_path.empty());
  CHECK(parse_matrix_tsv("")->empty());
}

TEST_CASE("a malformed matrix line is an error naming its number") {
  auto no_status = parse_matrix_tsv("# c\na\tok\tx.json\nb ok x.json\n");
  REQUIRE_FALSE(no_status);
  CHECK(no_status.error().find("line 3:") != std::string::npos);
  CHECK(no_status.error().find("'b ok x.json'") != std::string::npos);
  CHECK(parse_matrix_tsv("a\tok\tx.json\textra\n").error().find("line 1:") != std::string::npos);
  CHECK(parse_matrix_tsv("a\tnot ok\tx.json\n").error().find("line 1:") != std::string::npos);
  CHECK(parse_matrix_tsv("\n\tok\tx.json\n").error().find("line 2:") != std::string::npos);
  CHECK(parse_matrix_tsv("a\t\tx.json\n").error().find("line 1:") != std::string::npos);
}

TEST_CASE("the matrix has a row per configuration and a column per strategy of any file") {
  test::TempDir dir;
  auto none = saved(dir, "none.json", config_results({"barrier", "auto"}, "tree", "none", "direct"));
  auto rt = saved(dir, "rt.json", config_results({"auto", "force-qs", "barrier"}, "tree-preempt", "rt", "force-qs"));
  auto summary = summarize_matrix({{"deb-6.1-amd64", "ok", none}, {"deb-6.1-rt", "ok", rt}});
  INFO(summary.table);
  CHECK(summary.pass);
  CHECK(summary.problems.empty());
  CHECK(summary.table.find("module exit path p50 per strategy [ms]") != std::string::npos);
  auto header = line_starting(summary.table, "configuration");
  CHECK(header.find("rcu") != std::string::npos);
  CHECK(header.find("auto picked") < header.find("barrier"));
  CHECK(header.find("barrier") < header.find("auto  "));
  CHECK(header.find("auto  ") < header.find("force-qs"));
  CHECK(header.find("force-qs") < header.find("lost"));
  CHECK(header.find("lost") < header.find("cycles"));
  CHECK(header.find("cycles") < header.find("status"));
  // barrier: cycles 0, 2, 4, 6 at 2 x (20'000'000 + i) ns; auto: cycles 1, 3, 5, 7.
  auto first = line_starting(summary.table, "deb-6.1-amd64 ");
  CHECK(first.find(" tree ") != std::string::npos);
  CHECK(first.find(" none ") != std::string::npos);
  CHECK(first.find(" direct ") != std::string::npos);
  CHECK(first.find(" 40.000 ") != std::string::npos);
  CHECK(first.find(" 20.000 ") != std::string::npos);
  CHECK(first.find(" - ") != std::string::npos);  // no force-qs in this file
  CHECK(first.find(" 0  ") != std::string::npos);
  CHECK(first.find(" 8 ") != std::string::npos);
  CHECK(first.substr(first.size() - 3) == " ok");
  auto second = line_starting(summary.table, "deb-6.1-rt ");
  CHECK(second.find(" tree-preempt ") != std::string::npos);
  CHECK(second.find(" rt ") != std::string::npos);
  CHECK(second.find(" force-qs ") != std::string::npos);
  CHECK(second.find(" 12 ") != std::string::npos);
  CHECK(second.find(" - ") == std::string::npos);
}

TEST_CASE("a failed configuration fails the matrix but keeps its row") {
  test::TempDir dir;
  auto good = saved(dir, "good.json", config_results({"barrier"}, "tree", "full", ""));
  auto lossy_results = config_results({"barrier", "auto"}, "tree", "full", "boost");
  lossy_results.cycles[1].exit.invoked -= 3;
  auto lossy = saved(dir, "lossy.json", lossy_results);
  auto tainted_results = config_results({"barrier"}, "tree", "full", "");
  tainted_results.new_taint = 512;
  tainted_results.errors = {"cycle 2: boom"};
  auto tainted = saved(dir, "tainted.json", tainted_results);

  auto corrupt = dir.path("corrupt.json");
  std::ofstream(corrupt) << "{\"format\": 1";

  CHECK(summarize_matrix({{"good", "ok", good}}).pass);
  // A line that checks something without a run, like scripts/matrix.sh's unsafe-none detection.
  CHECK(summarize_matrix({{"good", "ok", good}, {"good:detected", "ok", ""}}).pass);
  auto summary = summarize_matrix({{"good", "ok", good},
                                   {"lossy", "ok", lossy},
                                   {"tainted", "ok", tainted},
                                   {"hung", "timeout", dir.path("hung.json")},
                                   {"built", "build-failed", ""},
                                   {"quiet", "ok", dir.path("quiet.json")},
                                   {"corrupt", "ok", corrupt}});
  INFO(summary.table);
  CHECK_FALSE(summary.pass);
  CHECK(line_starting(summary.table, "good ").find(" - ") != std::string::npos);  // auto picked: no auto cycles
  auto lossy_line = line_starting(summary.table, "lossy ");
  CHECK(lossy_line.find(" boost ") != std::string::npos);
  CHECK(lossy_line.find(" 1  ") != std::string::npos);
  CHECK(lossy_line.substr(lossy_line.size() - 3) == " ok");
  CHECK(line_starting(summary.table, "tainted ").find(" ok+errors+taint") != std::string::npos);
  // A results file named but never written is what a failed boot leaves: the status says it all.
  auto hung = line_starting(summary.table, "hung ");
  CHECK(hung.substr(hung.size() - 8) == " timeout");
  CHECK(hung.find_first_of("0123456789") == std::string::npos);  // no results: no timings, lost or cycles
  auto built = line_starting(summary.table, "built ");
  CHECK(built.substr(built.size() - 13) == " build-failed");
  CHECK(line_starting(summary.table, "quiet ").find(" ok+no-results") != std::string::npos);
  CHECK(line_starting(summary.table, "corrupt ").find(" ok+unreadable") != std::string::npos);
  REQUIRE(summary.problems.size() == 1);
  CHECK(summary.problems[0].find("corrupt: " + corrupt + ": ") == 0);
  CHECK_FALSE(summarize_matrix({{"hung", "timeout", ""}}).pass);
  CHECK_FALSE(summarize_matrix({}).pass);
}

TEST_CASE("cycles that disagree show every value, and mixed callbacks values split the columns") {
  test::TempDir dir;
  auto mixed_results = config_results({"barrier", "auto"}, "tree", "none", "force-qs", {1, 1000});
  mixed_results.cycles[3].exit.rcu = "tiny";
  mixed_results.cycles[5].exit.picked = "direct";
  auto mixed = saved(dir, "mixed.json", mixed_results);
  auto summary = summarize_matrix({{"mixed", "ok", mixed}});
  INFO(summary.table);
  auto header = line_starting(summary.table, "configuration");
  CHECK(header.find("barrier cb=1 ") != std::string::npos);
  CHECK(header.find("auto cb=1000 ") != std::string::npos);
  auto line = line_starting(summary.table, "mixed ");
  CHECK(line.find(" tree/tiny ") != std::string::npos);
  CHECK(line.find(" force-qs/direct ") != std::string::npos);
}

TEST_CASE("the matrix prints as Markdown") {
  test::TempDir dir;
  auto path = saved(dir, "a.json", config_results({"barrier", "auto"}, "tree", "none", "direct"));
  auto summary = summarize_matrix({{"deb-6.1-amd64", "ok", path}}, TableStyle::markdown);
  CHECK(summary.table.find("**kernel matrix: module exit path p50 per strategy** [ms]\n\n") == 0);
  CHECK(summary.table.find("| configuration | rcu | preempt | auto picked | barrier | auto | lost | cycles | status |\n"
                           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
                           "| deb-6.1-amd64 | tree | none | direct | 40.000 | 20.000 | 0 | 8 | ok |\n") !=
        std::string::npos);
}
