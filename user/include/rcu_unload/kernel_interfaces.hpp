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
};

struct RecordSource {
  virtual ~RecordSource() = default;
  // The first record of `kind` carrying tag=`tag`; an error on timeout or read failure.
  virtual Result<Record> wait_for(std::string_view kind, std::uint64_t tag, std::chrono::milliseconds timeout) = 0;
  // Module lines other than init/exit records seen so far (e.g. "rcu_unload: invalid ..." or error
  // records), including those already logged but not read yet; clears them.
  virtual std::vector<std::string> take_diagnostics() = 0;
};

}  // namespace rcu_unload
