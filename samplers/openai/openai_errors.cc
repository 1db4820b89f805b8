#include "samplers/openai/openai_errors.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "samplers/http/upstream_message.h"

namespace ptc::openai {
namespace {

using Json = nlohmann::json;

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  return "";
}

absl::Status StatusFor(int http_status, const std::string& message) {
  switch (http_status) {
    case 400:
    case 413:
    case 422:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    case 501:
      return absl::UnimplementedError(message);
    default:
      break;
  }
  if (http_status == 408 || http_status == 409 || http_status >= 500) {
    return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

bool QuotaSpent(const ErrorBody& e) {
  return e.code == "insufficient_quota" || e.type == "insufficient_quota";
}

}  // namespace

ErrorBody ParseErrorBody(std::string_view body) {
  ErrorBody out;
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return out;
  out.json = true;
  if (!j.is_object()) return out;
  const Json* obj = &j;
  if (auto it = j.find("error"); it != j.end()) {
    if (it->is_string()) {
      out.message = it->get<std::string>();
      return out;
    }
    if (it->is_object()) obj = &*it;
  }
  if (auto it = obj->find("message"); it != obj->end()) out.message = Text(*it);
  if (auto it = obj->find("type"); it != obj->end()) out.type = Text(*it);
  if (auto it = obj->find("code"); it != obj->end()) out.code = Text(*it);
  return out;
}

http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view api_key,
                                      std::chrono::system_clock::time_point now) {
  const ErrorBody e = ParseErrorBody(body);
  std::string message = absl::StrCat("HTTP ", head.status);
  if (!e.json) {
    if (!body.empty()) absl::StrAppend(&message, " (non-JSON body)");
  } else if (!e.message.empty()) {
    absl::StrAppend(&message, ": ", http::SafeUpstreamMessage(e.message, api_key));
  }
  http::UpstreamError out;
  out.status = StatusFor(head.status, message);
  const absl::StatusCode code = out.status.code();
  out.retryable = code == absl::StatusCode::kUnavailable ||
                  (code == absl::StatusCode::kResourceExhausted && !QuotaSpent(e));
  if (out.retryable) {
    if (auto ms = head.Header("retry-after-ms")) {
      double v = 0;
      if (absl::SimpleAtod(Absl(*ms), &v) && std::isfinite(v) && v >= 0) {
        out.retry_after = std::chrono::milliseconds(static_cast<int64_t>(std::min(v, 864e5)));
      }
    }
    if (!out.retry_after.has_value()) {
      if (auto ra = head.Header("retry-after")) {
        out.retry_after = http::ParseRetryAfter(*ra, absl::FromChrono(now));
      }
    }
  }
  return out;
}

http::UpstreamError ClassifyErrorObject(const ErrorBody& error, std::string_view api_key) {
  const std::string message = absl::StrCat("error in stream", error.message.empty() ? "" : ": ",
                                           http::SafeUpstreamMessage(error.message, api_key));
  http::UpstreamError out;
  int numeric = 0;
  const std::string type = absl::AsciiStrToLower(error.type);
  if (absl::SimpleAtoi(error.code, &numeric) && numeric >= 400 && numeric < 600) {
    out.status = StatusFor(numeric, message);
  } else if (type.find("rate_limit") != std::string::npos || error.code == "rate_limit_exceeded") {
    out.status = absl::ResourceExhaustedError(message);
  } else if (type == "server_error" || type.find("overloaded") != std::string::npos ||
             type.find("internalservererror") != std::string::npos) {
    out.status = absl::UnavailableError(message);
  } else {
    out.status = absl::InternalError(message);
  }
  const absl::StatusCode code = out.status.code();
  out.retryable = code == absl::StatusCode::kUnavailable ||
                  (code == absl::StatusCode::kResourceExhausted && !QuotaSpent(error));
  return out;
}

}  // namespace ptc::openai
