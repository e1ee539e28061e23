#include "rcu_unload/unload_trace.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

std::optional<std::uint64_t> module_free_ns(std::string_view trace, std::string_view module) {
  const std::string event = ": module_free: " + std::string(module);
  for (std::size_t at = trace.find(event); at != std::string_view::npos; at = trace.find(event, at + 1)) {
    const auto after = at + event.size();
    if (after < trace.size() && trace[after] != '\n' && trace[after] != ' ') continue;  // fuse vs fuse_x
    const auto line_start = trace.rfind('\n', at);
    const auto head = trace.substr(line_start == std::string_view::npos ? 0 : line_start + 1,
                                   at - (line_start == std::string_view::npos ? 0 : line_start + 1));
    const auto space = head.rfind(' ');
    const auto stamp = head.substr(space == std::string_view::npos ? 0 : space + 1);
    const auto dot = stamp.find('.');
    if (dot == std::string_view::npos) continue;
    auto secs = parse_u64(stamp.substr(0, dot));
    auto frac_text = stamp.substr(dot + 1);
    auto frac = parse_u64(frac_text);
    if (!secs || !frac || frac_text.size() > 9) continue;
    std::uint64_t ns = *frac;
    for (auto n = frac_text.size(); n < 9; ++n) ns *= 10;
    return *secs * 1'000'000'000u + ns;
  }
  return std::nullopt;
}

std::unique_ptr<UnloadTrace> UnloadTrace::open(std::string module, const KnobFiles& files, std::string tracefs) {
  std::error_code ec;
  if (tracefs.empty()) {
    tracefs = "/sys/kernel/tracing";
    if (!std::filesystem::exists(tracefs + "/trace", ec))
      ::mount("tracefs", tracefs.c_str(), "tracefs", 0, nullptr);  // fails harmlessly where it can't
    if (!std::filesystem::exists(tracefs + "/trace", ec)) tracefs = "/sys/kernel/debug/tracing";
  }
  const std::string enable = tracefs + "/events/module/module_free/enable";
  if (!std::filesystem::exists(enable, ec)) return nullptr;
  // With record-cmd on (the default) or record-tgid, enabling any event also hooks sched_switch and
  // sched_wakeup to record task names: that patches the scheduler's hot call sites (text_poke_bp(),
  // waiting for every CPU in an IPI) and adds work to every context switch of the timed removal. A
  // TCG guest hung in that patching (docs/bench/2026-11-29-fuse-hang.md). module_free alone patches
  // only its own site in free_module(). The event comes last, so it is switched off first.
  const std::string clock = tracefs + "/trace_clock", record_cmd = tracefs + "/options/record-cmd",
                    record_tgid = tracefs + "/options/record-tgid";
  std::vector<Knob> settings{{0, clock, "mono"}};
  for (const std::string* option : {&record_cmd, &record_tgid})
    if (std::filesystem::exists(files.where(*option), ec)) settings.push_back({0, *option, "0"});
  settings.push_back({0, enable, "1"});
  auto guard = KnobGuard::apply(files, settings);
  if (!guard) return nullptr;
  std::unique_ptr<UnloadTrace> t(new UnloadTrace(tracefs, std::move(module), std::move(*guard)));
  if (!t->clear_trace()) return nullptr;
  return t;
}

bool UnloadTrace::clear_trace() const {
  const int fd = ::open((dir_ + "/trace").c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> UnloadTrace::phases(std::uint64_t start, std::uint64_t end) {
  auto text = read_text_file(dir_ + "/trace");
  clear_trace();
  if (!text) return std::nullopt;
  auto freed = module_free_ns(*text, module_);
  // The trace clock prints microseconds: allow that much rounding at either end.
  if (!freed || *freed + 1000 < start || *freed > end + 1000) return std::nullopt;
  const std::uint64_t at = std::min(std::max(*freed, start), end);
  return std::make_pair(at - start, end - at);
}

}  // namespace rcu_unload
