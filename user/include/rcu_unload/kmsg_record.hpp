#pragma once
// Parsing of /dev/kmsg reads and of the module's versioned records (docs/interfaces.md).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcu_unload/contract.hpp"
#include "rcu_unload/result.hpp"

namespace rcu_unload {

inline constexpr std::string_view kRecordPrefix = "rcu_unload: ";

// One /dev/kmsg read: "<prio>,<seq>,<usec>,<flags>;<message>\n" plus " KEY=value" continuation lines.
struct KmsgEntry {
  unsigned level = 0;     // syslog severity, the low 3 bits of <prio>
  unsigned facility = 0;  // the rest of <prio>
  std::uint64_t seq = 0;
  std::uint64_t usec = 0;
  std::string message;
  std::vector<std::string> continuation;  // without the leading space
};

Result<KmsgEntry> parse_kmsg_entry(std::string_view raw);

struct Record {
  std::string kind;
  unsigned version = 0;
  RecordKeyValues fields;  // as logged, unknown keys included

  std::optional<std::string> text(std::string_view key) const;
  std::optional<std::uint64_t> u64(std::string_view key) const;
};

bool is_module_message(std::string_view message);

// Accepts only "rcu_unload: <kind> v=1 key=value..."; anything else is an error naming the bad token.
Result<Record> parse_record(std::string_view message);

// The typed fields of an init or exit record (Fields: InitRecord or ExitRecord, contract.hpp), read
// through its field table: a key the table lists by its type, one it does not list kept in
// `unknown`, one missing left 0 or "" (an older module). An error when the record is of another
// kind or a u64 key's value is not a number.
template <class Fields>
Result<Fields> typed_record(const Record& record);

}  // namespace rcu_unload
