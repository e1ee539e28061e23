#pragma once
// The resident expediter, rcu_unload_expediter.ko (include/uapi/rcu_unload.h, RU_EXPEDITER_*):
// switched on by the harness right before a +expedite cycle's timed removal and off right after.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rcu_unload.h"
#include "rcu_unload/result.hpp"

namespace rcu_unload {

inline constexpr std::string_view kExpediterModule = RU_EXPEDITER_MODULE;

#define RU_HARNESS_EXPEDITER_STAT(key, type, help) std::uint64_t key = 0;
struct ExpediterStats {
  RU_EXPEDITER_STATS(RU_HARNESS_EXPEDITER_STAT)
};
#undef RU_HARNESS_EXPEDITER_STAT

// The `stats` file's one line; an error names a key the header lists but the line lacks.
Result<ExpediterStats> parse_expediter_stats(std::string_view line);
ExpediterStats operator-(const ExpediterStats& after, const ExpediterStats& before);
// What a cycle records: (key, value) with keys prefixed "expedite_" (rounds, kicks, ipis, busy_ns).
std::vector<std::pair<std::string, std::uint64_t>> cycle_fields(const ExpediterStats& delta);

// Switching and reading: the module's sysfs files, or a test's fake.
struct ExpediterControl {
  virtual ~ExpediterControl() = default;
  virtual std::optional<std::string> set_active(bool on) = 0;  // why not
  virtual Result<ExpediterStats> stats() = 0;
};

// /sys/module/rcu_unload_expediter/parameters below `root` ("" for the real one).
class SysfsExpediter final : public ExpediterControl {
 public:
  explicit SysfsExpediter(std::string root = {});
  std::optional<std::string> set_active(bool on) override;
  Result<ExpediterStats> stats() override;
  std::string active_path() const;

 private:
  std::string dir_;
};

// The expediter module loaded for one run: switched off and unloaded on destruction (and, from a
// fatal signal's handler, switched off and unloaded without running destructors).
class ResidentExpediter {
 public:
  // Loads the .ko at `path` (an instance left by a killed harness is switched off and removed first).
  static Result<std::unique_ptr<ResidentExpediter>> load(const std::string& path, std::vector<std::string>& notes);
  ~ResidentExpediter();
  ResidentExpediter(const ResidentExpediter&) = delete;
  ResidentExpediter& operator=(const ResidentExpediter&) = delete;
  ExpediterControl& control() { return control_; }
  // Switches off and unloads; the reason when either failed.
  std::optional<std::string> unload();

 private:
  ResidentExpediter() = default;
  SysfsExpediter control_;
  bool loaded_ = false;
};

// The path of the expediter for `--expediter` left empty: next to the module file, else /.
std::string default_expediter_path(const std::string& module_path);

}  // namespace rcu_unload
