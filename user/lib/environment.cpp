#include "rcu_unload/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <ctime>

#include "rcu_unload/expediter.hpp"
#include "rcu_unload/knobs.hpp"
#include "rcu_unload/system_info.hpp"
#include "rcu_unload/text.hpp"

#ifndef RCU_UNLOAD_VERSION
#define RCU_UNLOAD_VERSION "unknown"
#endif

namespace rcu_unload {

const char* harness_version() { return RCU_UNLOAD_VERSION; }

namespace {

std::string first_line(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return {};
  return std::string(trim(std::string_view(*text).substr(0, text->find('\n'))));
}

// CONFIG_NAME's value in a kernel .config text ("n" when "# CONFIG_NAME is not set", "" if absent).
std::string config_value(const std::string& config, const std::string& name) {
  std::string found;
  for_each_line(config, [&](const std::string& line) {
    if (!found.empty()) return;
    if (line.rfind(name + "=", 0) == 0) found = line.substr(name.size() + 1);
    if (line == "# " + name + " is not set") found = "n";
  });
  return found;
}

std::string preempt_model(const std::string& config, const std::string& version, const std::string& dynamic) {
  // /sys/kernel/debug/sched/preempt marks the active model "(full)" among "none voluntary full".
  if (auto open = dynamic.find('('); open != std::string::npos) {
    auto close = dynamic.find(')', open);
    if (close != std::string::npos) return dynamic.substr(open + 1, close - open - 1) + " (dynamic)";
  }
  if (config_value(config, "CONFIG_PREEMPT_RT") == "y" || version.find("PREEMPT_RT") != std::string::npos) return "rt";
  if (config.empty() && version.find("PREEMPT_DYNAMIC") != std::string::npos)
    return "dynamic (preempt= on the command line, else the build's default; no config readable)";
  if (config_value(config, "CONFIG_PREEMPT_DYNAMIC") == "y" || version.find("PREEMPT_DYNAMIC") != std::string::npos)
    return "dynamic (see preempt= on the command line; the build default is " +
           std::string(config_value(config, "CONFIG_PREEMPT") == "y"             ? "full"
                       : config_value(config, "CONFIG_PREEMPT_VOLUNTARY") == "y" ? "voluntary"
                                                                                 : "none") +
           ")";
  if (config_value(config, "CONFIG_PREEMPT") == "y") return "full";
  if (config_value(config, "CONFIG_PREEMPT_VOLUNTARY") == "y") return "voluntary";
  if (config_value(config, "CONFIG_PREEMPT_NONE") == "y") return "none";
  return "unknown";
}

std::string rcu_type(const std::string& config) {
  if (config_value(config, "CONFIG_TINY_RCU") == "y") return "tiny";
  if (config_value(config, "CONFIG_PREEMPT_RCU") == "y") return "tree-preempt";
  if (config_value(config, "CONFIG_TREE_RCU") == "y") return "tree";
  return "unknown";
}

std::string cpu_model(const std::string& cpuinfo, bool& hypervisor) {
  std::string model;
  for_each_line(cpuinfo, [&](const std::string& line) {
    if (model.empty() && line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      model = std::string(trim(std::string_view(line).substr(line.find(':') + 1)));
    if (line.rfind("flags", 0) == 0 && line.find(" hypervisor") != std::string::npos) hypervisor = true;
  });
  return model;
}

// Beside the knobs +knobs sets (kUnloadKnobs), the RCU knobs that shape an unload.
constexpr const char* kOtherKnobPaths[] = {
    "/sys/kernel/rcu_normal",
    "/sys/module/rcutree/parameters/blimit",
    "/sys/module/rcutree/parameters/use_softirq",
    "/sys/module/rcutree/parameters/rcu_kick_kthreads",
    "/sys/module/rcupdate/parameters/rcu_expedited",
    "/sys/module/rcupdate/parameters/rcu_normal",
    "/sys/module/rcupdate/parameters/rcu_normal_after_boot",
};

}  // namespace

Facts read_environment(const std::string& root) {
  Facts f;
  auto add = [&](std::string key, std::string value) {
    if (!value.empty()) f.emplace_back(std::move(key), std::move(value));
  };
  add("harness_version", harness_version());
  std::string release = first_line(root + "/proc/sys/kernel/osrelease");
  std::string version = first_line(root + "/proc/sys/kernel/version");
  if (root.empty()) {
    utsname u{};
    if (uname(&u) == 0) {
      release = u.release;
      version = u.version;
    }
  }
  add("kernel", release);
  add("kernel_version", version);
  add("cmdline", first_line(root + "/proc/cmdline"));
  std::string config;
  std::string config_path = root + "/boot/config-" + release;
  if (auto text = read_text_file(config_path)) {
    config = *text;
  } else if (auto lib = read_text_file(root + "/lib/modules/" + release + "/build/.config")) {
    config = *lib;
    config_path = root + "/lib/modules/" + release + "/build/.config";
  }
  add("config_source", config.empty() ? "none readable (/boot/config-RELEASE)" : config_path.substr(root.size()));
  add("preempt", preempt_model(config, version, first_line(root + "/sys/kernel/debug/sched/preempt")));
  add("rcu", rcu_type(config));
  for (const char* name : {"CONFIG_HZ", "CONFIG_NO_HZ_IDLE", "CONFIG_NO_HZ_FULL", "CONFIG_RCU_NOCB_CPU",
                           "CONFIG_RCU_LAZY", "CONFIG_RCU_BOOST", "CONFIG_RCU_FANOUT_LEAF", "CONFIG_MODULE_SIG",
                           "CONFIG_MODULE_SIG_FORCE", "CONFIG_SECURITY_LOCKDOWN_LSM"})
    add(std::string(name).substr(7) == "HZ" ? "hz" : name, config_value(config, name));
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  add("cpus", root.empty() ? std::to_string(cpus) : first_line(root + "/sys/devices/system/cpu/online"));
  add("cpus_online", first_line(root + "/sys/devices/system/cpu/online"));
  const auto add_knob = [&](std::string_view path) {
    auto value = first_line(root + std::string(path));
    if (!value.empty()) add("knob:" + std::string(path), value);
  };
  for (const auto& knob : kUnloadKnobs) add_knob(knob.path);
  for (const char* path : kOtherKnobPaths) add_knob(path);
  add("taint", first_line(root + "/proc/sys/kernel/tainted"));
  add("lockdown", first_line(root + "/sys/kernel/security/lockdown"));
  add("module_sig_enforce", first_line(root + "/sys/module/module/parameters/sig_enforce"));
  bool hypervisor = false;
  std::string cpuinfo = read_text_file(root + "/proc/cpuinfo").value_or("");
  add("cpu_model", cpu_model(cpuinfo, hypervisor));
  add("hypervisor", hypervisor ? "yes (cpuinfo flag)" : "no");
  add("dmi_sys_vendor", first_line(root + "/sys/class/dmi/id/sys_vendor"));
  add("dmi_product_name", first_line(root + "/sys/class/dmi/id/product_name"));
  add("dmi_bios_version", first_line(root + "/sys/class/dmi/id/bios_version"));
  add("expediter_loaded", first_line(root + "/sys/module/" + std::string(kExpediterModule) + "/initstate"));
  return f;
}

std::string module_srcversion(const std::string& ko_path) {
  const auto text = read_text_file(ko_path);
  if (!text) return {};
  const std::string& bytes = *text;
  const std::string key = std::string("srcversion=");
  auto at = bytes.find(std::string(1, '\0') + key);
  if (at == std::string::npos) return {};
  at += 1 + key.size();
  auto end = bytes.find('\0', at);
  return bytes.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace rcu_unload
