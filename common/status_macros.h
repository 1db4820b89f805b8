// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr (Abseil 20220623 has
// none). Internal APIs return absl::Status; nothing throws across them.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PTC_STATUS_CONCAT_INNER_(a, b) a##b
#define PTC_STATUS_CONCAT_(a, b) PTC_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status _ptc_status = (expr);       \
    if (!_ptc_status.ok()) return _ptc_status; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` assigns the value of an absl::StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  PTC_ASSIGN_OR_RETURN_IMPL_(PTC_STATUS_CONCAT_(_ptc_statusor_, __LINE__), lhs, rexpr)

#define PTC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)   \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
