#include "rcu_unload/progress.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "rcu_unload/statistics.hpp"

namespace rcu_unload {

Progress::Progress(std::FILE* out, bool tty, Verbosity verbosity, std::function<std::uint64_t()> now_ns)
    : out_(out), tty_(tty), verbosity_(verbosity), now_ns_(std::move(now_ns)) {}

void Progress::start(unsigned total) {
  total_ = total;
  done_ = 0;
  started_ = now_ns_();
}

std::string Progress::line(unsigned done, std::uint64_t elapsed_ns) const {
  std::string eta = "?";
  if (done > 0 && total_ >= done) {
    const double left_s = static_cast<double>(elapsed_ns) / 1e9 / done * (total_ - done);
    const auto s = static_cast<unsigned long long>(left_s + 0.5);
    eta = fmt::format("{}:{:02}", s / 60, s % 60);
  }
  std::string text = fmt::format("[{}/{}] {:3.0f}% ETA {}", done, total_,
                                 total_ ? 100.0 * done / total_ : 0.0, eta);
  for (const auto& spec : order_) {
    auto it = samples_.find(spec);
    if (it == samples_.end() || it->second.empty()) continue;
    text += fmt::format(" | {} p50 {:.3f} ms", spec, summarize(it->second).p50 / 1e6);
  }
  return text;
}

void Progress::cycle(const Cycle& c) {
  ++done_;
  const std::string label = c.strategy + (c.callbacks != 1000 ? fmt::format(" cb={}", c.callbacks) : "");
  if (!samples_.count(label)) order_.push_back(label);
  samples_[label].push_back(static_cast<double>(c.syscall_ns));
  if (verbosity_ == Verbosity::quiet) return;
  if (verbosity_ == Verbosity::verbose) {
    if (is_plain_cycle(c)) {
      // A module not ours prints no records: what the harness measured stands in for them.
      std::string measured;
      for (const auto& [key, value] : c.measured)
        if (key == "load_ns" || key == "unload_exit_ns")
          measured += fmt::format("  {} {:.3f} ms", key.substr(0, key.size() - 3), static_cast<double>(value) / 1e6);
      fmt::print(out_, "{}{}/{} {:<16} syscall {:10.3f} ms{}\n", kProgressPrefix, c.cycle + 1, total_, c.strategy,
                 static_cast<double>(c.syscall_ns) / 1e6, measured);
    } else {
      fmt::print(out_,
                 "{}{}/{} {:<16} cb {:<7} picked {:<10} syscall {:10.3f} ms  exit {:10.3f} ms  invoked {}/{}\n",
                 kProgressPrefix, c.cycle + 1, total_, c.strategy, c.callbacks, c.exit.picked,
                 static_cast<double>(c.syscall_ns) / 1e6, static_cast<double>(c.exit.total_ns) / 1e6,
                 c.exit.invoked, c.exit.enqueued);
    }
    std::fflush(out_);
    return;
  }
  if (!tty_) return;
  fmt::print(out_, "\r\033[K{}", line(done_, now_ns_() - started_));
  std::fflush(out_);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) {
    fmt::print(out_, "\n");
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace rcu_unload
