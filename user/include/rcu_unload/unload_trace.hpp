#pragma once
// The phases of a module's delete_module from tracefs: entry -> module:module_free (the exit
// function and the notifiers) -> the syscall's return (free_module()'s grace period and the rest).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "rcu_unload/knobs.hpp"

namespace rcu_unload {

// The timestamp (ns of the trace clock) of the module_free event of `module` in a `trace` file's text.
std::optional<std::uint64_t> module_free_ns(std::string_view trace, std::string_view module);

class UnloadTrace {
 public:
  // Enables module:module_free with the mono trace clock (CLOCK_MONOTONIC) and record-cmd and
  // record-tgid off, through a KnobGuard on `files` (their state file keeps the old values for a
  // harness that dies); nullptr where there is no tracefs (it is mounted at /sys/kernel/tracing if
  // that directory is empty) or it cannot be set up (what it changed is then put back).
  static std::unique_ptr<UnloadTrace> open(std::string module, const KnobFiles& files, std::string tracefs = {});
  ~UnloadTrace() = default;
  UnloadTrace(const UnloadTrace&) = delete;
  UnloadTrace& operator=(const UnloadTrace&) = delete;
  // (entry to module_free, module_free to return) for a removal timed [start, end] in monotonic ns.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> phases(std::uint64_t start, std::uint64_t end);

 private:
  UnloadTrace(std::string dir, std::string module, KnobGuard settings)
      : dir_(std::move(dir)), module_(std::move(module)), settings_(std::move(settings)) {}
  bool clear_trace() const;  // empties the trace buffer (opening `trace` with O_TRUNC does)
  std::string dir_, module_;
  KnobGuard settings_;  // put back on destruction, last set first
};

}  // namespace rcu_unload
