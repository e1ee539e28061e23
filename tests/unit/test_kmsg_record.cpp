#include <catch2/catch.hpp>

#include "rcu_unload/kmsg_record.hpp"
#include "rcu_unload/text.hpp"

using namespace rcu_unload;

TEST_CASE("kmsg entry header and message are split") {
  auto e = parse_kmsg_entry("11,4242,123456789,-;rcu_unload: init v=1 tag=7\n");
  REQUIRE(e);
  CHECK(e->level == 3);
  CHECK(e->facility == 1);
  CHECK(e->seq == 4242);
  CHECK(e->usec == 123456789);
  CHECK(e->message == "rcu_unload: init v=1 tag=7");
  CHECK(e->continuation.empty());
}

TEST_CASE("kmsg continuation lines are kept without their leading space") {
  auto e = parse_kmsg_entry("6,1,2,c,extra;hello world\n SUBSYSTEM=module\n DEVICE=+module:rcu_unload\n");
  REQUIRE(e);
  CHECK(e->message == "hello world");
  CHECK(e->continuation == std::vector<std::string>{"SUBSYSTEM=module", "DEVICE=+module:rcu_unload"});
}

TEST_CASE("malformed kmsg entries are rejected") {
  CHECK_FALSE(parse_kmsg_entry("no separator here"));
  CHECK_FALSE(parse_kmsg_entry("6,x,2,-;msg"));
  CHECK_FALSE(parse_kmsg_entry("6,1;msg"));
  CHECK_FALSE(parse_kmsg_entry("6,1,2,-;msg\nnot-a-continuation\n"));
  CHECK(parse_kmsg_entry("6,x,2,-;msg").error().find("not a number") != std::string::npos);
}

TEST_CASE("an exit record parses with typed getters") {
  auto r = parse_record(
      "rcu_unload: exit v=1 tag=18446744073709551615 flavor=rcu strategy=auto picked=force-qs rcu=tree preempt=full "
      "cpus=2 enqueued=1000 invoked=1000 stop_ns=5 wait_ns=1900 total_ns=2000");
  REQUIRE(r);
  CHECK(r->kind == "exit");
  CHECK(r->version == 1);
  CHECK(r->u64("tag") == UINT64_MAX);
  CHECK(r->text("picked") == "force-qs");
  CHECK(r->u64("total_ns") == 2000u);
  CHECK_FALSE(r->u64("strategy"));  // present but not a number
  CHECK_FALSE(r->u64("missing"));
  CHECK_FALSE(r->text("missing"));
}

TEST_CASE("unknown keys are kept for newer module versions") {
  auto r = parse_record("rcu_unload: init v=1 tag=3 future_key=abc enqueued=10");
  REQUIRE(r);
  CHECK(r->text("future_key") == "abc");
  CHECK(r->fields.size() == 3);
}

TEST_CASE("records with another version are rejected") {
  auto r = parse_record("rcu_unload: init v=2 tag=3");
  REQUIRE_FALSE(r);
  CHECK(r.error().find("version 2") != std::string::npos);
  CHECK_FALSE(parse_record("rcu_unload: init tag=3 v=1"));
  CHECK_FALSE(parse_record("rcu_unload: init"));
}

TEST_CASE("garbage is rejected with the offending token") {
  CHECK_FALSE(parse_record("some_other_module: init v=1"));
  CHECK_FALSE(parse_record("rcu_unload: "));
  CHECK_FALSE(parse_record("rcu_unload: v=1 tag=3"));
  auto bad = parse_record("rcu_unload: exit v=1 tag=3 oops invoked=1");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("'oops'") != std::string::npos);
  CHECK_FALSE(parse_record("rcu_unload: exit v=1 =3"));
  CHECK_FALSE(parse_record("rcu_unload: exit v=1 tag="));
  CHECK_FALSE(parse_record("rcu_unload: exit v=1 tag=1 tag=2"));
  CHECK_FALSE(parse_record("rcu_unload: invalid strategy=bogus: unknown strategy"));
}

TEST_CASE("parse_u64 accepts only whole unsigned decimals") {
  CHECK(parse_u64("0") == 0u);
  CHECK(parse_u64("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_u64("18446744073709551616"));
  CHECK_FALSE(parse_u64("-1"));
  CHECK_FALSE(parse_u64("12a"));
  CHECK_FALSE(parse_u64(""));
  CHECK(trim("  4096\n") == "4096");
}
