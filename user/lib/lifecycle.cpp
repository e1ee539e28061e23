#include "rcu_unload/lifecycle.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <thread>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

std::string state_dir() {
  const char* dir = std::getenv("RCU_UNLOAD_STATE_DIR");
  return dir && *dir ? dir : "/run/rcu-unload";
}

Result<RunLock> RunLock::acquire(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return error(fmt::format("cannot open the lock {}: {}", path, std::strerror(errno)));
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    const int saved = errno;
    char pid[32] = {};
    ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (saved == EWOULDBLOCK)
      return error(fmt::format("another rcu-unload run holds {} (pid {}): one harness at a time loads modules",
                               path, n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "unknown"));
    return error(fmt::format("cannot lock {}: {}", path, std::strerror(saved)));
  }
  const std::string me = std::to_string(getpid());
  if (ftruncate(fd, 0) == 0 && pwrite(fd, me.data(), me.size(), 0) < 0) { /* the pid is only a hint */ }
  return RunLock(fd);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

namespace {

std::atomic<bool> g_stop{false};
volatile sig_atomic_t g_stop_signal = 0;

struct EmergencyWrite {
  char path[256];
  char value[64];
  volatile sig_atomic_t armed;
};
EmergencyWrite g_writes[kEmergencySlots];
char g_delete_module[64];
volatile sig_atomic_t g_delete_armed = 0;

void copy_bounded(char* to, std::size_t size, const std::string& from) {
  const std::size_t n = std::min(size - 1, from.size());
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

extern "C" void on_stop_signal(int sig) {
  g_stop_signal = sig;
  g_stop.store(true);
}

extern "C" void on_fault_signal(int sig) {
  run_emergency_actions();
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void emergency_set(int slot, const std::string& path, const std::string& value) {
  if (slot < 0 || slot >= kEmergencySlots) return;
  g_writes[slot].armed = 0;
  copy_bounded(g_writes[slot].path, sizeof g_writes[slot].path, path);
  copy_bounded(g_writes[slot].value, sizeof g_writes[slot].value, value);
  g_writes[slot].armed = 1;
}

void emergency_clear(int slot) {
  if (slot >= 0 && slot < kEmergencySlots) g_writes[slot].armed = 0;
}

void emergency_delete_module(const std::string& name) {
  g_delete_armed = 0;
  if (name.empty()) return;
  copy_bounded(g_delete_module, sizeof g_delete_module, name);
  g_delete_armed = 1;
}

// Only open/write/close/syscall: async-signal-safe. The expediter is switched off first (its slot is
// the last), then the knobs are put back last-set first, then the expediter is unloaded.
void run_emergency_actions() {
  for (int slot = kEmergencySlots - 1; slot >= 0; --slot) {
    if (!g_writes[slot].armed) continue;
    int fd = ::open(g_writes[slot].path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const std::size_t n = std::strlen(g_writes[slot].value);
    if (::write(fd, g_writes[slot].value, n) == static_cast<ssize_t>(n)) g_writes[slot].armed = 0;
    ::close(fd);
  }
  if (g_delete_armed) {
    syscall(SYS_delete_module, g_delete_module, O_NONBLOCK);
    g_delete_armed = 0;
  }
}

const std::atomic<bool>& install_signal_handlers() {
  // No SA_RESTART: a blocking wait wakes up, and the loop finishes the current cycle before stopping.
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGVTALRM, SIGPROF, SIGXCPU,
                  SIGXFSZ, SIGPWR, SIGSTKFLT})
    sigaction(sig, &stop, nullptr);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) sigaction(sig, &stop, nullptr);
  struct sigaction fault {};
  fault.sa_handler = on_fault_signal;
  sigemptyset(&fault.sa_mask);
  fault.sa_flags = SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP}) sigaction(sig, &fault, nullptr);
  return g_stop;
}

int stop_signal() { return g_stop_signal; }

std::string thread_report(long tid, const std::string& proc) {
  const std::string dir = fmt::format("{}/{}", proc, tid);
  std::string state = "?";
  if (auto stat = read_text_file(dir + "/stat")) {
    // pid (comm) S ...: the state follows the last ')'.
    auto close = stat->rfind(')');
    if (close != std::string::npos && close + 2 < stat->size()) state = stat->substr(close + 2, 1);
  }
  const std::string wchan = std::string(trim(read_text_file(dir + "/wchan").value_or("")));
  std::string stack;
  for (int attempt = 0; attempt < 5 && stack.empty(); ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stack = std::string(trim(read_text_file(dir + "/stack").value_or("")));
  }
  return fmt::format("thread {}: state {}, wchan {}\n{}", tid, state, wchan.empty() || wchan == "0" ? "-" : wchan,
                     stack.empty() ? "(empty kernel stack: running on a CPU, or no CONFIG_STACKTRACE)" : stack);
}

}  // namespace rcu_unload
