#include "rcu_unload/knobs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

Result<std::string> KnobFiles::read(std::string_view path) const {
  auto text = read_text_file(where(path));
  if (!text) return error(fmt::format("cannot read RCU knob {}: {}", where(path), std::strerror(errno)));
  return std::string(trim(*text));
}

std::optional<std::string> KnobFiles::write(std::string_view path, const std::string& value) const {
  // sysfs reports a rejected value only when the write is flushed, so check after close().
  std::ofstream out(where(path), std::ios::in | std::ios::out);
  if (out) {
    out << value << '\n';
    out.close();
  }
  if (!out) return fmt::format("cannot write {} to RCU knob {}: {}", value, where(path), std::strerror(errno));
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

Result<KnobGuard> KnobGuard::apply(const KnobFiles& files, const std::vector<Knob>& knobs) {
  KnobGuard guard(files);
  for (const auto& knob : knobs) {
    auto old = files.read(knob.path);
    std::optional<std::string> problem = old ? files.write(knob.path, std::string(knob.value)) : old.error();
    if (problem) {
      for (const auto& p : guard.restore()) *problem += "; " + p;
      return error(*problem);
    }
    guard.saved_.push_back({std::string(knob.path), *old});
  }
  return guard;
}

KnobGuard::KnobGuard(KnobGuard&& other) noexcept : files_(std::move(other.files_)), saved_(std::move(other.saved_)) {
  other.saved_.clear();
}

KnobGuard::~KnobGuard() {
  for (const auto& p : restore()) std::fprintf(stderr, "rcu-unload: ERROR: %s\n", p.c_str());
}

std::vector<std::string> KnobGuard::restore() {
  std::vector<std::string> problems;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
    if (auto p = files_.write(it->path, it->value))
      problems.push_back(fmt::format("RCU knob {} NOT restored to {}: {}", files_.where(it->path), it->value, *p));
  saved_.clear();
  return problems;
}

}  // namespace rcu_unload
