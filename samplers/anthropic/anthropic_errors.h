// Reads Anthropic's errors: HTTP error answers ({"type": "error", "error": {"type", "message"}})
// and `error` events in a stream, into an absl::Status code and whether a retry may help.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "samplers/http/chain_protocol.h"

namespace ptc::anthropic {

// The code for an Anthropic error type ("overloaded_error" -> UNAVAILABLE, "rate_limit_error" ->
// RESOURCE_EXHAUSTED, "invalid_request_error" -> INVALID_ARGUMENT, ...; unknown -> UNKNOWN).
absl::StatusCode CodeForErrorType(std::string_view type);
// Whether an error of this type may be retried: overloaded_error, api_error, rate_limit_error
// and timeout_error.
bool RetryableErrorType(std::string_view type);

// A `retry-after` value: delay-seconds (fractions accepted) or an HTTP-date (relative to `now`).
// nullopt when absent or unreadable; a date in the past is 0.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, absl::Time now);

// A non-2xx answer. The message is "HTTP <status> <error type>: <API message>" from the JSON body,
// or a description of the body when it is not Anthropic's JSON (an HTML page from a proxy is
// never quoted). Any occurrence of `secret` (the API key) is redacted.
http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view secret, absl::Time now = absl::Now());

// Replaces every occurrence of `secret` in `text` by "[redacted]" (no-op for an empty secret).
std::string Redact(std::string text, std::string_view secret);

}  // namespace ptc::anthropic
