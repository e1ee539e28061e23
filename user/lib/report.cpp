#include "rcu_unload/report.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "rcu_unload/statistics.hpp"

namespace rcu_unload {

namespace {

constexpr double kNsPerMs = 1e6;

std::string metric_title(Metric m) {
  switch (m) {
    case Metric::syscall_ns: return "rmmod syscall (delete_module, user space clock)";
    case Metric::total_ns: return "module exit path (record total_ns)";
    case Metric::wait_ns: return "strategy wait (record wait_ns)";
  }
  return "?";
}

std::string ratio_cell(const Results& r, const Row& row, Metric m, const std::vector<double>& sample) {
  const Row reference{reference_strategy(r), row.callbacks};
  if (row.strategy == reference.strategy) return "reference";
  if (auto ci = ratio_ci(sample, metric_sample(r, reference, m)))
    return fmt::format("{:.3f} [{:.3f}, {:.3f}]", ci->ratio, ci->low, ci->high);
  return "-";
}

void append_table(std::string& out, const Results& r, Metric m, TableStyle style) {
  const auto rows = rows_present(r);
  if (rows.empty()) return;
  const bool with_limit = m == Metric::total_ns;
  const auto values = callbacks_present(r);
  // Small samples honestly: p90 below n = 10 and p99 below n = 100 would only be the max again.
  Table t{{"strategy", "n", "min", "p50", "p90", "p99", "max", "sigma",
           fmt::format("p50 / {} [95% CI]", reference_strategy(r))}};
  if (with_limit) t[0].insert(t[0].end(), {"limit", "p50 / limit"});
  for (const auto& row : rows) {
    auto sample = metric_sample(r, row, m);
    auto s = summarize(sample);
    std::vector<std::string> line{row.label(), std::to_string(s.n)};
    if (s.n == 0) {
      line.resize(t[0].size(), "-");
    } else {
      line.insert(line.end(), {format_ms(s.min), format_ms(s.p50), s.n >= kMinSamplesP90 ? format_ms(s.p90) : "-",
                               s.n >= kMinSamplesP99 ? format_ms(s.p99) : "-", format_ms(s.max),
                               s.n > 1 ? format_ms(s.stddev) : "-", ratio_cell(r, row, m, sample)});
      if (with_limit) {
        // Without several callbacks values every row ran at the run's only one.
        auto limit = limit_ns(r, row.callbacks.value_or(values.empty() ? 0u : values.front()));
        line.push_back(limit ? format_ms(*limit) : "-");
        line.push_back(limit && *limit > 0 ? fmt::format("{:.2f}", s.p50 / *limit) : "-");
      }
    }
    t.push_back(std::move(line));
  }
  out += style == TableStyle::markdown ? fmt::format("**{}** [ms]\n\n", metric_title(m)) : metric_title(m) + " [ms]\n";
  out += render_table(t, style);
}

// The harness's own measurements of the cycles (Cycle::measured: the load, the unload's
// phases, the expediter's counters), p50 per row, in the order first seen.
void append_measured_table(std::string& out, const Results& r, TableStyle style) {
  std::vector<std::string> keys;
  for (const auto& c : r.cycles)
    for (const auto& [key, value] : c.measured)
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  if (keys.empty()) return;
  Table t{{"strategy", "n"}};
  for (const auto& key : keys) t[0].push_back(key);
  for (const auto& row : rows_present(r)) {
    std::vector<std::string> line{row.label()};
    std::vector<std::vector<double>> samples(keys.size());
    for (const auto& c : r.cycles) {
      if (!row.has(c)) continue;
      for (const auto& [key, value] : c.measured)
        samples[std::find(keys.begin(), keys.end(), key) - keys.begin()].push_back(static_cast<double>(value));
    }
    line.push_back(std::to_string(samples.front().size()));
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const auto s = summarize(samples[k]);
      // Times in ms like the other tables; counters as counts.
      const bool time = keys[k].size() > 3 && keys[k].compare(keys[k].size() - 3, 3, "_ns") == 0;
      line.push_back(s.n == 0 ? "-" : time ? format_ms(s.p50) : fmt::format("{:.0f}", s.p50));
    }
    t.push_back(std::move(line));
  }
  const std::string title = "measured by the harness, p50 (times in ms)";
  out += style == TableStyle::markdown ? fmt::format("**{}**\n\n", title) : title + "\n";
  out += render_table(t, style);
}

// Gnuplot strings in single quotes only need the quote itself doubled.
std::string gnuplot_string(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

std::string join_plots(const std::string& list, const std::string& item) {
  return list + (list.empty() ? "" : ", \\\n  ") + item;
}

}  // namespace

std::string render_table(const Table& t, TableStyle style) {
  std::string out;
  if (style == TableStyle::markdown) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      out += "| " + fmt::format("{}", fmt::join(t[i], " | ")) + " |\n";
      if (i == 0) {
        out += "| ---";
        for (std::size_t k = 1; k < t[0].size(); ++k) out += " | ---:";
        out += " |\n";
      }
    }
    return out;
  }
  std::vector<std::size_t> width(t.front().size(), 0);
  for (const auto& line : t)
    for (std::size_t k = 0; k < line.size(); ++k) width[k] = std::max(width[k], line[k].size());
  for (const auto& line : t) {
    std::string text;
    for (std::size_t k = 0; k < line.size(); ++k)
      text += k == 0 ? fmt::format("{:<{}}", line[k], width[k]) : fmt::format("  {:>{}}", line[k], width[k]);
    out += text + "\n";
  }
  return out;
}

std::string format_ms(double ns) { return fmt::format("{:.3f}", ns / kNsPerMs); }

std::string reference_strategy(const Results& r) {
  auto names = strategies_present(r);
  if (names.empty() || std::find(names.begin(), names.end(), kBaselineStrategy) != names.end())
    return std::string(kBaselineStrategy);
  return names.front();
}

std::optional<double> limit_ns(const Results& r, unsigned callbacks) {
  std::vector<double> gp, cost;
  for (const auto& c : r.cycles) {
    if (c.callbacks != callbacks) continue;
    if (c.init.exp_gp_ns) gp.push_back(static_cast<double>(c.init.exp_gp_ns));
    if (c.init.cb_cost_ns) cost.push_back(static_cast<double>(c.init.cb_cost_ns));
  }
  if (gp.empty() || (cost.empty() && callbacks != 0)) return std::nullopt;
  return summarize(gp).p50 + (cost.empty() ? 0.0 : static_cast<double>(callbacks) * summarize(cost).p50);
}

std::string format_callback_memory(const Results& r) {
  std::vector<std::string> parts;
  for (auto cb : callbacks_present(r)) {
    const Cycle* peak = nullptr;
    for (const auto& c : r.cycles)
      if (c.callbacks == cb && c.exit.peak_bytes && (!peak || c.exit.peak_bytes > peak->exit.peak_bytes)) peak = &c;
    if (peak)
      parts.push_back(fmt::format("callbacks={}: {} pending, {:.1f} KiB", cb, peak->exit.peak_pending,
                                  static_cast<double>(peak->exit.peak_bytes) / 1024.0));
  }
  if (parts.empty()) return "";
  return fmt::format("\npeak callback memory per load (max over cycles): {}\n", fmt::join(parts, "; "));
}

std::string format_report(const Results& r, bool with_problems, TableStyle style) {
  std::string out = fmt::format("kernel {}, {} cpus, callbacks {}, {} cycles{}{}\n", r.kernel.empty() ? "?" : r.kernel,
                                r.cpus, fmt::join(callbacks_present(r), "/"), r.cycles.size(),
                                r.params.empty() ? "" : fmt::format(", params {}", fmt::join(r.params, " ")),
                                r.interrupted ? " (interrupted)" : "");
  // What tells two runs on one kernel apart: the RCU flavour and preempt model the module saw, the
  // command line.
  std::vector<std::string> rcu, preempt;
  for (const auto& c : r.cycles) {
    if (!c.exit.rcu.empty() && std::find(rcu.begin(), rcu.end(), c.exit.rcu) == rcu.end()) rcu.push_back(c.exit.rcu);
    if (!c.exit.preempt.empty() && std::find(preempt.begin(), preempt.end(), c.exit.preempt) == preempt.end())
      preempt.push_back(c.exit.preempt);
  }
  if (!rcu.empty() || !preempt.empty() || !r.cmdline.empty())
    out += fmt::format("rcu {}, preempt {}, cmdline: {}\n", rcu.empty() ? "?" : fmt::format("{}", fmt::join(rcu, "/")),
                       preempt.empty() ? "?" : fmt::format("{}", fmt::join(preempt, "/")),
                       r.cmdline.empty() ? "?" : r.cmdline);
  if (r.cycles.empty()) out += "\nno cycles recorded\n";
  // Only rcu_unload prints exit records: a foreign module's cycles have no exit path to show.
  const bool any_exit_record =
      std::any_of(r.cycles.begin(), r.cycles.end(), [](const Cycle& c) { return !is_plain_cycle(c); });
  for (auto m : {Metric::syscall_ns, Metric::total_ns}) {
    if (r.cycles.empty() || (m == Metric::total_ns && !any_exit_record)) break;
    out += '\n';
    append_table(out, r, m, style);
  }
  if (!r.cycles.empty()) {
    std::string measured;
    append_measured_table(measured, r, style);
    if (!measured.empty()) out += '\n' + measured;
  }
  out += format_callback_memory(r);
  if (!with_problems) return out;
  for (const auto& w : r.warnings) out += "\nwarning: " + w;
  for (const auto& e : r.errors) out += "\nerror: " + e;
  if (!r.warnings.empty() || !r.errors.empty()) out += '\n';
  return out;
}

namespace {
// With several callbacks values a CDF panel would carry a curve per strategy and value (24 in
// the benchmark), so it shows the value nearest 1000, the benchmark's headline; the scaling
// panel carries the others.
std::optional<unsigned> cdf_callbacks(const Results& r) {
  const auto values = callbacks_present(r);
  if (values.size() < 2) return std::nullopt;
  auto distance = [](unsigned cb) { return std::abs(std::log10(cb + 1.0) - 3.0); };
  return *std::min_element(values.begin(), values.end(),
                           [&](unsigned a, unsigned b) { return distance(a) < distance(b); });
}
}  // namespace

bool is_svg_path(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".svg") == 0;
}

std::string plot_script(const std::vector<PlotInput>& inputs, const std::string& png) {
  std::string data, cdf[2], scaling;
  int block = 0;
  const Metric metrics[2] = {Metric::total_ns, Metric::syscall_ns};
  for (const auto& in : inputs) {
    auto prefix = [&](const std::string& name) { return in.label.empty() ? name : in.label + ": " + name; };
    const auto shown = cdf_callbacks(in.results);
    for (const auto& row : rows_present(in.results)) {
      if (shown && row.callbacks && *row.callbacks != *shown) continue;
      for (int k = 0; k < 2; ++k) {
        auto sample = metric_sample(in.results, row, metrics[k]);
        if (sample.empty()) continue;
        std::sort(sample.begin(), sample.end());
        data += fmt::format("$d{} << EOD\n", block);
        for (std::size_t i = 0; i < sample.size(); ++i)
          data += fmt::format("{:.6f} {:.6f}\n", sample[i] / kNsPerMs, static_cast<double>(i + 1) / static_cast<double>(sample.size()));
        data += "EOD\n";
        cdf[k] = join_plots(cdf[k], fmt::format("$d{} using 1:2 with steps linewidth 2 title {}", block,
                                                gnuplot_string(prefix(row.label()))));
        ++block;
      }
    }
    const auto values = callbacks_present(in.results);
    if (values.size() < 2) continue;
    for (const auto& name : strategies_present(in.results)) {
      std::string points;
      for (auto cb : values) {
        auto sample = metric_sample(in.results, Row{name, cb}, Metric::total_ns);
        if (cb > 0 && !sample.empty()) points += fmt::format("{} {:.6f}\n", cb, summarize(sample).p50 / kNsPerMs);
      }
      if (points.empty()) continue;
      data += fmt::format("$p{} << EOD\n{}EOD\n", block, points);
      scaling = join_plots(scaling, fmt::format("$p{} using 1:2 with linespoints linewidth 2 pointtype 7 title {}",
                                                block, gnuplot_string(prefix(name))));
      ++block;
    }
  }
  const int panels = scaling.empty() ? 2 : 3;
  std::string script = is_svg_path(png) ? fmt::format("set terminal svg noenhanced size {},600\n", 700 * panels)
                                        : fmt::format(
                                              "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {{\n"
                                              "  set terminal pngcairo noenhanced size {0},600\n"
                                              "}} else {{\n"
                                              "  set terminal png noenhanced size {0},600\n"
                                              "}}\n",
                                              700 * panels);
  script += "set output " + gnuplot_string(png) + "\n" + data;
  script += fmt::format(
      "set multiplot layout 1,{} title 'rcu_unload: unload latency'\n"
      "set logscale x\nset grid\nset key bottom right\nset yrange [0:1]\n"
      "set xlabel 'latency [ms] (log)'\nset ylabel 'fraction of cycles'\n",
      panels);
  for (int k = 0; k < 2; ++k) {
    script += "set title " + gnuplot_string(metric_title(metrics[k]) + " CDF") + "\n";
    script += cdf[k].empty() ? "plot 1/0 notitle\n" : "plot " + cdf[k] + "\n";
  }
  if (!scaling.empty())
    script += "set title 'module exit path p50 vs callbacks'\nset logscale xy\nset autoscale y\nset key top left\n"
              "set xlabel 'callbacks (log)'\nset ylabel 'exit path p50 [ms] (log)'\nplot " + scaling + "\n";
  return script + "unset multiplot\nset output\n";
}

std::optional<std::string> write_plot(const std::vector<PlotInput>& inputs, const std::string& png) {
  bool any = false;
  for (const auto& in : inputs) any = any || !in.results.cycles.empty();
  if (!any) return std::string("no cycles to plot");
  // The output is opened here first: gnuplot, when it cannot open it, writes the image to its
  // stdout instead and only says so on stderr.
  if (FILE* probe = std::fopen(png.c_str(), "wb")) {
    std::fclose(probe);
  } else {
    return fmt::format("cannot write the plot to {}: {}", png, std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::remove(png, ec);
  FILE* pipe = popen("gnuplot >/dev/null", "w");
  if (!pipe) return std::string("cannot start gnuplot");
  auto script = plot_script(inputs, png);
  // A gnuplot that is missing or died early must surface as an error, not kill us with SIGPIPE.
  auto previous = std::signal(SIGPIPE, SIG_IGN);
  bool written = std::fwrite(script.data(), 1, script.size(), pipe) == script.size();
  int status = pclose(pipe);
  std::signal(SIGPIPE, previous);
  if (!written || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fmt::format("gnuplot failed (exit status {}); is gnuplot installed?", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  if (!std::filesystem::exists(png, ec) || std::filesystem::file_size(png, ec) == 0)
    return fmt::format("gnuplot did not produce {}", png);
  return std::nullopt;
}

}  // namespace rcu_unload
