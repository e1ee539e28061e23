#include "rcu_unload/report.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>

namespace rcu_unload {

namespace {

constexpr double kNsPerMs = 1e6;

std::string metric_title(Metric m) {
  return m == Metric::syscall_ns ? "rmmod syscall (delete_module, user space clock)"
                                 : "module exit path (record total_ns)";
}

void append_table(std::string& out, const Results& r, Metric m) {
  auto names = strategies_present(r);
  if (names.empty()) return;
  const auto reference = metric_sample(r, names.front(), m);
  out += fmt::format("{} [ms]\n", metric_title(m));
  out += fmt::format("{:<12} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n", "strategy", "n", "p50", "p90", "p99",
                     "min", "max", fmt::format("p50 / {} [95% CI]", names.front()));
  for (const auto& name : names) {
    auto sample = metric_sample(r, name, m);
    auto s = summarize(sample);
    if (s.n == 0) {
      out += fmt::format("{:<12} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10}  -\n", name, 0, "-", "-", "-", "-", "-");
      continue;
    }
    std::string ratio = "-";
    if (name == names.front())
      ratio = "reference";
    else if (auto ci = ratio_ci(sample, reference)) ratio = fmt::format("{:.3f} [{:.3f}, {:.3f}]", ci->ratio, ci->low, ci->high);
    out += fmt::format("{:<12} {:>5} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f}  {}\n", name, s.n,
                       s.p50 / kNsPerMs, s.p90 / kNsPerMs, s.p99 / kNsPerMs, s.min / kNsPerMs, s.max / kNsPerMs, ratio);
  }
}

// Gnuplot strings in single quotes only need the quote itself doubled.
std::string gnuplot_string(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

}  // namespace

std::string format_report(const Results& r, bool with_problems) {
  std::string out = fmt::format("kernel {}, {} cpus, {} callbacks, {} cycles{}\n", r.kernel.empty() ? "?" : r.kernel,
                                r.cpus, r.callbacks, r.cycles.size(), r.interrupted ? " (interrupted)" : "");
  for (auto m : {Metric::syscall_ns, Metric::exit_ns}) {
    out += '\n';
    append_table(out, r, m);
  }
  if (!with_problems) return out;
  for (const auto& w : r.warnings) out += "\nwarning: " + w;
  for (const auto& e : r.errors) out += "\nerror: " + e;
  if (!r.warnings.empty() || !r.errors.empty()) out += '\n';
  return out;
}

std::string plot_script(const std::vector<PlotInput>& inputs, const std::string& png) {
  std::string data, plots[2];
  int block = 0;
  const Metric metrics[2] = {Metric::syscall_ns, Metric::exit_ns};
  for (const auto& in : inputs) {
    for (const auto& name : strategies_present(in.results)) {
      std::string title = in.label.empty() ? name : in.label + ": " + name;
      for (int k = 0; k < 2; ++k) {
        auto sample = metric_sample(in.results, name, metrics[k]);
        if (sample.empty()) continue;
        std::sort(sample.begin(), sample.end());
        data += fmt::format("$d{} << EOD\n", block);
        for (std::size_t i = 0; i < sample.size(); ++i)
          data += fmt::format("{:.6f} {:.6f}\n", sample[i] / kNsPerMs, static_cast<double>(i + 1) / static_cast<double>(sample.size()));
        data += "EOD\n";
        plots[k] += fmt::format("{}$d{} using 1:2 with steps linewidth 2 title {}", plots[k].empty() ? "" : ", \\\n  ",
                                block, gnuplot_string(title));
        ++block;
      }
    }
  }
  std::string script =
      "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
      "  set terminal pngcairo noenhanced size 1400,600\n"
      "} else {\n"
      "  set terminal png noenhanced size 1400,600\n"
      "}\n";
  script += "set output " + gnuplot_string(png) + "\n" + data;
  script +=
      "set multiplot layout 1,2 title 'rcu_unload: unload latency CDF'\n"
      "set logscale x\nset grid\nset key bottom right\nset yrange [0:1]\n"
      "set xlabel 'latency [ms] (log)'\nset ylabel 'fraction of cycles'\n";
  for (int k = 0; k < 2; ++k) {
    script += "set title " + gnuplot_string(metric_title(metrics[k])) + "\n";
    script += plots[k].empty() ? "plot 1/0 notitle\n" : "plot " + plots[k] + "\n";
  }
  return script + "unset multiplot\nset output\n";
}

std::optional<std::string> write_plot(const std::vector<PlotInput>& inputs, const std::string& png) {
  std::error_code ec;
  std::filesystem::remove(png, ec);
  FILE* pipe = popen("gnuplot", "w");
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
