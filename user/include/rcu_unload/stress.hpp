#pragma once
// `rcu-unload stress` (issue 13): load/unload cycles of rcu_unload whose strategy, flavor,
// callbacks, readers, churn, delay before the unload and CPU hotplug are drawn from (seed, cycle
// index) alone, so any cycle replays by itself. It stops at the first lost callback, kernel splat
// or new taint, and checks Slab/Percpu (and kmemleak, where the kernel has it) at the end.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/contract.hpp"
#include "rcu_unload/knobs.hpp"
#include "rcu_unload/module_loader.hpp"
#include "rcu_unload/result.hpp"
#include "rcu_unload/results.hpp"
#include "rcu_unload/runner.hpp"
#include "rcu_unload/strategy_spec.hpp"

namespace rcu_unload {

// What a cycle draws from, each uniformly but callbacks (log-uniform: one decade of 0..9, 10..99,
// ..., 100000..1000000 each, so most cycles are small, TCG guests being slow; a lower maximum, e.g.
// 10000 for DEBUG kernels, has fewer decades: 0..9, ..., 1000..10000).
inline constexpr unsigned kStressMaxReaders = 4;
inline constexpr unsigned kStressMaxReaderHoldUs = 100;
inline constexpr unsigned kStressMaxChurn = 5;
inline constexpr unsigned kStressMaxDelayUs = 20'000;  // between the load and the unload
inline constexpr unsigned kStressKnobsOneIn = 8;       // a +knobs spec, where the knobs are there
inline constexpr unsigned kStressHotplugOneIn = 16;    // a CPU offline for the cycle
static_assert(kStressMaxReaders <= module_param("readers").max &&
              kStressMaxReaderHoldUs <= module_param("reader_hold_us").max &&
              kStressMaxChurn <= module_param("churn").max, "stress draws beyond rcu_unload.h's ranges");

// The strategies a flavor's probe load said apply (unsafe-none left out).
struct StressFlavor {
  std::string name;
  std::vector<StrategySpec> strategies;
};

// What the running kernel offers, learned once at start.
struct StressChoices {
  std::vector<StressFlavor> flavors;   // those whose probe load succeeded, in rcu_unload.h's order
  bool knobs = false;                  // +knobs specs may be drawn
  std::vector<unsigned> hotplug_cpus;  // CPUs with /sys/devices/system/cpu/cpuN/online; empty: none
  unsigned max_callbacks = kMaxCallbacks;
};

// One cycle's draw. The same (seed, cycle, choices) always gives the same plan.
struct StressPlan {
  unsigned cycle = 0;
  std::string flavor;
  StrategySpec strategy;
  unsigned callbacks = 0, readers = 0, reader_hold_us = 0, churn = 0, delay_us = 0;
  // Offlined before the load, back online after the unload (between cycles); a cycle with a CPU
  // offline never draws +knobs, whose guard shares the fault handler's restore slots.
  std::optional<unsigned> offline_cpu;

  std::vector<std::string> params() const;  // flavor=, readers=, reader_hold_us=, churn=
  std::string describe() const;             // one line, for progress and failure reports
};

// An error when `choices` has no flavor.
Result<StressPlan> plan_stress_cycle(std::uint64_t seed, unsigned cycle, const StressChoices& choices);

// The kind of trouble a kernel log line reports ("WARNING", "BUG", "KASAN", "lockdep", "RCU usage",
// "RCU stall", "Oops", "general protection", "UBSAN"); nullopt for an ordinary line.
std::optional<std::string_view> splat_kind(std::string_view line);

// Slab and Percpu of /proc/meminfo, in kB.
struct MemorySnapshot {
  std::uint64_t slab_kb = 0, percpu_kb = 0;
};
std::optional<MemorySnapshot> parse_meminfo(std::string_view text);

// Growth beyond this is a leak: Slab by more than kSlabNoiseKb plus kSlabNoisePercent of its size
// before, Percpu by more than kPercpuNoiseKb (chunks are freed lazily).
inline constexpr std::uint64_t kSlabNoiseKb = 4096;
inline constexpr std::uint64_t kSlabNoisePercent = 5;
inline constexpr std::uint64_t kPercpuNoiseKb = 512;
struct MemoryVerdict {
  std::int64_t slab_growth_kb = 0, percpu_growth_kb = 0;
  bool slab_leak = false, percpu_leak = false;
};
MemoryVerdict judge_memory(const MemorySnapshot& before, const MemorySnapshot& after);

// /sys/kernel/debug/kmemleak after a scan: its reports ("unreferenced object ..." and the lines
// under it), and those whose lines name `module` (an unloaded module's frames print as bare
// addresses, so `ours` counts what is recognisably its own).
struct KmemleakCount {
  unsigned total = 0, ours = 0;
};
KmemleakCount count_kmemleak(std::string_view report, std::string_view module = kOurModule);

// "90", "90s", "30m" or "2h"; nullopt for anything else or zero.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The running totals the summary lines print.
struct StressTally {
  unsigned cycles = 0;
  std::uint64_t enqueued = 0, invoked = 0;
  std::uint64_t worst_syscall_ns = 0;
  unsigned worst_cycle = 0;
  unsigned offlined = 0;  // cycles run with a CPU offline
  unsigned splats = 0;

  void add(const Cycle& c);
  // "rcu-unload stress: 1200 cycles in 9:12 | callbacks 1234567 enqueued, 1234567 invoked | worst
  // syscall 812.3 ms (cycle 77) | 75 with a CPU offline | splats 0"
  std::string line(std::uint64_t elapsed_ns) const;
};

struct StressConfig {
  std::uint64_t seed = 0;
  unsigned from_cycle = 0;
  std::optional<unsigned> cycles;              // exactly one of cycles and duration
  std::optional<std::chrono::seconds> duration;
  bool hotplug = true;
  bool verbose = false;                        // each cycle's plan on stderr before it runs
  unsigned max_callbacks = kMaxCallbacks;      // the callbacks drawn at most (part of the draw)
  std::string module;                          // for the replay command
  std::chrono::milliseconds unload_timeout{60'000};
  std::chrono::seconds summary_every{30};
};

// What the loop touches besides the module (the CLI gives the real ones, tests fakes).
struct StressSystem {
  std::function<std::optional<MemorySnapshot>()> memory;      // after settling the caches
  std::function<std::vector<std::string>()> kernel_lines;     // every kernel log line since the last call
  std::function<std::vector<unsigned>()> hotplug_cpus;        // CPUs that have an online file
  const KnobFiles* cpu_files = nullptr;                       // for the online files, with its own state file
  // kmemleak: "clear" at start, "scan" at the end; nullopt where the kernel has none.
  std::function<bool(std::string_view command)> kmemleak_command;
  std::function<std::optional<std::string>()> kmemleak_report;
  std::function<void(const Cycle&)> on_cycle;                 // each cycle as it ends (the journal)
  std::function<void(const Results&)> on_start;               // once, before the first cycle
  std::FILE* out = stdout;                                    // summary lines
};

struct StressOutcome {
  Results results;
  StressTally tally;
  std::optional<MemorySnapshot> memory_before, memory_after;
  std::optional<KmemleakCount> kmemleak;
  std::vector<std::string> notes;  // the flavors left out and why, hotplug facts
  int exit_code = 0;
};

// The sysfs file that takes a CPU offline (0) and online (1).
std::string cpu_online_path(unsigned cpu);

// `rcu-unload stress --seed S --from-cycle K --cycles 1 ...`: the command that replays cycle K.
std::string stress_replay_command(const StressConfig& config, unsigned cycle);

// Probes each flavor, then runs cycles until the count or the time is reached, a cycle fails, a
// splat or new taint appears or a stop signal arrives (exit 130); checks the memory at the end.
StressOutcome run_stress(const StressConfig& config, RunEnvironment& env, StressSystem& system);

}  // namespace rcu_unload
