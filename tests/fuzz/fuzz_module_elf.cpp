// A module file's ELF symbol table, read before the module is loaded (the entry points).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rcu_unload/module_elf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)rcu_unload::module_entry_points(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
