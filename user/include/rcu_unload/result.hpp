#pragma once
// A value or a human-readable reason why there is none: the harness reports failures as text, so
// errors never need to travel as exceptions across the library boundary.
#include <string>
#include <utility>
#include <variant>

namespace rcu_unload {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report it

struct Error {
  std::string message;
};

inline Error error(std::string message) { return Error{std::move(message)}; }

template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error e) : state_(std::move(e)) {}

  explicit operator bool() const { return state_.index() == 0; }
  const T& operator*() const& { return std::get<0>(state_); }
  T& operator*() & { return std::get<0>(state_); }
  T&& operator*() && { return std::get<0>(std::move(state_)); }
  const T* operator->() const { return &std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  const std::string& error() const { return std::get<1>(state_).message; }

 private:
  std::variant<T, Error> state_;
};

}  // namespace rcu_unload
