// Result<T>: the value of an operation that can fail in an expected way (bad input, missing file,
// unreachable host). Shaped like C++23 std::expected, which GCC 12 lacks in C++20 mode. Errors carry a
// machine-readable code (used e.g. for HTTP status mapping) and a message written for a person: what is
// wrong and, where we know it, how to fix it. Exceptions are reserved for programming errors and start-up.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

enum class ErrorCode {
  InvalidArgument,  // the caller's input is wrong (bad image, bad JSON, bad setting)
  NotFound,         // a file, route or resource does not exist
  Unsupported,      // understood but not supported here (format, backend)
  TooLarge,         // over a size limit
  Unavailable,      // a remote peer or device cannot be reached right now
  Timeout,          // gave up waiting
  Internal,         // a bug or an unexpected library failure
};

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace vigil
