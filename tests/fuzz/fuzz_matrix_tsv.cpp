// The kernel matrix's TSV (rcu-unload matrix).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rcu_unload/matrix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)rcu_unload::parse_matrix_tsv(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
