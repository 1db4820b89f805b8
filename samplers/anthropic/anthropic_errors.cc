#include "samplers/anthropic/anthropic_errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"

namespace ptc::anthropic {
namespace {

constexpr size_t kMaxMessageBytes = 512;

std::string Bounded(std::string s) {
  if (s.size() > kMaxMessageBytes) {
    s.resize(kMaxMessageBytes);
    s += "...";
  }
  // Control characters (newlines from a multi-line message) would make log lines ambiguous.
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s;
}

std::optional<std::string_view> HeaderValue(const http::ResponseHead& head,
                                            std::string_view lower_name) {
  for (const auto& [name, value] : head.headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

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

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, absl::Time now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  if (absl::SimpleAtod(absl::string_view(value.data(), value.size()), &seconds)) {
    if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
    seconds = std::min(seconds, 86400.0);  // a day: anything longer is nonsense
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
  }
  absl::Time when;
  std::string err;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), &when, &err)) {
    return std::nullopt;
  }
  const absl::Duration wait = std::clamp(when - now, absl::ZeroDuration(), absl::Hours(24));
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(wait));
}

std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  return absl::StrReplaceAll(text,
                             {{absl::string_view(secret.data(), secret.size()), "[redacted]"}});
}

http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view secret, absl::Time now) {
  http::UpstreamError out;
  absl::StatusCode code = CodeForHttpStatus(head.status);
  // 5xx (529 is Anthropic's "overloaded"), 408 and 429 are transient.
  out.retryable = head.status >= 500 || head.status == 408 || head.status == 429;
  if (auto v = HeaderValue(head, "retry-after")) out.retry_after = ParseRetryAfter(*v, now);

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
                          Bounded(Redact(std::move(message), secret)));
  } else {
    const auto content_type = HeaderValue(head, "content-type");
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
