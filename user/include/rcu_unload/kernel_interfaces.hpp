#pragma once
// The two ways the runner touches the kernel, as interfaces so tests can drive it without a kernel.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/kmsg_record.hpp"
#include "rcu_unload/result.hpp"

namespace rcu_unload {

struct ModuleBackend {
  virtual ~ModuleBackend() = default;
  virtual int insert(const std::string& options) = 0;  // 0 or -errno
  virtual int remove() = 0;                            // 0 or -errno
  // The module's .modinfo name; rcu_unload gets its records read, any other is timed only.
  virtual std::string name() const { return "rcu_unload"; }
  // A failed load or removal in words (the kernel's lines for the load are given).
  virtual std::string explain_insert_failure(int rc, const std::vector<std::string>& log_lines);
  virtual std::string explain_remove_failure(int rc);
  // The module's state for a removal that takes too long (initstate, refcount, holders).
  virtual std::string state_report() { return {}; }
};

struct RecordSource {
  virtual ~RecordSource() = default;
  // The first record of `kind` carrying tag=`tag`; an error on timeout or read failure.
  virtual Result<Record> wait_for(std::string_view kind, std::uint64_t tag, std::chrono::milliseconds timeout) = 0;
  // Module lines other than init/exit records seen so far (e.g. "rcu_unload: invalid ..." or error
  // records), including those already logged but not read yet; clears them.
  virtual std::vector<std::string> take_diagnostics() = 0;
  // Also keep the lines "<module>: ..." of another module (its loads' and removals' kernel lines).
  virtual void watch_module(std::string_view /*module*/) {}
  // Kernel lines of hung tasks ("blocked for more than", "INFO: task") seen so far.
  virtual std::vector<std::string> take_hung_task_lines() { return {}; }
};

}  // namespace rcu_unload
