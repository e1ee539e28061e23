#include "rcu_unload/knobs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "rcu_unload/lifecycle.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

Result<std::string> KnobFiles::read(std::string_view path) const {
  auto text = read_text_file(where(path));
  if (!text) return error(fmt::format("cannot read {} {}: {}", kind_, where(path), std::strerror(errno)));
  const std::string_view value = trim(*text);
  const auto open = value.find('['), close = value.find(']');
  if (open != std::string_view::npos && close != std::string_view::npos && open < close)
    return std::string(value.substr(open + 1, close - open - 1));
  return std::string(value);
}

std::optional<std::string> KnobFiles::write(std::string_view path, const std::string& value) const {
  // sysfs reports a rejected value only when the write is flushed, so check after close().
  std::ofstream out(where(path), std::ios::in | std::ios::out);
  if (out) {
    out << value << '\n';
    out.close();
  }
  if (!out) return fmt::format("cannot write {} to {} {}: {}", value, kind_, where(path), std::strerror(errno));
  return std::nullopt;
}

std::vector<Knob> unload_knobs(KnobSet set) {
  std::vector<Knob> knobs;
  for (const auto& knob : kUnloadKnobs)
    if (set & (1U << knob.group)) knobs.push_back(knob);
  return knobs;
}

Result<std::vector<Knob>> present_knobs(const KnobFiles& files, KnobSet set) {
  std::vector<Knob> present;
  std::vector<std::string> missing;
  for (const auto& knob : unload_knobs(set)) {
    if (auto value = files.read(knob.path)) {
      present.push_back(knob);
    } else if (!knob.optional) {
      return error(value.error());
    } else {
      missing.push_back(files.where(knob.path));
    }
  }
  if (present.empty() && set) return error(fmt::format("this kernel has no {}", fmt::join(missing, ", ")));
  return present;
}


std::optional<Result<std::string>> recover_knobs(const KnobFiles& files) {
  if (files.state_file().empty()) return std::nullopt;
  auto text = read_text_file(files.state_file());
  if (!text) return std::nullopt;
  std::vector<std::string> lines, restored, problems;
  for (std::size_t from = 0; from < text->size();) {
    const auto end = std::min(text->find('\n', from), text->size());
    lines.push_back(text->substr(from, end - from));
    from = end + 1;
  }
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    const auto tab = line->find('\t');
    if (tab == std::string::npos) continue;
    const std::string path = line->substr(0, tab), value = line->substr(tab + 1);
    if (auto p = files.write(path, value)) {
      problems.push_back(*p);
    } else {
      restored.push_back(fmt::format("{}={}", files.where(path), value));
    }
  }
  if (!problems.empty())
    return Result<std::string>(error(fmt::format("the {}s a previous run left changed (state file {}) could not "
                                                 "all be restored: {}",
                                                 files.kind(), files.state_file(), fmt::join(problems, "; "))));
  std::filesystem::remove(files.state_file());
  return Result<std::string>(fmt::format("a previous run died with {}s changed; restored from {}: {}", files.kind(),
                                         files.state_file(), fmt::join(restored, ", ")));
}

Result<KnobGuard> KnobGuard::apply(const KnobFiles& files, const std::vector<Knob>& knobs) {
  KnobGuard guard(files);
  // Every old value first, saved before anything is written.
  std::vector<std::string> old;
  for (const auto& knob : knobs) {
    auto value = files.read(knob.path);
    if (!value) return error(value.error());
    old.push_back(*value);
  }
  guard.first_slot_ = emergency_claim(static_cast<int>(knobs.size()));
  guard.slots_ = static_cast<int>(knobs.size());
  if (guard.first_slot_ < 0)
    return error(fmt::format("no room for {} more {}s in the fault handler's list: refusing to change them",
                             knobs.size(), files.kind()));
  if (!files.state_file().empty()) {
    std::error_code ec;
    if (std::filesystem::exists(files.state_file(), ec))
      return error(fmt::format("the knobs' state file {} of an earlier run is still there: its values are the "
                               "originals, so nothing is changed before they are restored",
                               files.state_file()));
    std::string text;
    for (std::size_t i = 0; i < knobs.size(); ++i) text += fmt::format("{}\t{}\n", knobs[i].path, old[i]);
    if (auto problem = write_durably(files.state_file(), text)) return error(*problem);
  }
  for (std::size_t i = 0; i < knobs.size(); ++i) {
    const auto& knob = knobs[i];
    emergency_set(guard.first_slot_ + static_cast<int>(i), files.where(knob.path), old[i]);
    guard.saved_.push_back({std::string(knob.path), old[i]});
    if (auto problem = files.write(knob.path, std::string(knob.value))) {
      for (const auto& p : guard.restore()) *problem += "; " + p;
      return error(*problem);
    }
  }
  return guard;
}

KnobGuard::KnobGuard(KnobGuard&& other) noexcept
    : files_(std::move(other.files_)),
      saved_(std::move(other.saved_)),
      first_slot_(other.first_slot_),
      slots_(other.slots_) {
  other.saved_.clear();
  other.first_slot_ = -1;
}

KnobGuard::~KnobGuard() {
  for (const auto& p : restore()) std::fprintf(stderr, "rcu-unload: ERROR: %s\n", p.c_str());
}

std::vector<std::string> KnobGuard::restore() {
  std::vector<std::string> problems;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
    if (auto p = files_.write(it->path, it->value))
      problems.push_back(
          fmt::format("{} {} NOT restored to {}: {}", files_.kind(), files_.where(it->path), it->value, *p));
  const bool had = !saved_.empty();
  if (first_slot_ >= 0) emergency_release(first_slot_, slots_);
  first_slot_ = -1;
  saved_.clear();
  if (had && problems.empty() && !files_.state_file().empty()) std::filesystem::remove(files_.state_file());
  return problems;
}

}  // namespace rcu_unload
