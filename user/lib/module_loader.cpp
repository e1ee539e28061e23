#include "rcu_unload/module_loader.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <fcntl.h>
#include <libkmod.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

namespace {

}  // namespace

std::string errno_words(int rc) { return fmt::format("{} ({})", std::strerror(-rc), rc); }

std::string unexplained_load_failure(const std::string& module, int rc) {
  return fmt::format("loading {} failed: {}", module, errno_words(rc));
}

std::string ModuleBackend::explain_insert_failure(int rc, const std::vector<std::string>& log_lines) {
  return explain_load_failure(name(), rc, log_lines);
}

std::string ModuleBackend::explain_remove_failure(int rc) {
  return rcu_unload::explain_remove_failure(name(), rc, ModuleState{});
}

std::optional<std::string> preflight_problem(const PreflightFacts& f) {
  if (!f.module_file) return fmt::format("module file {} does not exist", f.module_path);
  if (!f.root) return std::string("loading modules needs root (run the harness as root inside the test guest)");
  if (!f.modules_supported)
    return std::string("this kernel has no module support (/proc/modules is missing)");
  if (f.builtin)
    return fmt::format("module {} is built into the kernel: it cannot be loaded or unloaded", f.module_name);
  if (f.already_loaded)
    return fmt::format("module {} (from {}) is already loaded; unload it first (rmmod {})", f.module_name,
                       f.module_path, f.module_name);
  return std::nullopt;
}

std::string module_name_from_path(const std::string& path) {
  std::string base = std::filesystem::path(path).filename().string();
  if (auto suffix = module_file_suffix(base)) base.resize(base.size() - suffix->size());
  std::replace(base.begin(), base.end(), '-', '_');
  return base;
}

bool looks_like_path(const std::string& spec) {
  return spec.find('/') != std::string::npos || module_file_suffix(spec).has_value();
}

Result<ModuleFile> resolve_module(const std::string& spec, ModuleIndex& index) {
  ModuleFile file;
  if (looks_like_path(spec) || index.is_file(spec)) {
    if (!index.is_file(spec)) return error(fmt::format("module file {} does not exist", spec));
    file.path = spec;
  } else {
    std::string name = spec;
    std::replace(name.begin(), name.end(), '-', '_');
    auto path = index.lookup(name);
    if (!path && index.is_builtin(name))
      return error(fmt::format("module {} is built into the kernel: it cannot be loaded or unloaded", name));
    if (!path)
      return error(fmt::format("no module named {} in {} (its modules.dep; run depmod there if it has none), and "
                               "no file {} here",
                               spec, index.tree(), spec));
    file.path = *path;
  }
  auto info = index.modinfo(file.path);
  if (!info) return error(fmt::format("cannot read the .modinfo of {}: {}", file.path, info.error()));
  for (const auto& [key, value] : *info) {
    if (key == "name" && file.name.empty()) file.name = value;
    if (key == "depends")
      for (std::size_t from = 0; from < value.size();) {
        auto comma = std::min(value.find(',', from), value.size());
        if (comma > from) file.depends.push_back(value.substr(from, comma - from));
        from = comma + 1;
      }
  }
  if (file.name.empty()) file.name = module_name_from_path(file.path);
  // Unreadable: the kernel has the last word, and a removal it refuses is explained then.
  if (auto entry = index.entry_points(file.path); entry && entry->never_unloads())
    return error(fmt::format("module {} ({}) has an init function but no exit function: the kernel could never "
                             "unload it, so it is not loaded",
                             file.name, file.path));
  return file;
}

std::optional<std::string> load_dependencies(const ModuleFile& module, ModuleIndex& index) {
  for (const auto& dep : module.depends) {
    if (!index.lookup(dep))
      return fmt::format("module {} depends on {}, which is not in {} (run depmod there, or load {} first)",
                         module.name, dep, index.tree(), dep);
    if (int rc = index.probe(dep); rc < 0)
      return fmt::format("loading {}'s dependency {} failed: {}", module.name, dep, errno_words(rc));
  }
  return std::nullopt;
}

std::string explain_load_failure(const std::string& module, int rc, const std::vector<std::string>& log_lines) {
  std::vector<std::string> symbols;
  for (const auto& line : log_lines) {
    auto at = line.find("Unknown symbol ");
    if (at == std::string::npos) continue;
    auto symbol = line.substr(at + 15);
    symbol = symbol.substr(0, symbol.find(' '));
    if (std::find(symbols.begin(), symbols.end(), symbol) == symbols.end()) symbols.push_back(symbol);
  }
  if (!symbols.empty()) {
    std::string list;
    for (const auto& s : symbols) list += (list.empty() ? "" : ", ") + s;
    return fmt::format("loading {} failed: {}: a dependency is missing, the kernel has no symbol {} (load the module "
                       "that exports it first, or give --module by name so modules.dep names its dependencies)",
                       module, errno_words(rc), list);
  }
  switch (-rc) {
    case EEXIST: return fmt::format("loading {} failed: it is already loaded ({})", module, errno_words(rc));
    case ENOEXEC:
      return fmt::format("loading {} failed: {}: not a module this kernel can load (built for another kernel?)", module,
                         errno_words(rc));
    case EPERM: return fmt::format("loading {} failed: {}: needs root (and modules not locked down)", module, errno_words(rc));
    default: return unexplained_load_failure(module, rc);
  }
}

ModuleState read_module_state(const std::string& name, const std::string& sysfs_root) {
  ModuleState state;
  const std::string dir = sysfs_root + "/sys/module/" + name;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return state;
  if (auto text = read_text_file(dir + "/initstate")) {
    state.initstate = std::string(trim(*text));
  } else {
    state.initstate = "builtin";  // a /sys/module dir without initstate: built in (or parameters only)
  }
  // -1 while delete_module is in progress (the reference base is taken away first).
  if (auto text = read_text_file(dir + "/refcnt")) {
    auto t = trim(*text);
    const bool negative = !t.empty() && t.front() == '-';
    if (auto n = parse_u64(negative ? t.substr(1) : t)) state.refcnt = negative ? -static_cast<long>(*n) : static_cast<long>(*n);
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/holders", ec))
    state.holders.push_back(entry.path().filename().string());
  std::sort(state.holders.begin(), state.holders.end());
  // "name size refcount deps|-|[permanent], state address": the kernel's own word for a module
  // delete_module refuses for good.
  if (auto text = read_text_file(sysfs_root + "/proc/modules"))
    for_each_line(*text, [&](const std::string& line) {
      if (starts_with(line, name + " ")) state.permanent = line.find(" [permanent],") != std::string::npos;
    });
  return state;
}

std::string explain_remove_failure(const std::string& module, int rc, const ModuleState& state) {
  const auto what = fmt::format("unloading failed: {} (module {})", errno_words(rc), module);
  if (state.initstate == "builtin") return what + ": it is built into the kernel and cannot be unloaded";
  if (rc == -ENOENT) return what + ": it is not loaded";
  if (state.permanent)
    return what + ": it has no exit function, so the kernel never unloads it: it stays loaded until reboot";
  if (rc == -EWOULDBLOCK || rc == -EBUSY || rc == -EAGAIN) {
    if (!state.holders.empty()) {
      std::string list;
      for (const auto& h : state.holders) list += (list.empty() ? "" : ", ") + h;
      return fmt::format("{}: it is in use by {} (refcount {})", what, list, state.refcnt);
    }
    if (state.refcnt > 0) return fmt::format("{}: it is in use (refcount {})", what, state.refcnt);
    if (!state.initstate.empty() && state.initstate != "live")
      return fmt::format("{}: it is {} (initstate)", what, state.initstate);
  }
  return what + "; the module may still be loaded";
}

std::vector<std::string> unknown_parameter_lines(const std::vector<std::string>& log_lines) {
  std::vector<std::string> lines;
  for (const auto& line : log_lines)
    if (line.find(": unknown parameter '") != std::string::npos) lines.push_back(line);
  return lines;
}

int delete_module_by_name(const std::string& name) {
  return syscall(SYS_delete_module, name.c_str(), O_NONBLOCK) == 0 ? 0 : -errno;
}

struct KmodIndex::Ctx {
  kmod_ctx* ctx = nullptr;
  ~Ctx() {
    if (ctx) kmod_unref(ctx);
  }
};

KmodIndex::KmodIndex(std::unique_ptr<Ctx> ctx) : ctx_(std::move(ctx)) {}
KmodIndex::~KmodIndex() = default;

Result<std::unique_ptr<KmodIndex>> KmodIndex::open(const std::string& dir) {
  auto ctx = std::make_unique<Ctx>();
  ctx->ctx = kmod_new(dir.empty() ? nullptr : dir.c_str(), nullptr);
  if (!ctx->ctx) return error("libkmod: kmod_new failed");
  kmod_load_resources(ctx->ctx);  // the indexes, when there are any (a missing modules.dep is not fatal)
  return std::unique_ptr<KmodIndex>(new KmodIndex(std::move(ctx)));
}

bool KmodIndex::is_file(const std::string& path) const {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::optional<std::string> KmodIndex::lookup(const std::string& name) {
  kmod_list* list = nullptr;
  if (kmod_module_new_from_lookup(ctx_->ctx, name.c_str(), &list) < 0 || !list) return std::nullopt;
  std::optional<std::string> path;
  kmod_list* it = nullptr;
  kmod_list_foreach(it, list) {
    kmod_module* mod = kmod_module_get_module(it);
    if (const char* p = kmod_module_get_path(mod); p && !path) path = p;
    kmod_module_unref(mod);
  }
  kmod_module_unref_list(list);
  return path;
}

bool KmodIndex::is_builtin(const std::string& name) {
  kmod_module* mod = nullptr;
  if (kmod_module_new_from_name(ctx_->ctx, name.c_str(), &mod) < 0) return false;
  const bool builtin = kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN;
  kmod_module_unref(mod);
  return builtin;
}

Result<std::vector<std::pair<std::string, std::string>>> KmodIndex::modinfo(const std::string& path) {
  kmod_module* mod = nullptr;
  if (int rc = kmod_module_new_from_path(ctx_->ctx, path.c_str(), &mod); rc < 0) return error(errno_words(rc));
  kmod_list* info = nullptr;
  int rc = kmod_module_get_info(mod, &info);
  std::vector<std::pair<std::string, std::string>> pairs;
  kmod_list* it = nullptr;
  kmod_list_foreach(it, info) {
    const char* key = kmod_module_info_get_key(it);
    const char* value = kmod_module_info_get_value(it);
    pairs.emplace_back(key ? key : "", value ? value : "");
  }
  kmod_module_info_free_list(info);
  kmod_module_unref(mod);
  if (rc < 0) return error(fmt::format("{} (a compressed module needs a libkmod with that compression)", errno_words(rc)));
  return pairs;
}

Result<ModuleEntryPoints> KmodIndex::entry_points(const std::string& path) {
  auto image = read_module_image(path);
  if (!image) return error(image.error());
  return module_entry_points(*image);
}

int KmodIndex::probe(const std::string& name) {
  kmod_module* mod = nullptr;
  if (int rc = kmod_module_new_from_name(ctx_->ctx, name.c_str(), &mod); rc < 0) return rc;
  int rc = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED, nullptr, nullptr, nullptr, nullptr);
  kmod_module_unref(mod);
  return rc > 0 ? -EINVAL : rc;  // > 0: a blacklist or a probe filter stopped it
}

std::string KmodIndex::tree() const {
  const char* dir = kmod_get_dirname(ctx_->ctx);
  return dir ? dir : "the kernel's module tree";
}

struct ModuleLoader::Impl {
  std::unique_ptr<KmodIndex> index;
  ModuleFile file;
  kmod_module* by_path = nullptr;  // inserted from the file
  kmod_module* by_name = nullptr;  // removed and checked by its real name
  ~Impl() {
    if (by_path) kmod_module_unref(by_path);
    if (by_name) kmod_module_unref(by_name);
  }
};

ModuleLoader::ModuleLoader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModuleLoader::~ModuleLoader() = default;

Result<std::unique_ptr<ModuleLoader>> ModuleLoader::open(const std::string& spec) {
  std::error_code ec;
  PreflightFacts facts;
  facts.module_path = spec;
  facts.module_file = true;
  facts.root = geteuid() == 0;
  facts.modules_supported = std::filesystem::exists("/proc/modules", ec);

  auto impl = std::make_unique<Impl>();
  auto index = KmodIndex::open();
  if (!index) return error(index.error());
  impl->index = std::move(*index);
  auto file = resolve_module(spec, *impl->index);
  if (!file) return error(file.error());
  impl->file = std::move(*file);
  facts.module_path = impl->file.path;
  facts.module_name = impl->file.name;
  if (auto problem = preflight_problem(facts)) return error(*problem);

  kmod_ctx* ctx = impl->index->ctx().ctx;
  if (int rc = kmod_module_new_from_path(ctx, impl->file.path.c_str(), &impl->by_path); rc < 0)
    return error(fmt::format("libkmod cannot open {}: {}", impl->file.path, std::strerror(-rc)));
  if (int rc = kmod_module_new_from_name(ctx, impl->file.name.c_str(), &impl->by_name); rc < 0)
    return error(fmt::format("libkmod cannot name {}: {}", impl->file.name, std::strerror(-rc)));
  std::unique_ptr<ModuleLoader> loader(new ModuleLoader(std::move(impl)));

  const int state = kmod_module_get_initstate(loader->impl_->by_name);
  facts.builtin = state == KMOD_MODULE_BUILTIN;
  facts.already_loaded = state >= 0 && !facts.builtin;
  if (auto problem = preflight_problem(facts)) return error(*problem);
  if (auto problem = load_dependencies(loader->impl_->file, *loader->impl_->index)) return error(*problem);
  return loader;
}

int ModuleLoader::insert(const std::string& options) {
  return kmod_module_insert_module(impl_->by_path, 0, options.c_str());
}

int ModuleLoader::remove() { return kmod_module_remove_module(impl_->by_name, 0); }

std::string ModuleLoader::name() const { return impl_->file.name; }

std::string ModuleLoader::explain_insert_failure(int rc, const std::vector<std::string>& log_lines) {
  return explain_load_failure(impl_->file.name, rc, log_lines);
}

std::string ModuleLoader::explain_remove_failure(int rc) {
  return rcu_unload::explain_remove_failure(impl_->file.name, rc, read_module_state(impl_->file.name));
}

std::string ModuleLoader::state_report() {
  auto s = read_module_state(impl_->file.name);
  std::string holders;
  for (const auto& h : s.holders) holders += (holders.empty() ? "" : ",") + h;
  return fmt::format("module {}: initstate {}, refcount {}, holders {}", impl_->file.name,
                     s.initstate.empty() ? "(gone)" : s.initstate, s.refcnt, holders.empty() ? "none" : holders);
}

bool ModuleLoader::loaded() const {
  const int state = kmod_module_get_initstate(impl_->by_name);
  return state >= 0 && state != KMOD_MODULE_BUILTIN;
}

const ModuleFile& ModuleLoader::file() const { return impl_->file; }

}  // namespace rcu_unload
