#include <catch2/catch.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "fakes.hpp"
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
  CHECK(back->callbacks == 1000);
  CHECK(back->strategies == r.strategies);
  CHECK(back->interrupted);
  CHECK(back->errors == r.errors);
  CHECK(back->warnings == r.warnings);
  REQUIRE(back->cycles.size() == 5);
  CHECK(back->cycles[3].strategy == "force-qs");
  CHECK(back->cycles[3].syscall_ns == r.cycles[3].syscall_ns);
  CHECK(back->cycles[3].wait_ns == r.cycles[3].wait_ns);
}

TEST_CASE("the JSON carries the interface fields and per-strategy summaries") {
  auto j = nlohmann::json::parse(results_to_json(test::good_results(4, {"barrier", "sync-exp"})));
  CHECK(j["format"] == 1);
  for (auto key : {"kernel", "cmdline", "cpus", "taint", "callbacks", "strategies", "interrupted", "cycles"})
    CHECK(j.contains(key));
  auto s = j["summary"]["sync-exp"]["exit_ns"];
  CHECK(s["n"] == 2);
  CHECK(s["min"] == 20'000'001);
  CHECK(s["max"] == 20'000'003);
  CHECK(s["p50"] == 20'000'001);
  CHECK(j["summary"]["barrier"]["syscall_ns"]["p99"] == 40'000'002);
}

TEST_CASE("bad JSON is rejected with a reason") {
  CHECK_FALSE(results_from_json("{"));
  CHECK_FALSE(results_from_json("[]"));
  auto wrong_format = results_from_json(R"({"format": 2})");
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
  CHECK(cycle_problems(c, 10).empty());
  CHECK(cycle_problems(c, 11).size() == 1);
  c.invoked = 9;
  c.syscall_ns = 0;
  auto p = cycle_problems(c, 10);
  REQUIRE(p.size() == 2);
  CHECK(p[0].find("invoked 9 of 10") != std::string::npos);
}
