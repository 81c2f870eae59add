// Errors as values. A Status is a code plus a human-readable detail; Result<T> is a value or a
// Status. The codes name what went wrong in ferry's terms; server/http_status.cc is the one
// place that maps them to HTTP.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ferry::base {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // malformed input from a client or a config file
  kUnauthenticated,   // missing or invalid credentials
  kPermissionDenied,  // well-formed but not allowed (DSN host, project, key)
  kNotFound,
  kMethodNotAllowed,
  kTooLarge,     // a body or item over its limit
  kRateLimited,  // an upstream or a quota said "not now"
  kUnavailable,  // a dependency (store, spool, upstream) cannot take the request
  kUnreachable,  // an upstream could not be connected to or broke the connection
  kTimeout,      // an upstream did not answer in time
  kOverloaded,   // ferry itself is out of a resource (the body memory budget); retry soon
  kInternal,     // a bug or an unexpected system failure
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string detail) : code_(code), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& detail() const { return detail_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string detail_;
};

inline Status InvalidArgument(std::string d) { return {Code::kInvalidArgument, std::move(d)}; }
inline Status Unauthenticated(std::string d) { return {Code::kUnauthenticated, std::move(d)}; }
inline Status PermissionDenied(std::string d) { return {Code::kPermissionDenied, std::move(d)}; }
inline Status NotFound(std::string d) { return {Code::kNotFound, std::move(d)}; }
inline Status TooLarge(std::string d) { return {Code::kTooLarge, std::move(d)}; }
inline Status Unavailable(std::string d) { return {Code::kUnavailable, std::move(d)}; }
inline Status Unreachable(std::string d) { return {Code::kUnreachable, std::move(d)}; }
inline Status Timeout(std::string d) { return {Code::kTimeout, std::move(d)}; }
inline Status Overloaded(std::string d) { return {Code::kOverloaded, std::move(d)}; }
inline Status Internal(std::string d) { return {Code::kInternal, std::move(d)}; }

// A value of type T, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // REQUIRES: !status.ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ferry::base

#define FERRY_RETURN_IF_ERROR(expr)     \
  do {                                  \
    ::ferry::base::Status _st = (expr); \
    if (!_st.ok()) return _st;          \
  } while (0)
