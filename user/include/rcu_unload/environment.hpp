#pragma once
// What the harness sees of the machine it runs on (`rcu-unload env`, and the results' "environment").
#include <string>
#include <utility>
#include <vector>

namespace rcu_unload {

using Facts = std::vector<std::pair<std::string, std::string>>;

// The harness's version: the project version and the git description it was built from.
const char* harness_version();

// Kernel release and version, preempt model, RCU implementation, HZ and other configuration facts
// (from /boot/config-RELEASE where readable), CPUs, the RCU knobs and their values, taint, and
// the host or the QEMU machine (DMI, CPU model, hypervisor flag). `root` prefixes every path
// (tests point it at a directory tree).
Facts read_environment(const std::string& root = "");

// The srcversion in a module file's .modinfo ("" if none is found).
std::string module_srcversion(const std::string& ko_path);

// Seconds since the epoch as UTC, e.g. 2026-11-28T21:45:00Z.
std::string utc_timestamp();

}  // namespace rcu_unload
