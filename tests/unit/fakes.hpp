#pragma once
// A pretend kernel for driving the runner: it "loads" the module, logs the records the real module
// would print, and can be told to misbehave for one tag.
#include <fmt/format.h>

#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rcu_unload/kmsg_reader.hpp"
#include "rcu_unload/results.hpp"

namespace rcu_unload::test {

class FakeKernel final : public ModuleBackend, public RecordSource {
 public:
  std::vector<std::string> inserts;  // options of every insert call
  unsigned removes = 0;
  bool loaded = false;
  std::map<std::uint64_t, std::string> reject_insert;  // tag -> module's log line, insert gives -EINVAL
  std::map<std::uint64_t, unsigned> lose;              // tag -> callbacks that never run
  std::set<std::uint64_t> silent_exit;                 // tags whose exit record never appears
  std::function<void()> on_remove;

  int insert(const std::string& options) override {
    inserts.push_back(options);
    parse(options);
    if (auto it = reject_insert.find(tag_); it != reject_insert.end()) {
      log(it->second);
      return -EINVAL;
    }
    loaded = true;
    log(fmt::format("rcu_unload: init v=1 tag={} flavor=rcu strategy={} cpus=2 enqueued={} init_ns=1000", tag_,
                    strategy_, callbacks_));
    return 0;
  }

  int remove() override {
    ++removes;
    loaded = false;
    if (on_remove) on_remove();
    unsigned lost = lose.count(tag_) ? lose[tag_] : 0;
    if (lost) log(fmt::format("rcu_unload: error v=1 tag={} what=lost-callbacks lost={}", tag_, lost));
    if (!silent_exit.count(tag_))
      log(fmt::format("rcu_unload: exit v=1 tag={} flavor=rcu strategy={} picked={} rcu=tree preempt=full cpus=2 "
                      "enqueued={} invoked={} stop_ns=10 wait_ns={} total_ns={}",
                      tag_, strategy_, strategy_ == "auto" ? "barrier" : strategy_, callbacks_, callbacks_ - lost,
                      1000 * tag_, 1000 * tag_ + 500));
    return 0;
  }

  Result<Record> wait_for(std::string_view kind, std::uint64_t tag, std::chrono::milliseconds) override {
    Record found;
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
    std::sscanf(options.c_str(), "callbacks=%u tag=%lu", &callbacks_, &tag_);
    strategy_ = options.substr(options.find("strategy=") + 9);
  }

  unsigned callbacks_ = 0;
  unsigned long tag_ = 0;
  std::string strategy_;
  std::vector<std::string> log_;
  std::size_t cursor_ = 0;
  RecordFilter filter_;
};

inline Cycle good_cycle(unsigned i, const std::string& strategy, unsigned callbacks) {
  return Cycle{i, i + 1, strategy, strategy, 40'000'000 + i, 20'000'000 + i, 19'000'000 + i, callbacks, callbacks};
}

// A clean run of `cycles` cycles interleaving `strategies`.
inline Results good_results(unsigned cycles, std::vector<std::string> strategies, unsigned callbacks = 1000) {
  Results r;
  r.kernel = "6.1.0-test";
  r.cmdline = "console=ttyS0";
  r.cpus = 2;
  r.taint_before = r.taint = 12288;
  r.callbacks = callbacks;
  r.strategies = std::move(strategies);
  for (unsigned i = 0; i < cycles; ++i) r.cycles.push_back(good_cycle(i, r.strategies[i % r.strategies.size()], callbacks));
  return r;
}

}  // namespace rcu_unload::test
