#include "rcu_unload/expediter.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "rcu_unload/lifecycle.hpp"
#include "rcu_unload/module_loader.hpp"
#include "rcu_unload/text.hpp"

namespace rcu_unload {

Result<ExpediterStats> parse_expediter_stats(std::string_view line) {
  ExpediterStats stats;
  std::string missing;
  auto find = [&](std::string_view key, std::uint64_t& value) {
    const std::string word = std::string(key) + "=";
    for (std::size_t at = line.find(word); at != std::string_view::npos; at = line.find(word, at + 1)) {
      if (at != 0 && line[at - 1] != ' ') continue;
      auto rest = line.substr(at + word.size());
      auto n = parse_u64(rest.substr(0, std::min(rest.find_first_of(" \n"), rest.size())));
      if (!n) break;
      value = *n;
      return;
    }
    missing += (missing.empty() ? "" : ", ") + std::string(key);
  };
#define RU_HARNESS_EXPEDITER_FIND(key, type, help) find(#key, stats.key);
  RU_EXPEDITER_STATS(RU_HARNESS_EXPEDITER_FIND)
#undef RU_HARNESS_EXPEDITER_FIND
  if (!missing.empty()) return error(fmt::format("the expediter's stats '{}' lack {}", trim(line), missing));
  return stats;
}

ExpediterStats operator-(const ExpediterStats& after, const ExpediterStats& before) {
  ExpediterStats d;
#define RU_HARNESS_EXPEDITER_SUB(key, type, help) d.key = after.key >= before.key ? after.key - before.key : 0;
  RU_EXPEDITER_STATS(RU_HARNESS_EXPEDITER_SUB)
#undef RU_HARNESS_EXPEDITER_SUB
  return d;
}

std::vector<std::pair<std::string, std::uint64_t>> cycle_fields(const ExpediterStats& d) {
  return {{"expedite_rounds", d.rounds},
          {"expedite_kicks", d.kicks},
          {"expedite_ipis", d.ipis},
          {"expedite_busy_ns", d.busy_ns},
          {"expedite_on_ns", d.on_ns},
          {"expedite_timed_out", d.timed_out}};
}

SysfsExpediter::SysfsExpediter(std::string root)
    : dir_(std::move(root) + "/sys/module/" + std::string(kExpediterModule) + "/parameters") {}

std::string SysfsExpediter::active_path() const { return dir_ + "/active"; }

std::optional<std::string> SysfsExpediter::set_active(bool on) {
  std::ofstream out(active_path(), std::ios::in | std::ios::out);
  if (out) {
    out << (on ? "1" : "0") << '\n';
    out.close();
  }
  if (!out)
    return fmt::format("cannot switch the expediter {} ({}): {}", on ? "on" : "off", active_path(), std::strerror(errno));
  return std::nullopt;
}

Result<ExpediterStats> SysfsExpediter::stats() {
  auto text = read_text_file(dir_ + "/stats");
  if (!text) return error(fmt::format("cannot read {}/stats: {}", dir_, std::strerror(errno)));
  return parse_expediter_stats(*text);
}

std::string default_expediter_path(const std::string& module_path) {
  const std::string file = std::string(kExpediterModule) + ".ko";
  const auto beside = std::filesystem::path(module_path).parent_path() / file;
  std::error_code ec;
  if (module_path.find('/') != std::string::npos && std::filesystem::is_regular_file(beside, ec)) return beside.string();
  return "/" + file;
}

Result<std::unique_ptr<ResidentExpediter>> ResidentExpediter::load(const std::string& path,
                                                                   std::vector<std::string>& notes) {
  std::unique_ptr<ResidentExpediter> e(new ResidentExpediter());
  const std::string name(kExpediterModule);
  if (!read_module_state(name).initstate.empty()) {
    // Only a harness loads it, and the run lock says no other is running: a killed one left it.
    e->control_.set_active(false);
    const int rc = delete_module_by_name(name);
    notes.push_back(fmt::format("the expediter was still loaded (a harness killed earlier?); switched off and {}",
                                rc == 0 ? "unloaded" : "unloading it failed: " + std::string(std::strerror(-rc))));
    if (rc < 0) return error(notes.back());
  }
  auto loader = ModuleLoader::open(path);
  if (!loader) return error(fmt::format("the expediter {}: {}", path, loader.error()));
  if ((*loader)->name() != name)
    return error(fmt::format("{} is module {}, not the expediter {}", path, (*loader)->name(), name));
  note_module_loading(name, "");
  if (int rc = (*loader)->insert(""); rc < 0) {
    note_module_gone(name);
    return error(fmt::format("loading the expediter {}: {}", path, (*loader)->explain_insert_failure(rc, {})));
  }
  e->loaded_ = true;
  emergency_set(kExpediterSlot, e->control_.active_path(), "0");
  emergency_delete_module(name);
  return e;
}

std::optional<std::string> ResidentExpediter::unload() {
  if (!loaded_) return std::nullopt;
  loaded_ = false;
  auto off = control_.set_active(false);
  emergency_clear(kExpediterSlot);
  emergency_delete_module("");
  const int rc = delete_module_by_name(std::string(kExpediterModule));
  if (rc == 0) note_module_gone(std::string(kExpediterModule));
  if (rc < 0)
    return fmt::format("{}unloading the expediter failed: {}", off ? *off + "; " : "",
                       explain_remove_failure(std::string(kExpediterModule), rc,
                                              read_module_state(std::string(kExpediterModule))));
  return off;
}

ResidentExpediter::~ResidentExpediter() {
  if (auto problem = unload()) std::fprintf(stderr, "rcu-unload: ERROR: %s\n", problem->c_str());
}

}  // namespace rcu_unload
