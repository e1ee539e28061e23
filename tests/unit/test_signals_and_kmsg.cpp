// Checks against the real kernel interfaces that a sandboxed, module-less host still offers.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "rcu_unload/commands.hpp"
#include "rcu_unload/kmsg_reader.hpp"
#include "rcu_unload/runner.hpp"

using namespace rcu_unload;
using namespace std::chrono_literals;

TEST_CASE("SIGTERM only raises the stop flag") {
  const auto& stop = stop_on_signals();
  CHECK_FALSE(stop.load());
  std::raise(SIGTERM);
  CHECK(stop.load());
}

TEST_CASE("the kmsg reader finds a record written to /dev/kmsg and skips older ones") {
  int writer = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (writer < 0 || access("/dev/kmsg", R_OK) != 0) {
    WARN("/dev/kmsg not readable and writable here; real kernel log not checked");
    if (writer >= 0) ::close(writer);
    return;
  }
  // Tags unique to this process, so concurrent runs and earlier boots can't match.
  const auto tag = (static_cast<std::uint64_t>(getpid()) << 20) + monotonic_ns() % (1u << 20);
  // Without the newline the kernel keeps the record open for continuation and readers don't see it yet.
  auto log = [&](std::string m) {
    m += '\n';
    return ::write(writer, m.data(), m.size()) == static_cast<ssize_t>(m.size());
  };

  REQUIRE(log("rcu_unload: init v=1 tag=" + std::to_string(tag) + " enqueued=1 unit-test=old"));
  auto reader = KmsgReader::open();
  if (!reader) {
    WARN(reader.error());
    ::close(writer);
    return;
  }
  REQUIRE(log("rcu_unload: invalid callbacks=x: unit test"));
  REQUIRE(log("rcu_unload: init v=1 tag=" + std::to_string(tag + 1) + " enqueued=1 unit-test=new"));
  auto found = (*reader)->wait_for("init", tag + 1, 2000ms);
  INFO((found ? std::string("found") : found.error()));
  REQUIRE(found);
  CHECK(found->text("unit-test") == "new");
  auto diagnostics = (*reader)->take_diagnostics();
  CHECK(std::find(diagnostics.begin(), diagnostics.end(), "rcu_unload: invalid callbacks=x: unit test") !=
        diagnostics.end());
  auto old = (*reader)->wait_for("init", tag, 50ms);
  CHECK_FALSE(old);
  ::close(writer);
}
