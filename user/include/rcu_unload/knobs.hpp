#pragma once
// The kernel's runtime RCU knobs that a "+knobs" strategy sets around one timed removal.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/result.hpp"

namespace rcu_unload {

// What a strategy spec names, NAME+GROUP; NAME+knobs is every group.
inline constexpr std::array<std::string_view, 4> kKnobGroups = {"expedited", "fqs", "wake", "batch"};
using KnobSet = unsigned;  // bit i: kKnobGroups[i]
inline constexpr KnobSet kAllKnobs = (1U << kKnobGroups.size()) - 1;

struct Knob {
  unsigned group;          // index into kKnobGroups
  std::string_view path;   // absolute sysfs path
  std::string_view value;  // written for the removal, the old value is put back right after
  bool optional = false;   // not on every kernel: left out where its file is missing
};

// The only list of knobs: an expedited synchronize_rcu() in free_module() (and in
// ftrace_release_mod()), the fastest force-quiescent-state scans, (6.9 on) synchronize_rcu()
// callers woken by the grace-period kthread itself rather than through a callback, and a CPU's
// ready callbacks invoked in one rcu_do_batch() (a busy CPU otherwise stops at max(blimit,
// pending >> rcu_divisor) and leaves the rest to the next softirq, often ksoftirqd's).
inline constexpr std::array<Knob, 5> kUnloadKnobs = {{
    {0, "/sys/kernel/rcu_expedited", "1"},
    {1, "/sys/module/rcutree/parameters/jiffies_till_first_fqs", "0"},
    {1, "/sys/module/rcutree/parameters/jiffies_till_next_fqs", "1"},
    {2, "/sys/module/rcutree/parameters/rcu_normal_wake_from_gp", "1", true},
    {3, "/sys/module/rcutree/parameters/rcu_divisor", "0"},
}};

// Reads and writes knob files below a root directory ("" for the real /sys; tests use a temp dir).
// With a state file, KnobGuard saves the original values there (fsync'd) before the first write and
// removes it once they are back, so a harness killed in between leaves them for recover_knobs().
// `kind` names the files in messages ("RCU knob", "CPU online file", "tracefs file").
class KnobFiles {
 public:
  explicit KnobFiles(std::string root = {}, std::string state_file = {}, std::string kind = "RCU knob")
      : root_(std::move(root)), state_file_(std::move(state_file)), kind_(std::move(kind)) {}
  std::string where(std::string_view path) const { return root_ + std::string(path); }
  // Trimmed contents; of a choice file ("local [mono] boot", as trace_clock) the current choice.
  Result<std::string> read(std::string_view path) const;
  std::optional<std::string> write(std::string_view path, const std::string& value) const;  // why not
  const std::string& state_file() const { return state_file_; }
  const std::string& kind() const { return kind_; }

 private:
  std::string root_;
  std::string state_file_;
  std::string kind_;
};

// At start: puts back the values a state file holds (a harness that died with the knobs set), last
// set first as KnobGuard::restore() does, and removes it. nullopt when there was none; else the
// message to print (what was restored), or an error naming a knob that could not be written (the
// state file is then kept).
std::optional<Result<std::string>> recover_knobs(const KnobFiles& files);

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
  int first_slot_ = -1;  // the fault handler's slots (emergency_claim), one per knob given to apply
  int slots_ = 0;
};

// The knobs of the groups in `set`, in list order.
std::vector<Knob> unload_knobs(KnobSet set = kAllKnobs);

// The knobs of `set` this kernel has; an error names a required one that cannot be read, or a set
// left empty (its only group's knobs are all missing here).
Result<std::vector<Knob>> present_knobs(const KnobFiles& files, KnobSet set);

}  // namespace rcu_unload
