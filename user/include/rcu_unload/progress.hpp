#pragma once
// What `run` prints while it runs. On a terminal: one line, rewritten after every cycle, with the
// cycles done of the total, the ETA and the current syscall p50 per strategy spec. Not on a
// terminal: nothing (scripts read the table and the JSON). --verbose: a line per cycle wherever
// stderr goes (the guest's console, which scripts/qemu-run.sh streams to the host); --quiet:
// nothing but errors.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rcu_unload/results.hpp"

namespace rcu_unload {

enum class Verbosity { quiet, normal, verbose };

// Lines that start with this are the harness's progress, also for scripts/qemu-run.sh.
inline constexpr const char* kProgressPrefix = "rcu-unload: cycle ";

class Progress {
 public:
  Progress(std::FILE* out, bool tty, Verbosity verbosity, std::function<std::uint64_t()> now_ns);

  void start(unsigned total);
  void cycle(const Cycle& c);
  void finish();  // ends the terminal line, if one was drawn

  // The terminal line after `done` of `total` cycles (exposed for tests).
  std::string line(unsigned done, std::uint64_t elapsed_ns) const;

 private:
  std::FILE* out_;
  bool tty_;
  Verbosity verbosity_;
  std::function<std::uint64_t()> now_ns_;
  unsigned total_ = 0, done_ = 0;
  std::uint64_t started_ = 0;
  bool drawn_ = false;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<double>> samples_;
};

}  // namespace rcu_unload
