// Results files as report, verify and compare read them: JSON (formats 1 and 2) or a run's
// journal; what loads must also render (table, CSV, KTAP) and write back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rcu_unload/outputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = rcu_unload::results_from_text(text);
  if (!r || r->cycles.size() > 200) return 0;
  (void)rcu_unload::format_report(*r);
  (void)rcu_unload::results_to_csv(*r);
  (void)rcu_unload::results_to_ktap(*r);
  (void)rcu_unload::results_from_json(rcu_unload::results_to_json(*r));
  return 0;
}
