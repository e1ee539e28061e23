#pragma once
// Facts about the running kernel that go into the results.
#include <cstdint>
#include <optional>
#include <string>

namespace rcu_unload {

struct SystemInfo {
  std::string kernel;   // uname -r
  std::string cmdline;  // /proc/cmdline
  unsigned cpus = 0;    // online CPUs
};

SystemInfo read_system_info();

inline constexpr std::uint64_t kTaintOutOfTree = 1u << 12;  // O: our own module
inline constexpr std::uint64_t kTaintUnsigned = 1u << 13;   // E: unsigned module
// Loading an out-of-tree, unsigned test module taints the kernel by design; anything else is news.
inline constexpr std::uint64_t kExpectedTaint = kTaintOutOfTree | kTaintUnsigned;

std::optional<std::uint64_t> read_taint(const std::string& path = "/proc/sys/kernel/tainted");

// Bits that appeared between two readings, the expected ones excluded.
std::uint64_t unexpected_new_taint(std::uint64_t before, std::uint64_t after);

// Kernel taint letters, e.g. "D W" for bits 7 and 9; unknown bits as "bit<n>".
std::string describe_taint(std::uint64_t bits);

}  // namespace rcu_unload
