#pragma once
// Human-readable output: latency tables and a gnuplot CDF plot.
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/results.hpp"

namespace rcu_unload {

// One table per metric (rmmod syscall, module exit path): a row per strategy with n and
// p50/p90/p99/min/max in ms, and p50 relative to the first strategy with its bootstrap 95% CI.
// With `with_problems`, the run's warnings and errors follow the tables.
std::string format_report(const Results& r, bool with_problems = true);

struct PlotInput {
  std::string label;  // prefixes the curve titles when several files are plotted
  Results results;
};

// The gnuplot program that draws sorted-sample CDFs (log-x, ms), one curve per strategy and input.
std::string plot_script(const std::vector<PlotInput>& inputs, const std::string& png);

// Runs gnuplot on plot_script(); returns why no PNG came out, if none did.
std::optional<std::string> write_plot(const std::vector<PlotInput>& inputs, const std::string& png);

}  // namespace rcu_unload
