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

// A non-2xx answer. The message is "HTTP <status> <error type>: <API message>" from the JSON body,
// or a description of the body when it is not Anthropic's JSON (an HTML page from a proxy is
// never quoted). The message is made safe by http::SafeUpstreamMessage (`secret` redacted).
http::UpstreamError ClassifyHttpError(const http::ResponseHead& head, std::string_view body,
                                      std::string_view secret, absl::Time now = absl::Now());

}  // namespace ptc::anthropic
