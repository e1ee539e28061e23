// Strategy specs (--strategy), compare's --threshold and whole-number parsing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rcu_unload/outputs.hpp"
#include "rcu_unload/strategy_spec.hpp"
#include "rcu_unload/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto spec = rcu_unload::parse_strategy_spec(text)) (void)spec->text();
  (void)rcu_unload::parse_threshold(text);
  (void)rcu_unload::parse_u64(text);
  return 0;
}
