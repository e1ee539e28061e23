#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "fakes.hpp"
#include "rcu_unload/report.hpp"
#include "rcu_unload/results.hpp"

using namespace rcu_unload;

TEST_CASE("results survive a JSON round trip") {
  auto r = test::good_results(5, {"barrier", "force-qs"});
  r.interrupted = true;
  r.new_taint = 512;
  r.errors = {"cycle 4: boom"};
  r.warnings = {"tainted"};
  auto back = results_from_json(results_to_json(r));
  REQUIRE(back);
  CHECK(back->kernel == r.kernel);
  CHECK(back->cmdline == r.cmdline);
  CHECK(back->cpus == 2);
  CHECK(back->taint == 12288);
  CHECK(back->new_taint == 512);
  CHECK(back->callbacks == std::vector<unsigned>{1000});
  CHECK(back->strategies == r.strategies);
  CHECK(back->interrupted);
  CHECK(back->errors == r.errors);
  CHECK(back->warnings == r.warnings);
  REQUIRE(back->cycles.size() == 5);
  CHECK(back->cycles[3].strategy == "force-qs");
  CHECK(back->cycles[3].syscall_ns == r.cycles[3].syscall_ns);
  CHECK(back->cycles[3].exit.wait_ns == r.cycles[3].exit.wait_ns);
}

TEST_CASE("the JSON carries the interface fields and per-strategy summaries") {
  auto j = nlohmann::json::parse(results_to_json(test::good_results(4, {"barrier", "sync-exp"})));
  CHECK(j["format"] == 2);
  for (auto key : {"kernel", "cmdline", "cpus", "taint", "callbacks", "strategies", "interrupted", "cycles"})
    CHECK(j.contains(key));
  for (auto key : {"picked", "rcu", "preempt", "flavor"}) CHECK(j["cycles"][0].contains(key));
  auto s = j["summary"]["sync-exp"]["total_ns"];
  CHECK(s["n"] == 2);
  CHECK(s["min"] == 20'000'001);
  CHECK(s["max"] == 20'000'003);
  CHECK(s["p50"] == 20'000'001);
  // n = 3: no p90 or p99 (they would be the max again), sigma instead.
  CHECK(j["summary"]["barrier"]["syscall_ns"]["p99"].is_null());
  CHECK(j["summary"]["barrier"]["syscall_ns"]["max"] == 40'000'002);
  CHECK(j["summary"]["barrier"]["syscall_ns"].contains("stddev"));
}

TEST_CASE("bad JSON is rejected with a reason") {
  CHECK_FALSE(results_from_json("{"));
  CHECK_FALSE(results_from_json("[]"));
  auto wrong_format = results_from_json(R"({"format": 3})");
  REQUIRE_FALSE(wrong_format);
  CHECK(wrong_format.error().find("format") != std::string::npos);
  auto missing = results_from_json(R"({"format": 1, "strategies": []})");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("callbacks") != std::string::npos);
  CHECK_FALSE(results_from_json(R"({"format":1,"callbacks":1,"strategies":[],"cycles":[{"cycle":"x"}]})"));
}

TEST_CASE("results save and load through a file") {
  auto path = std::string("/tmp/rcu_unload_results_test.json");
  auto r = test::good_results(3, {"barrier"});
  REQUIRE_FALSE(save_results(path, r));
  auto back = load_results(path);
  REQUIRE(back);
  CHECK(back->cycles.size() == 3);
  std::remove(path.c_str());
  CHECK_FALSE(load_results(path));
  CHECK(save_results("/nonexistent-dir/x.json", r));
}

TEST_CASE("cycle problems name lost callbacks and zero timings") {
  auto c = test::good_cycle(0, "barrier", 10);
  CHECK(cycle_problems(c).empty());
  c.callbacks = 11;
  CHECK(cycle_problems(c).size() == 1);
  c.callbacks = 10;
  c.exit.invoked = 9;
  c.syscall_ns = 0;
  auto p = cycle_problems(c);
  REQUIRE(p.size() == 2);
  CHECK(p[0].find("invoked 9 of 10") != std::string::npos);
}

TEST_CASE("with churn, more callbacks than asked is expected and fewer is not") {
  auto c = test::good_cycle(0, "barrier", 10);
  c.exit.churn = 2;
  c.exit.enqueued = c.exit.invoked = 25;
  CHECK(cycle_problems(c).empty());
  c.exit.enqueued = c.exit.invoked = 9;
  CHECK(cycle_problems(c).size() == 1);
  c.exit.churn = 0;
  c.exit.enqueued = c.exit.invoked = 25;
  CHECK(cycle_problems(c).size() == 1);
}

TEST_CASE("new cycle fields and several callbacks values survive a round trip") {
  auto r = test::good_results(8, {"barrier", "force-qs+knobs"}, {1, 100000});
  r.params = {"measure_limit=1"};
  auto& c = r.cycles[3];
  c.exit.gp_ns = 11;
  c.exit.rounds = 2;
  c.exit.stop_ns = 13;
  c.exit.readers = 4;
  c.exit.churn = 5;
  c.exit.flavor = "srcu";
  c.exit.rcu = "tree-preempt";
  c.exit.preempt = "rt";
  c.init.exp_gp_ns = 17;
  c.init.cb_cost_ns = 19;
  c.exit.peak_pending = 23;
  c.exit.peak_bytes = 29;
  auto back = results_from_json(results_to_json(r));
  REQUIRE(back);
  CHECK(back->callbacks == std::vector<unsigned>{1, 100000});
  CHECK(back->params == r.params);
  const auto& b = back->cycles.at(3);
  CHECK(b.strategy == "force-qs+knobs");
  CHECK(b.callbacks == 100000);
  CHECK(b.exit.gp_ns == 11);
  CHECK(b.exit.rounds == 2);
  CHECK(b.exit.stop_ns == 13);
  CHECK(b.exit.readers == 4);
  CHECK(b.exit.churn == 5);
  CHECK(b.exit.flavor == "srcu");
  CHECK(b.exit.rcu == "tree-preempt");
  CHECK(b.exit.preempt == "rt");
  CHECK(b.init.exp_gp_ns == 17);
  CHECK(b.init.cb_cost_ns == 19);
  CHECK(b.exit.peak_pending == 23);
  CHECK(b.exit.peak_bytes == 29);
}

TEST_CASE("files without the new fields read them as 0 or \"\" and cycles get the run's callbacks") {
  auto old = R"({"format":1,"callbacks":500,"strategies":["barrier"],"cycles":[
      {"cycle":0,"tag":1,"strategy":"barrier","picked":"barrier","syscall_ns":5,"exit_ns":4,"wait_ns":3,
       "enqueued":500,"invoked":500}]})";
  auto r = results_from_json(old);
  REQUIRE(r);
  CHECK(r->callbacks == std::vector<unsigned>{500});
  CHECK(r->params.empty());
  REQUIRE(r->cycles.size() == 1);
  const auto& c = r->cycles[0];
  CHECK(c.callbacks == 500);
  CHECK(c.exit.gp_ns == 0);
  CHECK(c.exit.rounds == 0);
  CHECK(c.exit.stop_ns == 0);
  CHECK(c.exit.readers == 0);
  CHECK(c.exit.churn == 0);
  CHECK(c.exit.flavor.empty());
  CHECK(c.exit.rcu.empty());
  CHECK(c.exit.preempt.empty());
  CHECK(c.init.exp_gp_ns == 0);
  CHECK(c.init.cb_cost_ns == 0);
  CHECK(cycle_problems(c).empty());
}

TEST_CASE("summaries are keyed by strategy spec, plus cb=N when there are several callbacks values") {
  auto one = nlohmann::json::parse(results_to_json(test::good_results(4, {"barrier", "force-qs+knobs"})));
  CHECK(one["summary"].contains("force-qs+knobs"));
  CHECK(one["summary"]["force-qs+knobs"]["wait_ns"]["n"] == 2);
  CHECK(one["callbacks"] == 1000);
  auto many = nlohmann::json::parse(results_to_json(test::good_results(8, {"barrier", "sync-exp"}, {1, 1000})));
  CHECK(many["callbacks"] == 1);
  CHECK(many["callbacks_list"] == nlohmann::json::array({1, 1000}));
  CHECK(many["summary"].size() == 4);
  auto s = many["summary"]["sync-exp cb=1000"];
  CHECK(s["total_ns"]["n"] == 2);
  CHECK(s["total_ns"]["p50"] == 20'000'003);  // cycles 3 and 7
  CHECK(s["wait_ns"]["max"] == 19'000'007);
  CHECK(many["summary"]["barrier cb=1"]["syscall_ns"]["min"] == 40'000'000);
}

TEST_CASE("cycle i runs combination i % (strategies x callbacks), strategies fastest") {
  CHECK(cycle_combination(0, 3, 2).strategy == 0);
  CHECK(cycle_combination(2, 3, 2).strategy == 2);
  CHECK(cycle_combination(3, 3, 2).strategy == 0);
  CHECK(cycle_combination(3, 3, 2).callbacks == 1);
  CHECK(cycle_combination(5, 3, 2).callbacks == 1);
  CHECK(cycle_combination(6, 3, 2).callbacks == 0);
  CHECK(cycle_combination(7, 1, 3).callbacks == 1);
}

TEST_CASE("the harness's own measurements of a cycle survive a results file") {
  Results r;
  r.strategies = {"plain", "plain+expedite"};
  r.callbacks = {0};
  Cycle c;
  c.strategy = "plain+expedite";
  c.syscall_ns = 9000000;
  c.measured = {{"load_ns", 2000000}, {"unload_exit_ns", 7000000}, {"expedite_rounds", 23}};
  r.cycles.push_back(c);
  auto back = results_from_json(results_to_json(r));
  REQUIRE(back);
  REQUIRE(back->cycles.size() == 1);
  auto measured = back->cycles[0].measured;  // a JSON object keeps its keys sorted
  std::sort(measured.begin(), measured.end());
  auto expected = c.measured;
  std::sort(expected.begin(), expected.end());
  CHECK(measured == expected);
  CHECK(back->cycles[0].exit.unknown.empty());
  const std::string table = format_report(*back);
  CHECK_THAT(table, Catch::Contains("measured by the harness"));
  CHECK_THAT(table, Catch::Contains("expedite_rounds"));
  CHECK_THAT(table, !Catch::Contains("module exit path"));
}
