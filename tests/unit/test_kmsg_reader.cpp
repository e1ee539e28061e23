#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "rcu_unload/kmsg_reader.hpp"

using namespace rcu_unload;
using namespace std::chrono_literals;

namespace {

// A SOCK_SEQPACKET pair delivers one message per read(), like /dev/kmsg.
struct FakeLog {
  int writer = -1;
  std::unique_ptr<KmsgReader> reader;
  FakeLog() {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    reader = std::make_unique<KmsgReader>(fds[0]);
    writer = fds[1];
  }
  ~FakeLog() { close_writer(); }
  void log(const std::string& message) {
    std::string raw = "6,1,100,-;" + message + "\n";
    REQUIRE(write(writer, raw.data(), raw.size()) == static_cast<ssize_t>(raw.size()));
  }
  void close_writer() {
    if (writer >= 0) close(writer);
    writer = -1;
  }
};

}  // namespace

TEST_CASE("the reader skips other tags and kinds until the wanted record") {
  FakeLog f;
  f.log("unrelated kernel chatter");
  f.log("rcu_unload: init v=1 tag=1 enqueued=5");
  f.log("rcu_unload: exit v=1 tag=1 invoked=5");
  f.log("rcu_unload: init v=1 tag=2 enqueued=5");
  auto r = f.reader->wait_for("init", 2, 1000ms);
  REQUIRE(r);
  CHECK(r->u64("tag") == 2u);
  CHECK(f.reader->take_diagnostics().empty());
}

TEST_CASE("module lines that are not records become diagnostics") {
  FakeLog f;
  f.log("rcu_unload: invalid callbacks=2000000: more than 1000000");
  f.log("rcu_unload: error v=1 tag=4 what=lost-callbacks lost=1");
  auto r = f.reader->wait_for("init", 4, 10ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("no init record of tag 4") != std::string::npos);
  auto d = f.reader->take_diagnostics();
  REQUIRE(d.size() == 2);
  CHECK(d[0] == "rcu_unload: invalid callbacks=2000000: more than 1000000");
  CHECK(f.reader->take_diagnostics().empty());
}

TEST_CASE("diagnostics pending in the log are read on demand") {
  FakeLog f;
  f.log("rcu_unload: invalid strategy=nope: unknown");
  auto d = f.reader->take_diagnostics();
  REQUIRE(d.size() == 1);
  CHECK(d[0].find("strategy=nope") != std::string::npos);
}

TEST_CASE("the end of the log is reported instead of waiting") {
  FakeLog f;
  f.close_writer();
  auto r = f.reader->wait_for("exit", 1, 10s);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("ended") != std::string::npos);
}

TEST_CASE("opening a missing log fails with the path") {
  auto r = KmsgReader::open("/nonexistent/kmsg");
  REQUIRE_FALSE(r);
  CHECK(r.error().find("/nonexistent/kmsg") != std::string::npos);
}
