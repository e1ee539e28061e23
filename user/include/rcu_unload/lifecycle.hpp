#pragma once
// What must hold whatever way the harness ends: one harness at a time (a lock), the RCU knobs put
// back (a state file written before the first change, restored at the next start), the expediter
// switched off, and every catchable signal handled.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/result.hpp"

namespace rcu_unload {

// The directory of the lock and the knobs' state file: $RCU_UNLOAD_STATE_DIR or /run/rcu-unload.
std::string state_dir();

// Writes `text` to `path` durably: a temporary file, fsync, rename, fsync of the directory; why not.
std::optional<std::string> write_durably(const std::string& path, const std::string& text);

// The modules a run has loaded: each is named in its own state file (module-NAME.state in
// state_dir(), holding its load options) before the load and the file removed once the module is
// gone, so that the next start can unload what a harness that died left loaded.
void note_module_loading(const std::string& name, const std::string& options);
void note_module_gone(const std::string& name);
// At start, under the lock: unloads every module a state file names that is still loaded and was
// loaded with those options (its tag, for rcu_unload: the module's exit still waits for its
// callbacks) and removes the files. One message per module; an error when one cannot be removed
// (its state file is then kept). `remove` is delete_module by name (0 or -errno); `sysfs_root`
// prefixes /sys (tests).
Result<std::vector<std::string>> recover_modules(const std::function<int(const std::string&)>& remove,
                                                 const std::string& sysfs_root = {});

// An exclusive flock on `path`, held until destruction.
class RunLock {
 public:
  static Result<RunLock> acquire(const std::string& path);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Signals that end a process by default and can be caught (those not ignored at start: nohup and
// a shell's background jobs ignore some, and they stay ignored), stopping the run after the current
// cycle: HUP INT QUIT TERM USR1 USR2 ALRM PIPE VTALRM PROF XCPU XFSZ PWR STKFLT (and the real-time
// ones). Faults (SEGV BUS FPE ILL ABRT SYS TRAP) put the knobs back and switch the expediter off
// in the handler (async-signal-safe writes), then die as they would have.
const std::atomic<bool>& install_signal_handlers();
// The signal that stopped the run, 0 if none.
int stop_signal();

// A thread of this process stuck in a syscall: its state and wchan (/proc/self/task/TID/stat, wchan)
// and its kernel stack (.../stack, read a few times: a running task's stack reads empty).
std::string thread_report(long tid, const std::string& proc = "/proc/self/task");

// Registered by KnobGuard and ResidentExpediter for the fault handler: "write VALUE to PATH".
// Each register/claim/clear is done outside signal context. The handler writes the highest slot
// first: the expediter's, then each KnobGuard's claim, the last claimed first.
void emergency_set(int slot, const std::string& path, const std::string& value);
void emergency_clear(int slot);
// The first of n consecutive free slots below kExpediterSlot, now the caller's; -1 when there are
// not n free. A claim above every live one, so guards alive together never share a slot.
int emergency_claim(int n);
void emergency_release(int first, int n);  // clears the slots and frees them
void emergency_delete_module(const std::string& name);  // "" clears
void run_emergency_actions();  // what the fault handler does; callable for tests
inline constexpr int kEmergencySlots = 16;
inline constexpr int kExpediterSlot = kEmergencySlots - 1;

}  // namespace rcu_unload
