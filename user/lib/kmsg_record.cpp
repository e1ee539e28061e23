#include "rcu_unload/kmsg_record.hpp"

#include <fmt/format.h>

#include "rcu_unload/text.hpp"

namespace rcu_unload {

Result<KmsgEntry> parse_kmsg_entry(std::string_view raw) {
  auto semicolon = raw.find(';');
  if (semicolon == std::string_view::npos) return error("kmsg entry without ';' header separator");
  std::string_view header = raw.substr(0, semicolon);
  std::string_view body = raw.substr(semicolon + 1);

  // Fields after <usec> (flags and any later additions) carry nothing the harness needs.
  std::uint64_t numbers[3] = {};
  for (int i = 0; i < 3; ++i) {
    auto comma = header.find(',');
    auto token = header.substr(0, comma);
    auto value = parse_u64(token);
    if (!value) return error(fmt::format("kmsg entry header field {} is not a number: '{}'", i, token));
    numbers[i] = *value;
    if (comma == std::string_view::npos) {
      if (i < 2) return error(fmt::format("kmsg entry header too short: '{}'", raw.substr(0, semicolon)));
      break;
    }
    header.remove_prefix(comma + 1);
  }

  KmsgEntry entry;
  entry.level = static_cast<unsigned>(numbers[0] & 7);
  entry.facility = static_cast<unsigned>(numbers[0] >> 3);
  entry.seq = numbers[1];
  entry.usec = numbers[2];

  auto newline = body.find('\n');
  entry.message = std::string(body.substr(0, newline));
  while (newline != std::string_view::npos) {
    body.remove_prefix(newline + 1);
    newline = body.find('\n');
    auto line = body.substr(0, newline);
    if (line.empty()) continue;
    if (line.front() != ' ') return error(fmt::format("kmsg continuation line without leading space: '{}'", line));
    entry.continuation.emplace_back(line.substr(1));
  }
  return entry;
}

std::optional<std::string> Record::text(std::string_view key) const {
  auto it = fields.find(key);
  if (it == fields.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> Record::u64(std::string_view key) const {
  auto it = fields.find(key);
  if (it == fields.end()) return std::nullopt;
  return parse_u64(it->second);
}

bool is_module_message(std::string_view message) {
  return message.substr(0, kRecordPrefix.size()) == kRecordPrefix;
}

Result<Record> parse_record(std::string_view message) {
  if (!is_module_message(message)) return error(fmt::format("not an rcu_unload message: '{}'", message));
  std::string_view rest = trim(message.substr(kRecordPrefix.size()));

  Record record;
  bool have_version = false;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    std::string_view token = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (token.empty()) continue;

    if (record.kind.empty()) {
      if (token.find('=') != std::string_view::npos)
        return error(fmt::format("record without kind: '{}'", message));
      record.kind = std::string(token);
      continue;
    }
    auto equals = token.find('=');
    if (equals == std::string_view::npos || equals == 0 || equals + 1 == token.size())
      return error(fmt::format("malformed token '{}' in record '{}'", token, message));
    std::string key(token.substr(0, equals));
    std::string_view value = token.substr(equals + 1);
    if (!have_version) {
      auto version = parse_u64(value);
      if (key != "v" || !version)
        return error(fmt::format("record does not start with v=<n> after its kind: '{}'", message));
      if (*version != kRecordVersion)
        return error(fmt::format("unsupported record version {} (want {}): '{}'", *version, kRecordVersion, message));
      record.version = static_cast<unsigned>(*version);
      have_version = true;
      continue;
    }
    if (!record.fields.emplace(std::move(key), value).second)
      return error(fmt::format("duplicate key in record: '{}'", message));
  }
  if (record.kind.empty()) return error(fmt::format("empty record: '{}'", message));
  if (!have_version) return error(fmt::format("record without version: '{}'", message));
  return record;
}

namespace {

bool parse_field(std::string_view text, std::uint64_t& value) {
  auto number = parse_u64(text);
  if (number) value = *number;
  return number.has_value();
}

bool parse_field(std::string_view text, std::string& value) {
  value = std::string(text);
  return true;
}

}  // namespace

template <class Fields>
Result<Fields> typed_record(const Record& record) {
  if (record.kind != Fields::kind)
    return error(fmt::format("expected the {} record, got '{}'", Fields::kind, record.kind));
  Fields fields;
  fields.unknown = record.fields;
  std::string problem;
  Fields::for_each_field(fields, [&](std::string_view key, auto& value) {
    auto raw = fields.unknown.find(key);
    if (raw == fields.unknown.end()) return;
    if (!parse_field(raw->second, value) && problem.empty())
      problem = fmt::format("{} record key {}={} is not a number", Fields::kind, key, raw->second);
    fields.unknown.erase(raw);
  });
  if (!problem.empty()) return error(problem);
  return fields;
}

template Result<InitRecord> typed_record<InitRecord>(const Record&);
template Result<ExitRecord> typed_record<ExitRecord>(const Record&);

}  // namespace rcu_unload
