#pragma once
// What a module file says about itself before it is loaded: whether it has an init and an exit
// function, read from its ELF symbol table the way modpost decides (the symbols init_module and
// cleanup_module, which module_init() and module_exit() define). A module with an init function
// and no exit function is one the kernel never unloads.
#include <optional>
#include <string>
#include <string_view>

#include "rcu_unload/result.hpp"

namespace rcu_unload {

struct ModuleEntryPoints {
  bool init = false;  // init_module defined
  bool exit = false;  // cleanup_module defined
  // delete_module() refuses it for good: /proc/modules would call it [permanent].
  bool never_unloads() const { return init && !exit; }
};

// Reads the entry points from a module's ELF image (a relocatable object, 64-bit little-endian).
Result<ModuleEntryPoints> module_entry_points(std::string_view elf);

// The module file's ELF image, decompressed by its suffix (.ko.xz, .ko.zst, .ko.gz; .ko as is).
Result<std::string> read_module_image(const std::string& path);

// Which of those suffixes a file name ends with, if any.
std::optional<std::string_view> module_file_suffix(std::string_view filename);

}  // namespace rcu_unload
