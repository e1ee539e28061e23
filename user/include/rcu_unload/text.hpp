#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rcu_unload {

// Whole-string decimal u64; rejects signs, blanks, trailing junk and overflow.
std::optional<std::uint64_t> parse_u64(std::string_view s);

std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);

// Calls f(line) for every line of text (without its newline).
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto end = text.find('\n');
    f(std::string(text.substr(0, end)));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
}

// Whole file as text, nullopt if it can't be opened (used for /proc and /sys files).
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace rcu_unload
