#pragma once
#include <memory>
#include <string>

#include "rcu_unload/kernel_interfaces.hpp"

namespace rcu_unload {

// Sorts raw /dev/kmsg entries into the awaited init/exit record and the module's other lines.
class RecordFilter {
 public:
  // True when `raw` is the `kind` record of `tag` (stored in `found`). Module lines that are not
  // init/exit records are kept for take_diagnostics(); other records and foreign lines are dropped.
  bool consume(std::string_view raw, std::string_view kind, std::uint64_t tag, Record& found);
  std::vector<std::string> take_diagnostics();
  // Lines "<module>: ..." of another module are kept as diagnostics too.
  void watch_module(std::string_view module) { watched_.push_back(std::string(module) + ": "); }
  // Hung-task reports ("INFO: task ... blocked for more than ...") seen so far; clears them.
  std::vector<std::string> take_hung_task_lines();
  // An init/exit record consume() passed over (another kind or tag was awaited, or none): found
  // later by take_held, so a record read early (e.g. while collecting other lines) is not lost.
  bool take_held(std::string_view kind, std::uint64_t tag, Record& found);

 private:
  std::vector<Record> held_;  // the last kHeldRecords such records
  static constexpr std::size_t kHeldRecords = 64;
  std::vector<std::string> diagnostics_;
  std::vector<std::string> watched_;
  std::vector<std::string> hung_;
};

// Reads the kernel log one record per read(), as /dev/kmsg delivers it.
class KmsgReader final : public RecordSource {
 public:
  // Opens non-blocking and skips everything logged before now, so records of earlier runs with
  // the same tags can't be mistaken for ours.
  static Result<std::unique_ptr<KmsgReader>> open(const std::string& path = "/dev/kmsg");
  // Takes ownership of a non-blocking fd whose read() returns one record (tests use SOCK_SEQPACKET).
  explicit KmsgReader(int fd);
  ~KmsgReader() override;
  KmsgReader(const KmsgReader&) = delete;
  KmsgReader& operator=(const KmsgReader&) = delete;

  Result<Record> wait_for(std::string_view kind, std::uint64_t tag, std::chrono::milliseconds timeout) override;
  std::vector<std::string> take_diagnostics() override;
  void watch_module(std::string_view module) override { filter_.watch_module(module); }
  std::vector<std::string> take_hung_task_lines() override;

 private:
  enum class Read { entry, would_block, end, failed };
  Read read_entry(std::string& raw, std::string& why);

  int fd_;
  RecordFilter filter_;
};

}  // namespace rcu_unload
