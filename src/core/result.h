// Errors as values at module boundaries (DESIGN.md principle 5). C++20 has no
// std::expected, so this is the small subset we need: a value or an Error.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace b2b::core {

// `error` is the spec's exact error text (clients match on it); `detail` is for humans
// and says precisely what was wrong ("nonce must be 24 bytes of base64").
struct Error {
  std::string error;
  std::string detail;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace b2b::core
