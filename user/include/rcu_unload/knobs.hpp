#pragma once
// The kernel's runtime RCU knobs that a "+knobs" strategy sets around one timed removal.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/result.hpp"

namespace rcu_unload {

struct Knob {
  std::string_view path;   // absolute sysfs path
  std::string_view value;  // written for the removal, the old value is put back right after
};

// The only list of knobs: an expedited synchronize_rcu() in free_module() and the fastest
// force-quiescent-state scans.
inline constexpr std::array<Knob, 3> kUnloadKnobs = {{
    {"/sys/kernel/rcu_expedited", "1"},
    {"/sys/module/rcutree/parameters/jiffies_till_first_fqs", "0"},
    {"/sys/module/rcutree/parameters/jiffies_till_next_fqs", "1"},
}};

// Reads and writes knob files below a root directory ("" for the real /sys; tests use a temp dir).
class KnobFiles {
 public:
  explicit KnobFiles(std::string root = {}) : root_(std::move(root)) {}
  std::string where(std::string_view path) const { return root_ + std::string(path); }
  Result<std::string> read(std::string_view path) const;                  // trimmed contents
  std::optional<std::string> write(std::string_view path, const std::string& value) const;  // why not

 private:
  std::string root_;
};

// Sets knobs and puts the saved values back on restore() or, failing that, on destruction.
class KnobGuard {
 public:
  // Saves and writes every knob in order; on a failure restores what it changed and returns why
  // (restore problems included).
  static Result<KnobGuard> apply(const KnobFiles& files, const std::vector<Knob>& knobs);
  KnobGuard(KnobGuard&& other) noexcept;
  KnobGuard& operator=(KnobGuard&&) = delete;
  KnobGuard(const KnobGuard&) = delete;
  KnobGuard& operator=(const KnobGuard&) = delete;
  // Restores anything not restored yet, printing any failure to stderr (the caller had no chance).
  ~KnobGuard();

  // Writes back the saved values, last set first; one line per knob that could not be restored.
  std::vector<std::string> restore();

 private:
  struct Saved {
    std::string path;
    std::string value;
  };
  explicit KnobGuard(const KnobFiles& files) : files_(files) {}

  KnobFiles files_;
  std::vector<Saved> saved_;
};

std::vector<Knob> unload_knobs();

}  // namespace rcu_unload
