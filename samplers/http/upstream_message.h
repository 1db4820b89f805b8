// What the protocol plugins share when they turn an upstream error answer into a chain's error:
// reading `retry-after`, and making an upstream message safe to put in a status, a log or a
// response.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace ptc::http {

// A `retry-after` value: delay-seconds (fractions accepted, surrounding spaces ignored) or an
// HTTP-date (RFC 9110 IMF-fixdate) relative to `now`. A date in the past is 0; anything beyond a
// day is a day. nullopt when empty, negative or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, absl::Time now);

// The longest upstream message kept, in bytes (before the "..." that marks a cut).
inline constexpr size_t kMaxUpstreamMessageBytes = 512;

// `message` made safe to show: every occurrence of `secret` (the API key; ignored when shorter
// than 4 bytes) and anything shaped like a provider key ("sk-…", "sk-ant-…") masked as
// "[redacted]", control characters (a multi-line message would make log lines ambiguous) turned
// into spaces, and the text cut at kMaxUpstreamMessageBytes on a UTF-8 character boundary.
std::string SafeUpstreamMessage(std::string_view message, std::string_view secret);

}  // namespace ptc::http
