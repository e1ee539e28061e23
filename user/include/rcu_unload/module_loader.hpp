#pragma once
// The module the harness loads: resolved from a path or a name through the kernel's module tree
// (libkmod), named by its .modinfo, its dependencies loaded first, and failures explained.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rcu_unload/kernel_interfaces.hpp"
#include "rcu_unload/module_elf.hpp"

namespace rcu_unload {

// rcu_unload.ko's .modinfo name: the module whose records the harness reads.
inline constexpr std::string_view kOurModule = "rcu_unload";

struct PreflightFacts {
  std::string module_path;
  std::string module_name;         // the module's .modinfo name
  bool module_file = false;        // the .ko exists
  bool root = false;               // euid 0
  bool modules_supported = false;  // /proc/modules exists
  bool already_loaded = false;     // a module of the same name is live
  bool builtin = false;            // the name is built into the kernel (modules.builtin)
};

// The first reason the cycle loop can't start, in the order a user would fix them.
std::optional<std::string> preflight_problem(const PreflightFacts& facts);

// What resolution found: the file, the module's real name and the modules it depends on.
struct ModuleFile {
  std::string path;                      // .ko, .ko.xz, .ko.zst or .ko.gz
  std::string name;                      // .modinfo name= (the file's stem when .modinfo has none)
  std::vector<std::string> depends;      // .modinfo depends=, in its order
};

// The kernel's module tree as resolution sees it: libkmod (KmodIndex) or a test's fake.
struct ModuleIndex {
  virtual ~ModuleIndex() = default;
  virtual bool is_file(const std::string& path) const = 0;
  // The path modules.dep gives for a module name (or alias); nullopt when the tree has none.
  virtual std::optional<std::string> lookup(const std::string& name) = 0;
  // The .modinfo key=value pairs of a module file (decompressed as needed); an error if unreadable.
  virtual Result<std::vector<std::pair<std::string, std::string>>> modinfo(const std::string& path) = 0;
  // Whether the module file has an init and an exit function (its ELF symbols); an error if unreadable.
  virtual Result<ModuleEntryPoints> entry_points(const std::string& path) = 0;
  // Whether the running kernel has `name` built in (modules.builtin).
  virtual bool is_builtin(const std::string& /*name*/) { return false; }
  // Loads a module by name with its own dependencies (libkmod's probe, already loaded ones skipped).
  virtual int probe(const std::string& name) = 0;  // 0 or -errno
  virtual std::string tree() const = 0;             // e.g. /lib/modules/6.1.0-56-amd64, for messages
};

// "fuse" from /x/fuse.ko.xz; '-' becomes '_' as the kernel names modules.
std::string module_name_from_path(const std::string& path);
// Whether SPEC names a file (has a '/' or a .ko[.xz|.zst|.gz] suffix) rather than a module name.
bool looks_like_path(const std::string& spec);

// PATH or NAME as `run --module` takes it; an error says what was looked for and where, and refuses a
// module the kernel could never unload (an init function but no exit function) before it is loaded.
Result<ModuleFile> resolve_module(const std::string& spec, ModuleIndex& index);

// Loads each dependency of `module` through the index's probe (and theirs), left loaded afterwards.
std::optional<std::string> load_dependencies(const ModuleFile& module, ModuleIndex& index);

// A negative errno in words: "No such file or directory (-2)".
std::string errno_words(int rc);

// Why a load failed, in words: a missing dependency names the unknown symbol from the kernel log.
std::string explain_load_failure(const std::string& module, int rc, const std::vector<std::string>& log_lines);
// What explain_load_failure() says when it knows nothing beyond the errno.
std::string unexplained_load_failure(const std::string& module, int rc);

// A module's state as /sys/module/NAME shows it.
struct ModuleState {
  std::string initstate;              // live, coming, going; "builtin"; "" when not loaded
  long refcnt = -1;                   // -1 unknown
  std::vector<std::string> holders;   // modules using it
  bool permanent = false;             // an init but no exit function: /proc/modules says [permanent]
};
ModuleState read_module_state(const std::string& name, const std::string& sysfs_root = {});

// Why a removal failed: in use (by whom), built in, without an exit function, not loaded.
std::string explain_remove_failure(const std::string& module, int rc, const ModuleState& state);

// The "<name>: unknown parameter 'x' ignored" lines among the kernel's lines for a load.
std::vector<std::string> unknown_parameter_lines(const std::vector<std::string>& log_lines);

// delete_module(name, O_NONBLOCK): 0 or -errno.
int delete_module_by_name(const std::string& name);

// libkmod over the running kernel's module tree (or `dir`).
class KmodIndex final : public ModuleIndex {
 public:
  static Result<std::unique_ptr<KmodIndex>> open(const std::string& dir = {});
  ~KmodIndex() override;
  KmodIndex(const KmodIndex&) = delete;
  KmodIndex& operator=(const KmodIndex&) = delete;

  bool is_file(const std::string& path) const override;
  std::optional<std::string> lookup(const std::string& name) override;
  bool is_builtin(const std::string& name) override;
  Result<std::vector<std::pair<std::string, std::string>>> modinfo(const std::string& path) override;
  Result<ModuleEntryPoints> entry_points(const std::string& path) override;
  int probe(const std::string& name) override;
  std::string tree() const override;

  struct Ctx;
  Ctx& ctx() { return *ctx_; }

 private:
  explicit KmodIndex(std::unique_ptr<Ctx> ctx);
  std::unique_ptr<Ctx> ctx_;
};

class ModuleLoader final : public ModuleBackend {
 public:
  // Resolves `spec` (a path or a name), runs the preflight checks and loads its dependencies.
  static Result<std::unique_ptr<ModuleLoader>> open(const std::string& spec);
  ~ModuleLoader() override;
  ModuleLoader(const ModuleLoader&) = delete;
  ModuleLoader& operator=(const ModuleLoader&) = delete;

  int insert(const std::string& options) override;
  int remove() override;  // libkmod passes O_NONBLOCK to delete_module()
  std::string name() const override;
  std::string explain_insert_failure(int rc, const std::vector<std::string>& log_lines) override;
  std::string explain_remove_failure(int rc) override;
  std::string state_report() override;
  bool loaded() const;
  const ModuleFile& file() const;

 private:
  struct Impl;
  explicit ModuleLoader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rcu_unload
