// The field tables generated from rcu_unload.h's record lists: the record parser and the results
// JSON both go through them, so every key the header lists must survive both.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fakes.hpp"
#include "rcu_unload/kmsg_record.hpp"
#include "rcu_unload/matrix.hpp"
#include "rcu_unload/report.hpp"
#include "rcu_unload/results.hpp"
#include "rcu_unload/verify.hpp"

using namespace rcu_unload;

namespace {

std::string value_text(std::size_t index, const std::uint64_t&) { return std::to_string(1000 + index); }
std::string value_text(std::size_t index, const std::string&) { return "word" + std::to_string(index); }

// A record line with every key of Fields' table, each with a value of its own, plus `extra`.
template <class Fields>
std::string full_record_line(const std::string& extra = {}) {
  std::string line = fmt::format("rcu_unload: {} v={}", Fields::kind, kRecordVersion);
  Fields fields;
  std::size_t index = 0;
  Fields::for_each_field(fields, [&](std::string_view key, const auto& value) {
    line += fmt::format(" {}={}", key, value_text(index++, value));
  });
  return line + extra;
}

template <class Fields>
void check_every_key_parses() {
  auto record = parse_record(full_record_line<Fields>(" future_key=later"));
  REQUIRE(record);
  auto fields = typed_record<Fields>(*record);
  REQUIRE(fields);
  std::size_t index = 0;
  Fields::for_each_field(*fields, [&](std::string_view key, const auto& value) {
    INFO(Fields::kind << " record key " << key);
    CHECK(value_text(index++, value) == record->text(key).value());
  });
  CHECK(fields->unknown == RecordKeyValues{{"future_key", "later"}});
}

}  // namespace

TEST_CASE("every init and exit record key parses by its type, unknown keys are kept") {
  check_every_key_parses<InitRecord>();
  check_every_key_parses<ExitRecord>();
}

TEST_CASE("the record schema has the keys the harness relies on") {
  auto init = typed_record<InitRecord>(*parse_record("rcu_unload: init v=1 tag=3 applies=auto,barrier kick=1"));
  REQUIRE(init);
  CHECK(init->applies == "auto,barrier");
  CHECK(init->kick == 1);
  auto exit = typed_record<ExitRecord>(*parse_record("rcu_unload: exit v=1 tag=3 total_ns=7 kicks=4 picked=boost"));
  REQUIRE(exit);
  CHECK(exit->total_ns == 7);
  CHECK(exit->kicks == 4);
  CHECK(exit->picked == "boost");
  CHECK(exit->unknown.empty());
}

TEST_CASE("a record missing keys leaves them 0 or empty; a bad number or the wrong kind is an error") {
  auto old = typed_record<InitRecord>(*parse_record("rcu_unload: init v=1 tag=3 enqueued=10"));
  REQUIRE(old);
  CHECK(old->enqueued == 10);
  CHECK(old->applies.empty());
  CHECK(old->kick == 0);
  auto bad = typed_record<ExitRecord>(*parse_record("rcu_unload: exit v=1 tag=3 total_ns=12x"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "exit record key total_ns=12x is not a number");
  auto kind = typed_record<ExitRecord>(*parse_record("rcu_unload: init v=1 tag=3"));
  REQUIRE_FALSE(kind);
  CHECK(kind.error().find("expected the exit record") != std::string::npos);
}

TEST_CASE("a cycle's JSON names every record field as the record does, once") {
  Results r = test::good_results(1, {"force-qs+knobs"});
  Cycle& c = r.cycles[0];
  c.init = *typed_record<InitRecord>(*parse_record(full_record_line<InitRecord>(" init_future=1")));
  c.exit = *typed_record<ExitRecord>(*parse_record(full_record_line<ExitRecord>(" exit_future=2")));
  auto j = nlohmann::json::parse(results_to_json(r));
  CHECK(j["format"] == kResultsFormat);
  const auto& cycle = j["cycles"][0];
  CHECK(cycle["strategy"] == "force-qs+knobs");  // the spec, not the record's strategy
  CHECK(cycle["tag"] == c.tag);
  CHECK(cycle["total_ns"] == c.exit.total_ns);
  CHECK_FALSE(cycle.contains("exit_ns"));
  CHECK(cycle["enqueued"] == c.exit.enqueued);  // a key of both records is the exit record's
  CHECK(cycle["applies"] == c.init.applies);
  CHECK(cycle["init_future"] == "1");
  CHECK(cycle["exit_future"] == "2");
  CHECK(j["summary"]["force-qs+knobs"].contains("total_ns"));

  // Read back, every field is what was written: the file comes out the same.
  auto back = results_from_json(results_to_json(r));
  REQUIRE(back);
  CHECK(results_to_json(*back) == results_to_json(r));
  const Cycle& b = back->cycles.at(0);
  CHECK(b.exit.strategy == "force-qs");  // the records name the spec's strategy
  CHECK(b.exit.tag == c.tag);
  CHECK(b.exit.total_ns == c.exit.total_ns);
  CHECK(b.exit.kicks == c.exit.kicks);
  CHECK(b.exit.picked == c.exit.picked);
  CHECK(b.exit.peak_bytes == c.exit.peak_bytes);
  CHECK(b.init.applies == c.init.applies);
  CHECK(b.init.kick == c.init.kick);
  CHECK(b.init.init_ns == c.init.init_ns);
  CHECK(b.init.exp_gp_ns == c.init.exp_gp_ns);
  CHECK(b.exit.unknown.at("init_future") == "1");
  CHECK(b.exit.unknown.at("exit_future") == "2");
}

namespace {
// Two strategies as a format-1 file wrote them: flat cycles, the exit record's total_ns as exit_ns.
const char* const kFormat1 = R"({"format":1,"kernel":"6.1.0-old","cpus":2,"callbacks":100,"callbacks_list":[100],
  "strategies":["barrier","auto"],"params":[],"interrupted":false,"taint":0,"new_taint":0,"errors":[],
  "cycles":[
   {"cycle":0,"tag":1,"strategy":"barrier","picked":"barrier","rcu":"tree","preempt":"none","syscall_ns":50,
    "exit_ns":40,"wait_ns":30,"enqueued":100,"invoked":100,"callbacks":100,"gp_ns":0,"rounds":0,"stop_ns":1,
    "readers":0,"churn":0,"flavor":"rcu","exp_gp_ns":0,"cb_cost_ns":0,"peak_pending":100,"peak_bytes":3200},
   {"cycle":1,"tag":2,"strategy":"auto","picked":"force-qs-own","rcu":"tree","preempt":"none","syscall_ns":20,
    "exit_ns":10,"wait_ns":9,"enqueued":100,"invoked":100,"callbacks":100,"gp_ns":5,"rounds":2,"stop_ns":1,
    "readers":0,"churn":0,"flavor":"rcu","exp_gp_ns":0,"cb_cost_ns":0,"peak_pending":100,"peak_bytes":3200}]})";
}  // namespace

TEST_CASE("format-1 files load, exit_ns as total_ns, and report, verify and matrix work on them") {
  auto r = results_from_json(kFormat1);
  REQUIRE(r);
  REQUIRE(r->cycles.size() == 2);
  const Cycle& c = r->cycles[1];
  CHECK(c.exit.total_ns == 10);
  CHECK(c.exit.wait_ns == 9);
  CHECK(c.exit.picked == "force-qs-own");
  CHECK(c.exit.strategy == "auto");
  CHECK(c.exit.gp_ns == 5);
  CHECK(c.exit.unknown.empty());
  CHECK(c.init.applies.empty());

  CHECK(verify_results(*r, {1u, test::specs({"barrier", "auto"}), {100}, {{"auto", "force-qs-own"}}}).empty());
  const auto report = format_report(*r);
  CHECK(report.find("auto") != std::string::npos);
  CHECK(report.find("0.000") != std::string::npos);

  test::TempDir dir;
  const auto path = dir.path("old.json");
  { std::ofstream(path) << kFormat1; }
  auto summary = summarize_matrix({{"deb-6.1-old", "ok", path}});
  INFO(summary.table);
  CHECK(summary.pass);
  CHECK(summary.table.find("force-qs-own") != std::string::npos);
}
