// Error handling for all of ascent: absl::Status / absl::StatusOr inside, one macro family with file:line.
//   ASCENT_RETURN_IF_ERROR(expr)        propagate a non-OK absl::Status
//   ASCENT_ASSIGN_OR_RETURN(lhs, expr)  unwrap an absl::StatusOr or propagate its error
//   ASCENT_CHECK(cond, hint)            programming errors (broken invariants): abort with file:line and hint
//   ascent_errno_error(what, path)      a syscall failure as a Status naming the file and strerror
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define ASCENT_CONCAT_INNER(a, b) a##b
#define ASCENT_CONCAT(a, b) ASCENT_CONCAT_INNER(a, b)

#define ASCENT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status ascent_status_ = (expr);          \
    if (!ascent_status_.ok()) return ascent_status_; \
  } while (0)

#define ASCENT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(*tmp)

#define ASCENT_ASSIGN_OR_RETURN(lhs, expr) \
  ASCENT_ASSIGN_OR_RETURN_IMPL(ASCENT_CONCAT(ascent_statusor_, __LINE__), lhs, expr)

namespace ascent {

[[noreturn]] void ascent_check_fail(const char* file, int line, const char* cond, const std::string& hint);

#define ASCENT_CHECK(cond, hint)                                                 \
  do {                                                                           \
    if (!(cond)) ::ascent::ascent_check_fail(__FILE__, __LINE__, #cond, (hint)); \
  } while (0)

// A failed syscall as an error naming what was attempted, the path, and strerror(errno).
absl::Status ascent_errno_error(const std::string& what, const std::string& path);

}  // namespace ascent
