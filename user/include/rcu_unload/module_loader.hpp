#pragma once
// Thin libkmod wrapper: the only code that loads and unloads the module.
#include <memory>
#include <optional>
#include <string>

#include "rcu_unload/kernel_interfaces.hpp"

namespace rcu_unload {

struct PreflightFacts {
  std::string module_path;
  std::string module_name;         // as libkmod derives it from the path
  bool module_file = false;        // the .ko exists
  bool root = false;               // euid 0
  bool modules_supported = false;  // /proc/modules exists
  bool already_loaded = false;     // a module of the same name is live (or built in)
};

// The first reason the cycle loop can't start, in the order a user would fix them.
std::optional<std::string> preflight_problem(const PreflightFacts& facts);

class ModuleLoader final : public ModuleBackend {
 public:
  // Runs the preflight checks and opens the module through libkmod.
  static Result<std::unique_ptr<ModuleLoader>> open(const std::string& path);
  ~ModuleLoader() override;
  ModuleLoader(const ModuleLoader&) = delete;
  ModuleLoader& operator=(const ModuleLoader&) = delete;

  int insert(const std::string& options) override;
  int remove() override;  // libkmod passes O_NONBLOCK to delete_module()
  bool loaded() const;

 private:
  struct Impl;
  explicit ModuleLoader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rcu_unload
