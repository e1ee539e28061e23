#pragma once
// Human-readable output: latency tables (plain or Markdown) and gnuplot plots.
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/results.hpp"

namespace rcu_unload {

enum class TableStyle { text, markdown };

using Table = std::vector<std::vector<std::string>>;  // the first line is the header

// Plain text: the first column left-aligned, the others right-aligned, each as wide as its widest
// cell. Markdown: a pipe table, likewise aligned.
std::string render_table(const Table& t, TableStyle style);

// Nanoseconds as milliseconds with three decimals, the unit of every table.
std::string format_ms(double ns);

// The strategy rows are compared with: "barrier" when the run has it, else its first strategy.
std::string reference_strategy(const Results& r);

// The floor an unload at `callbacks` can't beat: p50(exp_gp_ns) + callbacks x p50(cb_cost_ns) over the
// cycles at that callbacks value that measured them (non-zero; measure_limit=1). nullopt if none did.
std::optional<double> limit_ns(const Results& r, unsigned callbacks);

// One table per metric (rmmod syscall, module exit path): a row per strategy (and callbacks value
// when there are several) with n and p50/p90/p99 in ms, p50 relative to the reference strategy at
// the same callbacks with its bootstrap 95% CI; the exit table adds the limit and p50 / limit.
// With `with_problems`, the run's warnings and errors follow the tables.
// "peak callback memory per load ..." for each callbacks value whose cycles recorded peak_bytes; "" if none.
std::string format_callback_memory(const Results& r);
std::string format_report(const Results& r, bool with_problems = true, TableStyle style = TableStyle::text);

struct PlotInput {
  std::string label;  // prefixes the curve titles when several files are plotted
  Results results;
};

// The gnuplot program: sorted-sample CDFs (log-x, ms) of the exit path and of the syscall, a curve
// per row and input, and, when an input has several callbacks values, exit-path p50 against
// callbacks per strategy (log-log). All panels go into one PNG.
// A path ending in .svg gets an SVG (a <g> per curve), any other a PNG.
bool is_svg_path(const std::string& path);
std::string plot_script(const std::vector<PlotInput>& inputs, const std::string& png);

// Runs gnuplot on plot_script(); returns why no PNG came out, if none did.
std::optional<std::string> write_plot(const std::vector<PlotInput>& inputs, const std::string& png);

}  // namespace rcu_unload
