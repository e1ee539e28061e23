// /dev/kmsg reads and the module's records: parse_kmsg_entry, parse_record and the typed records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rcu_unload/kmsg_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (auto entry = rcu_unload::parse_kmsg_entry(raw)) {
    if (auto record = rcu_unload::parse_record(entry->message)) {
      (void)rcu_unload::typed_record<rcu_unload::InitRecord>(*record);
      (void)rcu_unload::typed_record<rcu_unload::ExitRecord>(*record);
    }
  }
  if (auto record = rcu_unload::parse_record(raw)) (void)rcu_unload::typed_record<rcu_unload::ExitRecord>(*record);
  return 0;
}
