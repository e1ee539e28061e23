#include "rcu_unload/kmsg_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace rcu_unload {

namespace {
// Larger than the kernel's longest /dev/kmsg record (CONSOLE_EXT_LOG_MAX); shorter reads fail with EINVAL.
constexpr std::size_t kReadBuffer = 16384;
}  // namespace

Result<std::unique_ptr<KmsgReader>> KmsgReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (lseek(fd, 0, SEEK_END) < 0) {
    int saved = errno;
    ::close(fd);
    return error(fmt::format("cannot seek to the end of {}: {}", path, std::strerror(saved)));
  }
  return std::make_unique<KmsgReader>(fd);
}

KmsgReader::KmsgReader(int fd) : fd_(fd) {}

KmsgReader::~KmsgReader() { ::close(fd_); }

KmsgReader::Read KmsgReader::read_entry(std::string& raw, std::string& why) {
  char buffer[kReadBuffer];
  for (;;) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n > 0) {
      raw.assign(buffer, static_cast<std::size_t>(n));
      return Read::entry;
    }
    if (n == 0) return Read::end;
    // EPIPE: the ring buffer overwrote records we had not read; the next read resumes at the oldest.
    if (errno == EPIPE || errno == EINTR) continue;
    if (errno == EAGAIN) return Read::would_block;
    why = std::strerror(errno);
    return Read::failed;
  }
}

bool RecordFilter::consume(std::string_view raw, std::string_view kind, std::uint64_t tag, Record& found) {
  auto entry = parse_kmsg_entry(raw);
  if (!entry) return false;
  if (entry->message.find("blocked for more than") != std::string::npos ||
      entry->message.rfind("INFO: task ", 0) == 0) {
    hung_.push_back(entry->message);
    return false;
  }
  if (!is_module_message(entry->message)) {
    for (const auto& prefix : watched_)
      if (entry->message.rfind(prefix, 0) == 0) {
        diagnostics_.push_back(std::move(entry->message));
        break;
      }
    return false;
  }
  auto record = parse_record(entry->message);
  if (record && (record->kind == "init" || record->kind == "exit")) {
    if (record->kind != kind || record->u64("tag") != tag) {
      held_.push_back(std::move(*record));
      if (held_.size() > kHeldRecords) held_.erase(held_.begin());
      return false;
    }
    found = std::move(*record);
    return true;
  }
  diagnostics_.push_back(std::move(entry->message));
  return false;
}

std::vector<std::string> RecordFilter::take_diagnostics() { return std::exchange(diagnostics_, {}); }

std::vector<std::string> RecordFilter::take_hung_task_lines() { return std::exchange(hung_, {}); }

bool RecordFilter::take_held(std::string_view kind, std::uint64_t tag, Record& found) {
  for (auto it = held_.begin(); it != held_.end(); ++it)
    if (it->kind == kind && it->u64("tag") == tag) {
      found = std::move(*it);
      held_.erase(it);
      return true;
    }
  return false;
}

std::vector<std::string> KmsgReader::take_hung_task_lines() {
  std::string raw, why;
  Record ignored;
  while (read_entry(raw, why) == Read::entry) filter_.consume(raw, {}, 0, ignored);
  return filter_.take_hung_task_lines();
}

Result<Record> KmsgReader::wait_for(std::string_view kind, std::uint64_t tag, std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  std::string raw, why;
  Record found;
  if (filter_.take_held(kind, tag, found)) return found;
  for (;;) {
    switch (read_entry(raw, why)) {
      case Read::entry:
        if (filter_.consume(raw, kind, tag, found)) return found;
        continue;
      case Read::end:
        return error(fmt::format("kernel log ended before the {} record of tag {}", kind, tag));
      case Read::failed:
        return error(fmt::format("reading the kernel log failed: {}", why));
      case Read::would_block:
        break;
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0)
      return error(fmt::format("no {} record of tag {} within {} ms", kind, tag, timeout.count()));
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));  // EINTR: the loop re-checks the deadline
  }
}

std::vector<std::string> KmsgReader::take_diagnostics() {
  std::string raw, why;
  Record ignored;
  while (read_entry(raw, why) == Read::entry) filter_.consume(raw, {}, 0, ignored);
  return filter_.take_diagnostics();
}

}  // namespace rcu_unload
