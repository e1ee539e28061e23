#include "rcu_unload/module_elf.hpp"

#include <elf.h>

#include <cstring>

namespace rcu_unload {

namespace {

// A copy of the T at `offset` of `image`, or nothing where the image is too short for it.
template <class T>
bool read_at(std::string_view image, std::uint64_t offset, T& out) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, image.data() + offset, sizeof(T));
  return true;
}

}  // namespace

Result<ModuleEntryPoints> module_entry_points(std::string_view elf) {
  Elf64_Ehdr header;
  if (!read_at(elf, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return error("not an ELF file");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
    return error("not a 64-bit little-endian ELF file");
  if (header.e_shentsize != sizeof(Elf64_Shdr)) return error("ELF section headers of an unexpected size");
  auto section = [&](std::uint64_t index, Elf64_Shdr& out) {
    return index < header.e_shnum && read_at(elf, header.e_shoff + index * sizeof(Elf64_Shdr), out);
  };

  ModuleEntryPoints entry;
  bool symtab_found = false;
  for (std::uint64_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr symtab, strtab;
    if (!section(i, symtab)) return error("ELF section headers past the end of the file");
    if (symtab.sh_type != SHT_SYMTAB) continue;
    if (symtab.sh_entsize != sizeof(Elf64_Sym) || !section(symtab.sh_link, strtab) ||
        strtab.sh_offset > elf.size() || elf.size() - strtab.sh_offset < strtab.sh_size)
      return error("a malformed ELF symbol table");
    symtab_found = true;
    const std::string_view names = elf.substr(strtab.sh_offset, strtab.sh_size);
    for (std::uint64_t at = 0; at + sizeof(Elf64_Sym) <= symtab.sh_size; at += sizeof(Elf64_Sym)) {
      Elf64_Sym symbol;
      if (!read_at(elf, symtab.sh_offset + at, symbol)) return error("an ELF symbol table past the end of the file");
      if (symbol.st_shndx == SHN_UNDEF || symbol.st_name >= names.size()) continue;
      const auto rest = names.substr(symbol.st_name);
      const auto name = rest.substr(0, rest.find('\0'));
      if (name == "init_module") entry.init = true;
      if (name == "cleanup_module") entry.exit = true;
    }
  }
  if (!symtab_found) return error("no ELF symbol table");
  return entry;
}

}  // namespace rcu_unload
