#include "rcu_unload/stress.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "rcu_unload/system_info.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

namespace {

// splitmix64: a fixed, portable generator (the standard distributions are not the same everywhere).
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The draws of one cycle: a stream of its own, from the seed and the cycle index only.
class CycleDraws {
 public:
  CycleDraws(std::uint64_t seed, unsigned cycle) : state_(mix64(seed ^ mix64(cycle + 0x632BE59BD9B4E019ULL))) {}
  std::uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ULL); }
  // 0..n-1 (the modulo's bias is below 1e-12 for the n drawn here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

constexpr std::uint64_t power_of_ten(unsigned e) { return e == 0 ? 1 : 10 * power_of_ten(e - 1); }
// callbacks 0..9, 10..99, ..., the last decade up to `max` inclusive (100000..1000000 for the
// module's maximum): as many decades as `max` has digits after its first, at least one.
constexpr unsigned callback_decades(unsigned max) {
  unsigned decades = 0;
  for (std::uint64_t ten = 10; ten <= max; ten *= 10) ++decades;
  return decades ? decades : 1;
}
static_assert(callback_decades(kMaxCallbacks) == 6 && callback_decades(10000) == 4 && callback_decades(5) == 1);

constexpr std::uint64_t kStressTagBase = 16;  // below it: the probes' tags

}  // namespace

std::vector<std::string> StressPlan::params() const {
  return {fmt::format("flavor={}", flavor), fmt::format("readers={}", readers),
          fmt::format("reader_hold_us={}", reader_hold_us), fmt::format("churn={}", churn)};
}

std::string StressPlan::describe() const {
  return fmt::format("cycle {}: {} callbacks={} {} delay {:.3f} ms{}", cycle, strategy.text(), callbacks,
                     fmt::join(params(), " "), delay_us / 1e3,
                     offline_cpu ? fmt::format(", cpu{} offline", *offline_cpu) : std::string{});
}

Result<StressPlan> plan_stress_cycle(std::uint64_t seed, unsigned cycle, const StressChoices& choices) {
  if (choices.flavors.empty()) return error("no RCU flavor to draw from");
  // Every draw is made whatever the choices, so a choice left out (--no-hotplug, no knobs) changes
  // nothing else of the cycle.
  CycleDraws draw(seed, cycle);
  StressPlan p;
  p.cycle = cycle;
  const auto& flavor = choices.flavors[draw.below(choices.flavors.size())];
  if (flavor.strategies.empty()) return error(fmt::format("no strategy applies to flavor {}", flavor.name));
  p.flavor = flavor.name;
  p.strategy = flavor.strategies[draw.below(flavor.strategies.size())];
  const bool knobs = draw.below(kStressKnobsOneIn) == 0;
  const unsigned max = std::min(choices.max_callbacks, kMaxCallbacks);
  const unsigned decades = callback_decades(max);
  const auto decade = static_cast<unsigned>(draw.below(decades));
  const std::uint64_t low = decade == 0 ? 0 : power_of_ten(decade);
  const std::uint64_t high = decade + 1 == decades ? std::uint64_t{max} + 1 : power_of_ten(decade + 1);
  p.callbacks = static_cast<unsigned>(low + draw.below(high - low));
  p.readers = static_cast<unsigned>(draw.below(kStressMaxReaders + 1));
  p.reader_hold_us = static_cast<unsigned>(draw.below(kStressMaxReaderHoldUs + 1));
  p.churn = static_cast<unsigned>(draw.below(kStressMaxChurn + 1));
  p.delay_us = static_cast<unsigned>(draw.below(kStressMaxDelayUs + 1));
  const bool hotplug = draw.below(kStressHotplugOneIn) == 0;
  const std::uint64_t cpu = draw.next();
  if (hotplug && !choices.hotplug_cpus.empty()) p.offline_cpu = choices.hotplug_cpus[cpu % choices.hotplug_cpus.size()];
  if (knobs && choices.knobs) p.strategy.knobs = kAllKnobs;
  return p;
}

std::optional<std::string_view> splat_kind(std::string_view line) {
  struct Pattern {
    std::string_view text, kind;
  };
  static constexpr Pattern kPatterns[] = {
      {"Oops", "Oops"},
      {"WARNING:", "WARNING"},
      {"BUG:", "BUG"},
      {"KASAN", "KASAN"},
      {"UBSAN:", "UBSAN"},
      {"possible circular locking", "lockdep"},
      {"suspicious RCU usage", "RCU usage"},
      {"general protection", "general protection"},
  };
  for (const auto& p : kPatterns)
    if (line.find(p.text) != std::string_view::npos) return p.kind;
  // "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu_tasks detected stalls on tasks:"
  if (auto rcu = line.find("rcu"); rcu != std::string_view::npos && line.find("detected stall", rcu) != std::string_view::npos)
    return std::string_view("RCU stall");
  return std::nullopt;
}

std::optional<MemorySnapshot> parse_meminfo(std::string_view text) {
  std::optional<std::uint64_t> slab, percpu;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    const auto line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    auto value = trim(line.substr(colon + 1));
    if (value.size() > 3 && value.substr(value.size() - 3) == " kB") value = trim(value.substr(0, value.size() - 3));
    if (key == "Slab") slab = parse_u64(value);
    if (key == "Percpu") percpu = parse_u64(value);
  }
  if (!slab || !percpu) return std::nullopt;
  return MemorySnapshot{*slab, *percpu};
}

MemoryVerdict judge_memory(const MemorySnapshot& before, const MemorySnapshot& after) {
  MemoryVerdict v;
  v.slab_growth_kb = static_cast<std::int64_t>(after.slab_kb) - static_cast<std::int64_t>(before.slab_kb);
  v.percpu_growth_kb = static_cast<std::int64_t>(after.percpu_kb) - static_cast<std::int64_t>(before.percpu_kb);
  const auto slab_noise = kSlabNoiseKb + before.slab_kb * kSlabNoisePercent / 100;
  v.slab_leak = v.slab_growth_kb > static_cast<std::int64_t>(slab_noise);
  v.percpu_leak = v.percpu_growth_kb > static_cast<std::int64_t>(kPercpuNoiseKb);
  return v;
}

KmemleakCount count_kmemleak(std::string_view report, std::string_view module) {
  KmemleakCount count;
  bool in_report = false, named = false;
  auto close = [&] {
    if (in_report && named) ++count.ours;
  };
  while (!report.empty()) {
    const auto end = std::min(report.find('\n'), report.size());
    const auto line = report.substr(0, end);
    report.remove_prefix(std::min(end + 1, report.size()));
    if (starts_with(line, "unreferenced object ")) {
      close();
      ++count.total;
      in_report = true;
      named = false;
    } else if (in_report && line.find(module) != std::string_view::npos) {
      named = true;
    }
  }
  close();
  return count;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty()) switch (text.back()) {
      case 's': unit = 1; text.remove_suffix(1); break;
      case 'm': unit = 60; text.remove_suffix(1); break;
      case 'h': unit = 3600; text.remove_suffix(1); break;
      default: break;
    }
  const auto n = parse_u64(text);
  constexpr std::uint64_t kMaxSeconds = 366ULL * 24 * 3600;  // a year: anything longer is a typo
  if (!n || *n == 0 || *n > kMaxSeconds / unit) return std::nullopt;
  return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(*n * unit));
}

void StressTally::add(const Cycle& c) {
  ++cycles;
  enqueued += c.exit.enqueued;
  invoked += c.exit.invoked;
  if (c.syscall_ns > worst_syscall_ns) {
    worst_syscall_ns = c.syscall_ns;
    worst_cycle = c.cycle;
  }
  if (std::any_of(c.measured.begin(), c.measured.end(), [](const auto& m) { return m.first == "stress_offline_cpu"; }))
    ++offlined;
}

std::string StressTally::line(std::uint64_t elapsed_ns) const {
  const auto seconds = elapsed_ns / 1'000'000'000u;
  return fmt::format("rcu-unload stress: {} cycles in {}:{:02} | callbacks {} enqueued, {} invoked | worst syscall {:.1f} ms{} "
                     "| {} with a CPU offline | splats {}",
                     cycles, seconds / 60, seconds % 60, enqueued, invoked, worst_syscall_ns / 1e6,
                     cycles ? fmt::format(" (cycle {})", worst_cycle) : std::string{}, offlined, splats);
}

std::string cpu_online_path(unsigned cpu) { return fmt::format("/sys/devices/system/cpu/cpu{}/online", cpu); }

std::string stress_replay_command(const StressConfig& config, unsigned cycle) {
  return fmt::format("rcu-unload stress --seed {} --from-cycle {} --cycles 1{}{}{}", config.seed, cycle,
                     config.module.empty() ? std::string{} : " --module " + config.module,
                     config.hotplug ? "" : " --no-hotplug",
                     config.max_callbacks == kMaxCallbacks ? std::string{}
                                                           : fmt::format(" --max-callbacks {}", config.max_callbacks));
}

namespace {

// The loop's state; each step reports into outcome_.
class StressRun {
 public:
  StressRun(const StressConfig& config, RunEnvironment& env, StressSystem& system, StressOutcome& outcome)
      : config_(config), env_(env), system_(system), out_(outcome) {}

  void run() {
    if (!learn_choices()) return finish(kExitFailure);
    if (system_.memory) out_.memory_before = system_.memory();
    const bool kmemleak = system_.kmemleak_command && system_.kmemleak_command("clear");
    for (const auto& note : out_.notes) fmt::print(system_.out, "rcu-unload stress: {}\n", note);
    std::fflush(system_.out);
    if (system_.on_start) system_.on_start(out_.results);
    if (system_.kernel_lines) system_.kernel_lines();  // the splat check starts now

    start_ns_ = env_.now_ns();
    last_summary_ns_ = start_ns_;
    const std::uint64_t deadline =
        config_.duration ? start_ns_ + static_cast<std::uint64_t>(config_.duration->count()) * 1'000'000'000u : 0;
    const std::uint64_t last = config_.cycles ? std::uint64_t{config_.from_cycle} + *config_.cycles
                                              : std::uint64_t{std::numeric_limits<unsigned>::max()} + 1;
    int code = 0;
    for (std::uint64_t k = config_.from_cycle; k < last && code == 0; ++k) {
      if (deadline && env_.now_ns() >= deadline) break;
      if (env_.stop.load()) {
        out_.results.interrupted = true;
        code = kExitInterrupted;
        break;
      }
      code = cycle(static_cast<unsigned>(k));
      if (env_.now_ns() - last_summary_ns_ >= static_cast<std::uint64_t>(config_.summary_every.count()) * 1'000'000'000u) {
        summary();
        last_summary_ns_ = env_.now_ns();
      }
    }
    summary();
    if (code == 0 || code == kExitInterrupted) code = std::max(code, check_memory(kmemleak));
    finish(code);
  }

 private:
  // A probe load per flavor (those the module refuses here are left out), the knobs, the CPUs.
  bool learn_choices() {
    for (std::size_t i = 0; i < kFlavors.size(); ++i) {
      RunConfig probe;
      probe.tag_base = 1 + i;
      probe.params = {fmt::format("flavor={}", kFlavors[i])};
      auto result = probe_module(probe, env_);
      if (!result) {
        if (i == 0) {
          out_.results.errors.push_back(fmt::format("flavor {}: {}", kFlavors[i], result.error()));
          return false;
        }
        out_.notes.push_back(fmt::format("flavor {} left out: {}", kFlavors[i], result.error()));
        continue;
      }
      auto specs = expand_every_strategy({StrategySpec{std::string(kEveryStrategy)}}, result->init.applies);
      if (!specs) {
        out_.results.errors.push_back(fmt::format("flavor {}: {}", kFlavors[i], specs.error()));
        return false;
      }
      out_.notes.push_back(fmt::format("flavor {}: {}", kFlavors[i], fmt::join(spec_texts(*specs), ",")));
      choices_.flavors.push_back({std::string(kFlavors[i]), std::move(*specs)});
    }
    choices_.max_callbacks = config_.max_callbacks;
    choices_.knobs = env_.knobs && present_knobs(*env_.knobs, kAllKnobs);
    out_.notes.push_back(choices_.knobs ? fmt::format("+knobs drawn one cycle in {}", kStressKnobsOneIn)
                                        : std::string("+knobs never drawn: the RCU knobs are not all there"));
    if (config_.hotplug && system_.hotplug_cpus && system_.cpu_files) choices_.hotplug_cpus = system_.hotplug_cpus();
    out_.notes.push_back(!config_.hotplug ? std::string("CPU hotplug off (--no-hotplug)")
                         : choices_.hotplug_cpus.empty()
                             ? std::string("CPU hotplug: no CPU has an online file")
                             : fmt::format("CPU hotplug: cpu{} offline one cycle in {}",
                                           fmt::join(choices_.hotplug_cpus, ",cpu"), kStressHotplugOneIn));
    for (const auto& f : choices_.flavors)
      for (const auto& s : f.strategies) {
        auto text = s.text();
        if (std::find(out_.results.strategies.begin(), out_.results.strategies.end(), text) == out_.results.strategies.end())
          out_.results.strategies.push_back(text);
      }
    return true;
  }

  // One cycle; 0 to go on, else the run's exit code.
  int cycle(unsigned k) {
    auto plan = plan_stress_cycle(config_.seed, k, choices_);
    if (!plan) return failed(k, plan.error(), {});
    std::optional<KnobGuard> offline;
    std::string offline_path;
    if (plan->offline_cpu) {
      offline_path = cpu_online_path(*plan->offline_cpu);
      auto guard = KnobGuard::apply(*system_.cpu_files, {Knob{0, offline_path, "0"}});
      if (guard) {
        offline.emplace(std::move(*guard));
      } else {  // a CPU the kernel will not take down now (the plan says so; the cycle runs without)
        out_.results.warnings.push_back(fmt::format("cycle {}: cpu{} not taken offline: {}", k, *plan->offline_cpu, guard.error()));
        plan->offline_cpu.reset();
      }
    }

    RunConfig config;
    config.strategies = {plan->strategy};
    config.cycles = 1;
    config.callbacks = {plan->callbacks};
    config.tag_base = kStressTagBase + k;
    config.params = plan->params();
    config.unload_delay = std::chrono::microseconds(plan->delay_us);
    config.unload_timeout = config_.unload_timeout;
    if (config_.verbose) fmt::print(stderr, "rcu-unload stress: {}\n", plan->describe());
    // A removal that outlasts the unload timeout may never return: say now what replays it.
    const auto remover_stack = env_.remover_stack;
    env_.remover_stack = [&](long tid) {
      fmt::print(system_.out, "rcu-unload stress: cycle {} of seed {} is stuck in the removal ({}); replay it: {}\n", k,
                 config_.seed, plan->describe(), stress_replay_command(config_, k));
      std::fflush(system_.out);
      return remover_stack ? remover_stack(tid) : std::string{};
    };
    env_.on_cycle = [&](const Cycle& ran) {
      Cycle c = ran;
      c.cycle = k;
      c.measured.emplace_back("stress_delay_us", plan->delay_us);
      c.measured.emplace_back("stress_reader_hold_us", plan->reader_hold_us);
      if (plan->offline_cpu) c.measured.emplace_back("stress_offline_cpu", *plan->offline_cpu);
      out_.tally.add(c);
      out_.results.cycles.push_back(c);
      if (system_.on_cycle) system_.on_cycle(c);
    };
    auto outcome = run_cycles(config, env_);
    env_.on_cycle = nullptr;
    env_.remover_stack = remover_stack;

    std::vector<std::string> problems = std::move(outcome.results.errors);
    if (offline)
      for (auto& p : offline->restore()) problems.push_back(std::move(p));
    for (auto& w : outcome.results.warnings)
      out_.results.warnings.push_back(fmt::format("cycle {}: {}", k, w));
    if (outcome.results.new_taint)
      problems.push_back(fmt::format("the kernel became tainted: {} (taint {} -> {})", describe_taint(outcome.results.new_taint),
                                     outcome.results.taint_before, outcome.results.taint));
    if (system_.kernel_lines)
      for (const auto& line : system_.kernel_lines())
        if (auto kind = splat_kind(line)) {
          ++out_.tally.splats;
          problems.push_back(fmt::format("kernel splat ({}): {}", *kind, line));
        }
    if (!problems.empty()) return failed(k, fmt::format("{}", fmt::join(problems, "\n  ")), *plan);
    if (outcome.exit_code == kExitInterrupted) {
      out_.results.interrupted = true;
      return kExitInterrupted;
    }
    return outcome.exit_code;
  }

  int failed(unsigned k, const std::string& what, const std::optional<StressPlan>& plan) {
    out_.results.errors.push_back(fmt::format("cycle {}: {}", k, what));
    fmt::print(system_.out, "rcu-unload stress: FAILED at cycle {} of seed {}:\n  {}\n", k, config_.seed, what);
    if (plan) fmt::print(system_.out, "rcu-unload stress: {}\n", plan->describe());
    fmt::print(system_.out, "rcu-unload stress: replay it: {}\n", stress_replay_command(config_, k));
    std::fflush(system_.out);
    return kExitFailure;
  }

  void summary() {
    fmt::print(system_.out, "{}\n", out_.tally.line(env_.now_ns() - start_ns_));
    std::fflush(system_.out);
  }

  // Slab and Percpu after the run against before it, and kmemleak's new reports naming the module.
  int check_memory(bool kmemleak) {
    int code = 0;
    if (system_.memory) out_.memory_after = system_.memory();
    if (out_.memory_before && out_.memory_after) {
      const auto& before = *out_.memory_before;
      const auto& after = *out_.memory_after;
      const auto v = judge_memory(before, after);
      fmt::print(system_.out, "rcu-unload stress: memory: Slab {} -> {} kB ({:+}), Percpu {} -> {} kB ({:+})\n",
                 before.slab_kb, after.slab_kb, v.slab_growth_kb, before.percpu_kb, after.percpu_kb, v.percpu_growth_kb);
      // Where kmemleak runs (the DEBUG kernel), KASAN runs too, and its quarantine keeps freed
      // objects in Slab for a while: kmemleak's scan is the verdict there, the growth a note.
      if (v.slab_leak && kmemleak)
        fmt::print(system_.out, "rcu-unload stress: Slab grew by {} kB (KASAN's quarantine holds freed objects; "
                                "kmemleak decides)\n", v.slab_growth_kb);
      else if (v.slab_leak)
        code = leak(fmt::format("Slab grew by {} kB, more than the noise allowed ({} kB + {}%)", v.slab_growth_kb,
                                kSlabNoiseKb, kSlabNoisePercent));
      if (v.percpu_leak)
        code = leak(fmt::format("Percpu grew by {} kB, more than the noise allowed ({} kB)", v.percpu_growth_kb, kPercpuNoiseKb));
    } else {
      out_.results.warnings.emplace_back("cannot read Slab and Percpu from /proc/meminfo");
    }
    if (!kmemleak) {
      fmt::print(system_.out, "rcu-unload stress: kmemleak: not in this kernel\n");
    } else if (!system_.kmemleak_command("scan") || !system_.kmemleak_command("scan")) {
      out_.results.warnings.emplace_back("kmemleak: the scan failed");
    } else if (auto report = system_.kmemleak_report()) {
      out_.kmemleak = count_kmemleak(*report);
      fmt::print(system_.out, "rcu-unload stress: kmemleak: {} new leaks, {} naming {}\n", out_.kmemleak->total,
                 out_.kmemleak->ours, kOurModule);
      if (out_.kmemleak->ours) code = leak(fmt::format("kmemleak reports {} leaks naming {}", out_.kmemleak->ours, kOurModule));
    }
    std::fflush(system_.out);
    return code;
  }

  int leak(std::string what) {
    fmt::print(system_.out, "rcu-unload stress: LEAK: {} (seed {}, cycles {}..{})\n", what, config_.seed,
               config_.from_cycle, config_.from_cycle + out_.tally.cycles - 1);
    out_.results.errors.push_back(std::move(what));
    return kExitFailure;
  }

  void finish(int code) { out_.exit_code = code ? code : out_.results.errors.empty() ? 0 : kExitFailure; }

  const StressConfig& config_;
  RunEnvironment& env_;
  StressSystem& system_;
  StressOutcome& out_;
  StressChoices choices_;
  std::uint64_t start_ns_ = 0, last_summary_ns_ = 0;
};

}  // namespace

StressOutcome run_stress(const StressConfig& config, RunEnvironment& env, StressSystem& system) {
  StressOutcome outcome;
  StressRun(config, env, system, outcome).run();
  return outcome;
}

}  // namespace rcu_unload
