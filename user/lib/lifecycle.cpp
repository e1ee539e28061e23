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
#include <functional>
#include <thread>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

std::string state_dir() {
  const char* dir = std::getenv("RCU_UNLOAD_STATE_DIR");
  return dir && *dir ? dir : "/run/rcu-unload";
}

std::optional<std::string> write_durably(const std::string& path, const std::string& text) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(dir, ec);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fmt::format("cannot create {}: {}", tmp, std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return fmt::format("cannot write {}: {}", path, std::strerror(ok ? errno : saved));
  if (int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return std::nullopt;
}

namespace {

// A module's state file is state_dir()/PREFIX NAME SUFFIX.
constexpr std::string_view kModuleStatePrefix = "module-";
constexpr std::string_view kModuleStateSuffix = ".state";

std::string module_state_file(const std::string& name) {
  return fmt::format("{}/{}{}{}", state_dir(), kModuleStatePrefix, name, kModuleStateSuffix);
}

// The value of `key` in "k=v k=v" options, if given.
std::optional<std::string> option_value(std::string_view options, std::string_view key) {
  for (std::size_t from = 0; from < options.size();) {
    const auto end = std::min(options.find(' ', from), options.size());
    const auto word = options.substr(from, end - from);
    from = end + 1;
    if (word.size() > key.size() && starts_with(word, key) && word[key.size()] == '=')
      return std::string(word.substr(key.size() + 1));
  }
  return std::nullopt;
}

}  // namespace

void note_module_loading(const std::string& name, const std::string& options) {
  if (auto problem = write_durably(module_state_file(name), options + "\n"))
    fmt::print(stderr, "rcu-unload: {} (a harness that dies now leaves {} loaded for the next start to find)\n",
               *problem, name);
}

void note_module_gone(const std::string& name) {
  std::error_code ec;
  std::filesystem::remove(module_state_file(name), ec);
}

Result<std::vector<std::string>> recover_modules(const std::function<int(const std::string&)>& remove,
                                                 const std::string& sysfs_root) {
  std::vector<std::string> notes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir(), ec)) {
    const std::string file = entry.path().filename().string();
    if (!starts_with(file, kModuleStatePrefix) || !ends_with(file, kModuleStateSuffix)) continue;
    const std::string name =
        file.substr(kModuleStatePrefix.size(), file.size() - kModuleStatePrefix.size() - kModuleStateSuffix.size());
    const std::string options(trim(read_text_file(entry.path().string()).value_or("")));
    const std::string sys = sysfs_root + "/sys/module/" + name;
    if (!std::filesystem::exists(sys + "/initstate", ec)) {  // gone (or built in: never loaded by us)
      std::filesystem::remove(entry.path(), ec);
      continue;
    }
    const auto tag = option_value(options, "tag");
    const auto now = read_text_file(sys + "/parameters/tag");
    if (tag && now && trim(*now) != *tag) {
      notes.push_back(fmt::format("module {} is loaded, but not with the tag a previous run gave it ({} instead of {}): "
                                  "left alone",
                                  name, trim(*now), *tag));
      std::filesystem::remove(entry.path(), ec);
      continue;
    }
    if (int rc = remove(name); rc < 0)
      return error(fmt::format("a previous run died with module {} loaded ('{}'), and unloading it failed: {} (state "
                               "file {} kept)",
                               name, options, std::strerror(-rc), entry.path().string()));
    std::filesystem::remove(entry.path(), ec);
    notes.push_back(fmt::format("a previous run died with module {} loaded ('{}'); unloaded it", name, options));
  }
  return notes;
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
bool g_claimed[kExpediterSlot];  // never read in signal context
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

int emergency_claim(int n) {
  int first = kExpediterSlot;
  while (first > 0 && !g_claimed[first - 1]) --first;  // above the highest live claim
  if (n < 0 || first + n > kExpediterSlot) return -1;
  for (int slot = first; slot < first + n; ++slot) g_claimed[slot] = true;
  return first;
}

void emergency_release(int first, int n) {
  for (int slot = std::max(first, 0); slot < std::min(first + n, static_cast<int>(kExpediterSlot)); ++slot) {
    g_writes[slot].armed = 0;
    g_claimed[slot] = false;
  }
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
  const auto catch_unless_ignored = [&stop](int sig) {
    struct sigaction was {};
    if (sigaction(sig, nullptr, &was) == 0 && was.sa_handler == SIG_IGN) return;
    sigaction(sig, &stop, nullptr);
  };
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGVTALRM, SIGPROF, SIGXCPU,
                  SIGXFSZ, SIGPWR, SIGSTKFLT})
    catch_unless_ignored(sig);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) catch_unless_ignored(sig);
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
