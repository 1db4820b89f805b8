#include "samplers/openai/openai_errors.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"

namespace ptc::openai {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxMessageBytes = 512;

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  return "";
}

std::optional<std::string_view> FindHeader(const http::ResponseHead& head,
                                           std::string_view lower_name) {
  for (const auto& [name, value] : head.headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
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

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  const absl::string_view v = absl::StripAsciiWhitespace(Absl(value));
  double seconds = 0;
  if (absl::SimpleAtod(v, &seconds)) {
    if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
    seconds = std::min(seconds, 86400.0);
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", v, absl::UTCTimeZone(), &t, &err)) {
    return std::nullopt;
  }
  const absl::Duration d = t - absl::FromChrono(now);
  if (d <= absl::ZeroDuration()) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(std::min(d, absl::Hours(24))));
}

std::string SanitizeMessage(std::string_view message, std::string_view api_key) {
  std::string m(message);
  if (api_key.size() >= 4) absl::StrReplaceAll({{Absl(api_key), "***"}}, &m);
  static const RE2* const kKey = new RE2(R"((sk-|sk-proj-|sk-ant-)[A-Za-z0-9_\-\*]{4,})");
  RE2::GlobalReplace(&m, *kKey, "\\1***");
  if (m.size() > kMaxMessageBytes) {
    size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(m[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    m.resize(cut);
    m += "...";
  }
  return m;
}

http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view api_key,
                                      std::chrono::system_clock::time_point now) {
  const ErrorBody e = ParseErrorBody(body);
  std::string message = absl::StrCat("HTTP ", head.status);
  if (!e.json) {
    if (!body.empty()) absl::StrAppend(&message, " (non-JSON body)");
  } else if (!e.message.empty()) {
    absl::StrAppend(&message, ": ", SanitizeMessage(e.message, api_key));
  }
  http::UpstreamError out;
  out.status = StatusFor(head.status, message);
  const absl::StatusCode code = out.status.code();
  out.retryable = code == absl::StatusCode::kUnavailable ||
                  (code == absl::StatusCode::kResourceExhausted && !QuotaSpent(e));
  if (out.retryable) {
    if (auto ms = FindHeader(head, "retry-after-ms")) {
      double v = 0;
      if (absl::SimpleAtod(Absl(*ms), &v) && std::isfinite(v) && v >= 0) {
        out.retry_after = std::chrono::milliseconds(static_cast<int64_t>(std::min(v, 864e5)));
      }
    }
    if (!out.retry_after.has_value()) {
      if (auto ra = FindHeader(head, "retry-after")) out.retry_after = ParseRetryAfter(*ra, now);
    }
  }
  return out;
}

http::UpstreamError ClassifyErrorObject(const ErrorBody& error, std::string_view api_key) {
  const std::string message = absl::StrCat("error in stream", error.message.empty() ? "" : ": ",
                                           SanitizeMessage(error.message, api_key));
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
