#include "samplers/http/url.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/address.hpp"

namespace ptc::http {

std::string Url::HostHeader() const {
  const std::string h = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  if (port == (tls ? 443 : 80)) return h;
  return absl::StrCat(h, ":", port);
}

bool Url::host_is_ip() const {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  Url out;
  out.base = std::string(url);
  std::string_view rest = url;
  if (rest.substr(0, 8) == "https://") {
    out.tls = true;
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError("the scheme must be http:// or https://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError("a base URL takes no query or fragment");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("a base URL takes no user info");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("unterminated IPv6 literal");
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::InvalidArgumentError("junk after the IPv6 literal");
      port = after.substr(1);
      if (port.empty()) return absl::InvalidArgumentError("empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return absl::InvalidArgumentError("empty port");
    }
  }
  if (out.host.empty()) return absl::InvalidArgumentError("no host");
  out.port = out.tls ? 443 : 80;
  if (!port.empty()) {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(absl::string_view(port.data(), port.size()), &p) || p == 0 || p > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port \"", std::string(port), "\""));
    }
    out.port = static_cast<uint16_t>(p);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.prefix = std::string(path);
  return out;
}

}  // namespace ptc::http
