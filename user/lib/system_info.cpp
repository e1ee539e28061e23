#include "rcu_unload/system_info.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <string_view>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

SystemInfo read_system_info() {
  SystemInfo info;
  utsname u{};
  if (uname(&u) == 0) info.kernel = u.release;
  info.cmdline = std::string(trim(read_text_file("/proc/cmdline").value_or("")));
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  info.cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 0;
  return info;
}

std::optional<std::uint64_t> read_taint(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return std::nullopt;
  return parse_u64(trim(*text));
}

std::uint64_t unexpected_new_taint(std::uint64_t before, std::uint64_t after) {
  return after & ~before & ~kExpectedTaint;
}

std::string describe_taint(std::uint64_t bits) {
  // Bit order of Documentation/admin-guide/tainted-kernels.rst.
  constexpr std::string_view letters = "PFSRMBUDAWCIOELKXTN";
  std::string out;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if (!(bits & (std::uint64_t{1} << bit))) continue;
    if (!out.empty()) out += ' ';
    out += bit < letters.size() ? std::string(1, letters[bit]) : fmt::format("bit{}", bit);
  }
  return out;
}

}  // namespace rcu_unload
