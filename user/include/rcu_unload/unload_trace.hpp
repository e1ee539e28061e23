#pragma once
// The phases of a foreign module's delete_module from tracefs: entry -> module:module_free (the exit
// function and the notifiers) -> the syscall's return (free_module()'s grace period and the rest).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcu_unload {

// The timestamp (ns of the trace clock) of the module_free event of `module` in a `trace` file's text.
std::optional<std::uint64_t> module_free_ns(std::string_view trace, std::string_view module);

class UnloadTrace {
 public:
  // Enables module:module_free with the mono trace clock (CLOCK_MONOTONIC) and record-cmd and
  // record-tgid off, all put back on destruction; nullptr where there is no tracefs (it is mounted at
  // /sys/kernel/tracing if that directory is empty).
  static std::unique_ptr<UnloadTrace> open(std::string module, std::string tracefs = {});
  ~UnloadTrace();
  UnloadTrace(const UnloadTrace&) = delete;
  UnloadTrace& operator=(const UnloadTrace&) = delete;
  // (entry to module_free, module_free to return) for a removal timed [start, end] in monotonic ns.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> phases(std::uint64_t start, std::uint64_t end);

 private:
  UnloadTrace() = default;
  bool write(const std::string& file, const std::string& value) const;
  std::string dir_, module_, old_clock_;
  std::vector<std::string> options_turned_off_;
};

}  // namespace rcu_unload
