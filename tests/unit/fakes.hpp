#pragma once
// A pretend kernel for driving the runner: it "loads" the module, logs the records the real module
// would print, and can be told to misbehave for one tag.
#include <fmt/format.h>

#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <sstream>
#include <string>
#include <vector>

#include "rcu_unload/kmsg_reader.hpp"
#include "rcu_unload/contract.hpp"
#include "rcu_unload/knobs.hpp"
#include "rcu_unload/results.hpp"
#include "rcu_unload/strategy_spec.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload::test {

class FakeKernel final : public ModuleBackend, public RecordSource {
 public:
  std::vector<std::string> inserts;  // options of every insert call
  unsigned removes = 0;
  bool loaded = false;
  std::map<std::uint64_t, std::string> reject_insert;  // tag -> module's log line, insert gives -EINVAL
  std::map<std::uint64_t, unsigned> lose;              // tag -> callbacks that never run
  std::set<std::uint64_t> silent_exit;                 // tags whose exit record never appears
  // The init record's applies=, as a tree-RCU kernel with flavor=rcu says it; a strategy not in it
  // is refused, as the module does. Empty: an older module, whose init record has no applies=.
  std::string applies = "auto,barrier,sync-exp,force-qs,force-qs-own,boost,kick,unsafe-none";
  std::map<std::uint64_t, int> remove_error;           // tag -> -errno of remove(), module stays loaded
  std::function<void()> on_remove;
  bool kernel_ignores_unknown = false;  // as the real kernel: log "unknown parameter ... ignored", load

  // Like the module: an unknown parameter or a bad value is -EINVAL after an "invalid" line.
  int insert(const std::string& options) override {
    inserts.push_back(options);
    parse(options);
    if (auto it = reject_insert.find(tag_); it != reject_insert.end()) {
      log(it->second);
      return -EINVAL;
    }
    for (const auto& [key, value] : params_) {
      // The kernel itself ignores a parameter the module does not have, with a line, and loads it.
      if (kernel_ignores_unknown && !known_param(key)) {
        log(fmt::format("rcu_unload: unknown parameter '{}' ignored", key));
        continue;
      }
      if (!known_param(key) || (key == "readers" && !parse_u64(value))) {
        log(fmt::format("rcu_unload: invalid {}={}: not a known parameter or value", key, value));
        return -EINVAL;
      }
    }
    // auto always loads: it picks among what applies.
    if (!applies.empty() && strategy_ != kAutoStrategy &&
        ("," + applies + ",").find("," + strategy_ + ",") == std::string::npos) {
      log(fmt::format("rcu_unload: invalid strategy={}: does not apply to flavor {} on this kernel", strategy_,
                      flavor()));
      return -EINVAL;
    }
    loaded = true;
    const bool measure = param("measure_limit") == "1";
    log(fmt::format("rcu_unload: init v=1 tag={} flavor={} strategy={} cpus=2 enqueued={} init_ns=1000 exp_gp_ns={} "
                    "cb_cost_ns={}{}",
                    tag_, flavor(), strategy_, callbacks_, measure ? 2'000'000 + tag_ : 0, measure ? 100 : 0,
                    applies.empty() ? "" : " applies=" + applies + " kick=1"));
    return 0;
  }

  int remove() override {
    ++removes;
    if (on_remove) on_remove();
    if (auto it = remove_error.find(tag_); it != remove_error.end()) return it->second;
    loaded = false;
    unsigned lost = lose.count(tag_) ? lose[tag_] : 0;
    if (lost) log(fmt::format("rcu_unload: error v=1 tag={} what=lost-callbacks lost={}", tag_, lost));
    if (!silent_exit.count(tag_))
      log(fmt::format("rcu_unload: exit v=1 tag={} flavor={} strategy={} picked={} rcu=tree preempt=full cpus=2 "
                      "readers={} churn={} enqueued={} invoked={} rounds=3 kicks=2 stop_ns=10 gp_ns={} wait_ns={} total_ns={} "
                      "peak_pending={} peak_bytes={} future_key=x",
                      tag_, flavor(), strategy_, strategy_ == "auto" ? "barrier" : strategy_, param("readers", "0"),
                      param("churn", "0"), callbacks_, callbacks_ - lost, 900 * tag_, 1000 * tag_, 1000 * tag_ + 500,
                      callbacks_, 32 * callbacks_));
    return 0;
  }

  Result<Record> wait_for(std::string_view kind, std::uint64_t tag, std::chrono::milliseconds) override {
    Record found;
    if (filter_.take_held(kind, tag, found)) return found;
    while (cursor_ < log_.size())
      if (filter_.consume(log_[cursor_++], kind, tag, found)) return found;
    return error(fmt::format("no {} record of tag {} (fake timeout)", kind, tag));
  }

  std::vector<std::string> take_diagnostics() override {
    Record ignored;
    while (cursor_ < log_.size()) filter_.consume(log_[cursor_++], {}, 0, ignored);
    return filter_.take_diagnostics();
  }

 private:
  void log(const std::string& message) { log_.push_back(fmt::format("3,{},{},-;{}\n", log_.size(), 1000 * log_.size(), message)); }

  void parse(const std::string& options) {
    params_.clear();
    std::istringstream words(options);
    for (std::string word; words >> word;) {
      auto equals = word.find('=');
      params_.emplace_back(word.substr(0, equals), word.substr(equals + 1));
    }
    callbacks_ = static_cast<unsigned>(parse_u64(param("callbacks")).value_or(0));
    tag_ = parse_u64(param("tag")).value_or(0);
    strategy_ = param("strategy");
  }

  std::string param(const std::string& key, const std::string& fallback = {}) const {
    for (const auto& [k, v] : params_)
      if (k == key) return v;
    return fallback;
  }

  static bool known_param(const std::string& key) {
    if (key == "strategy" || key == "flavor") return true;
    for (const auto& p : kModuleParams)
      if (key == p.name) return true;
    return false;
  }

  std::string flavor() const { return param("flavor", "rcu"); }

  unsigned callbacks_ = 0;
  std::uint64_t tag_ = 0;
  std::string strategy_;
  std::vector<std::pair<std::string, std::string>> params_;
  std::vector<std::string> log_;
  std::size_t cursor_ = 0;
  RecordFilter filter_;
};

// Specs as the command line parses them; each text must be a valid spec.
inline std::vector<StrategySpec> specs(std::initializer_list<std::string_view> texts) {
  std::vector<StrategySpec> parsed;
  for (auto text : texts) parsed.push_back(parse_strategy_spec(text).value());
  return parsed;
}

inline Cycle good_cycle(unsigned i, const std::string& strategy, unsigned callbacks) {
  Cycle c;
  c.cycle = i;
  c.tag = i + 1;
  c.strategy = strategy;
  c.exit.strategy = c.exit.picked = parse_strategy_spec(strategy).value_or(StrategySpec{strategy}).name;
  c.syscall_ns = 40'000'000 + i;
  c.exit.total_ns = 20'000'000 + i;
  c.exit.wait_ns = 19'000'000 + i;
  c.callbacks = callbacks;
  c.exit.enqueued = c.exit.invoked = c.init.enqueued = callbacks;
  return c;
}

// A clean run of `cycles` cycles interleaving `strategies` x `callbacks` as run does.
inline Results good_results(unsigned cycles, std::vector<std::string> strategies,
                            std::vector<unsigned> callbacks = {1000}) {
  Results r;
  r.kernel = "6.1.0-test";
  r.cmdline = "console=ttyS0";
  r.cpus = 2;
  r.taint_before = r.taint = 12288;
  r.callbacks = std::move(callbacks);
  r.strategies = std::move(strategies);
  for (unsigned i = 0; i < cycles; ++i) {
    auto combo = cycle_combination(i, r.strategies.size(), r.callbacks.size());
    r.cycles.push_back(good_cycle(i, r.strategies[combo.strategy], r.callbacks[combo.callbacks]));
  }
  return r;
}

// A fresh directory below /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "rcu_unload_test") {
    std::string pattern = "/tmp/" + prefix + "_XXXXXX";
    root = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(root); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path(const std::string& name) const { return root + "/" + name; }

  std::string root;
};

// A fake sysfs for the RCU knobs below a fresh temp dir: every knob of kUnloadKnobs with `value`.
class FakeSysfs {
 public:
  explicit FakeSysfs(const std::string& value = "7") : dir_("rcu_unload_knobs") {
    for (const auto& k : kUnloadKnobs) set(k.path, value);
  }

  std::string path(std::string_view knob) const { return dir_.root + std::string(knob); }
  void set(std::string_view knob, const std::string& value) const {
    std::filesystem::create_directories(std::filesystem::path(path(knob)).parent_path());
    std::ofstream(path(knob)) << value << "\n";
  }
  std::string get(std::string_view knob) const { return std::string(trim(read_text_file(path(knob)).value_or("<missing>"))); }
  std::vector<std::string> all() const {
    std::vector<std::string> values;
    for (const auto& k : kUnloadKnobs) values.push_back(get(k.path));
    return values;
  }
  // Replaces a knob file by a directory, so that writing it fails (also as root).
  void break_writes(std::string_view knob) const {
    std::filesystem::remove(path(knob));
    std::filesystem::create_directory(path(knob));
  }

  KnobFiles files() const { return KnobFiles(dir_.root); }

 private:
  TempDir dir_;
};

}  // namespace rcu_unload::test
