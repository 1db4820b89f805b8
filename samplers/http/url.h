// Parsing of endpoint base URLs ("http://host:port/prefix", "https://host/prefix").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ptc::http {

struct Url {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  uint16_t port = 0;   // the scheme's default when the URL gives none
  std::string prefix;  // the path without a trailing '/', "" for none
  std::string base;    // the URL as configured (holds no secret; used in messages)

  // The Host header value: host, with ":port" when it is not the scheme's default.
  std::string HostHeader() const;
  bool host_is_ip() const;
};

// INVALID_ARGUMENT (the message names the problem, not the caller's field) when `url` is not an
// http or https URL with a host, an optional port and an optional path (no query, fragment or
// user info).
absl::StatusOr<Url> ParseUrl(std::string_view url);

}  // namespace ptc::http
