#include "samplers/anthropic/anthropic_errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "samplers/http/upstream_message.h"

namespace ptc::anthropic {
namespace {

absl::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
    case 413:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 402:
      return absl::StatusCode::kFailedPrecondition;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 408:
      return absl::StatusCode::kUnavailable;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      return status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusCode CodeForErrorType(std::string_view type) {
  if (type == "invalid_request_error" || type == "request_too_large") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (type == "authentication_error") return absl::StatusCode::kUnauthenticated;
  if (type == "permission_error") return absl::StatusCode::kPermissionDenied;
  if (type == "billing_error") return absl::StatusCode::kFailedPrecondition;
  if (type == "not_found_error") return absl::StatusCode::kNotFound;
  if (type == "rate_limit_error") return absl::StatusCode::kResourceExhausted;
  if (type == "overloaded_error" || type == "api_error" || type == "timeout_error") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kUnknown;
}

bool RetryableErrorType(std::string_view type) {
  return type == "overloaded_error" || type == "api_error" || type == "rate_limit_error" ||
         type == "timeout_error";
}

http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view secret, absl::Time now) {
  http::UpstreamError out;
  absl::StatusCode code = CodeForHttpStatus(head.status);
  // 5xx (529 is Anthropic's "overloaded"), 408 and 429 are transient.
  out.retryable = head.status >= 500 || head.status == 408 || head.status == 429;
  if (auto v = head.Header("retry-after")) out.retry_after = http::ParseRetryAfter(*v, now);

  std::string detail;
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json* error = nullptr;
  if (json.is_object()) {
    auto it = json.find("error");
    if (it != json.end() && it->is_object()) error = &*it;
  }
  if (error != nullptr) {
    std::string type, message;
    if (auto t = error->find("type"); t != error->end() && t->is_string()) type = *t;
    if (auto m = error->find("message"); m != error->end() && m->is_string()) message = *m;
    if (!type.empty()) {
      // The body's type refines the code when the status alone says little (e.g. a 500 that is
      // an overload).
      const absl::StatusCode typed = CodeForErrorType(type);
      if (typed != absl::StatusCode::kUnknown && code == absl::StatusCode::kUnknown) code = typed;
      if (RetryableErrorType(type)) out.retryable = true;
    }
    detail = absl::StrCat(type.empty() ? "" : " ", type, message.empty() ? "" : ": ",
                          http::SafeUpstreamMessage(message, secret));
  } else {
    const auto content_type = head.Header("content-type");
    const bool html = (content_type && content_type->find("html") != std::string_view::npos) ||
                      Trim(body).substr(0, 1) == "<";
    detail = body.empty() ? " (empty body)"
                          : absl::StrCat(html ? " (an HTML page, " : " (a non-JSON body, ",
                                         body.size(), " bytes, not Anthropic's error JSON)");
  }
  out.status = absl::Status(code, absl::StrCat("Anthropic API HTTP ", head.status, detail));
  return out;
}

}  // namespace ptc::anthropic
