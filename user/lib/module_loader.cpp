#include "rcu_unload/module_loader.hpp"

#include <fmt/format.h>
#include <libkmod.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace rcu_unload {

std::optional<std::string> preflight_problem(const PreflightFacts& f) {
  if (!f.module_file) return fmt::format("module file {} does not exist", f.module_path);
  if (!f.root) return std::string("loading modules needs root (run the harness as root inside the test guest)");
  if (!f.modules_supported)
    return std::string("this kernel has no module support (/proc/modules is missing)");
  if (f.already_loaded)
    return fmt::format("module {} (from {}) is already loaded; unload it first (rmmod {})", f.module_name,
                       f.module_path, f.module_name);
  return std::nullopt;
}

struct ModuleLoader::Impl {
  kmod_ctx* ctx = nullptr;
  kmod_module* mod = nullptr;
  ~Impl() {
    if (mod) kmod_module_unref(mod);
    if (ctx) kmod_unref(ctx);
  }
};

ModuleLoader::ModuleLoader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModuleLoader::~ModuleLoader() = default;

Result<std::unique_ptr<ModuleLoader>> ModuleLoader::open(const std::string& path) {
  std::error_code ec;
  PreflightFacts facts;
  facts.module_path = path;
  facts.module_file = std::filesystem::is_regular_file(path, ec);
  facts.root = geteuid() == 0;
  facts.modules_supported = std::filesystem::exists("/proc/modules", ec);
  if (auto problem = preflight_problem(facts)) return error(*problem);

  auto impl = std::make_unique<Impl>();
  impl->ctx = kmod_new(nullptr, nullptr);
  if (!impl->ctx) return error("libkmod: kmod_new failed");
  if (int rc = kmod_module_new_from_path(impl->ctx, path.c_str(), &impl->mod); rc < 0)
    return error(fmt::format("libkmod cannot open {}: {}", path, std::strerror(-rc)));
  std::unique_ptr<ModuleLoader> loader(new ModuleLoader(std::move(impl)));

  facts.module_name = kmod_module_get_name(loader->impl_->mod);
  facts.already_loaded = loader->loaded();
  if (auto problem = preflight_problem(facts)) return error(*problem);
  return loader;
}

int ModuleLoader::insert(const std::string& options) {
  return kmod_module_insert_module(impl_->mod, 0, options.c_str());
}

int ModuleLoader::remove() { return kmod_module_remove_module(impl_->mod, 0); }

bool ModuleLoader::loaded() const { return kmod_module_get_initstate(impl_->mod) >= 0; }

}  // namespace rcu_unload
