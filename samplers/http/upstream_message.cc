#include "samplers/http/upstream_message.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace ptc::http {
namespace {

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, absl::Time now) {
  const absl::string_view v = absl::StripAsciiWhitespace(Absl(value));
  if (v.empty()) return std::nullopt;
  double seconds = 0;
  if (absl::SimpleAtod(v, &seconds)) {
    if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
    seconds = std::min(seconds, 86400.0);
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
  }
  absl::Time when;
  std::string err;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", v, absl::UTCTimeZone(), &when, &err)) {
    return std::nullopt;
  }
  const absl::Duration wait = std::clamp(when - now, absl::ZeroDuration(), absl::Hours(24));
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(wait));
}

std::string SafeUpstreamMessage(std::string_view message, std::string_view secret) {
  std::string m(message);
  if (secret.size() >= 4) absl::StrReplaceAll({{Absl(secret), "[redacted]"}}, &m);
  static const RE2* const kKey = new RE2(R"(\bsk-[A-Za-z0-9_\-\*]{4,})");
  RE2::GlobalReplace(&m, *kKey, "[redacted]");
  for (char& c : m) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (m.size() > kMaxUpstreamMessageBytes) {
    size_t cut = kMaxUpstreamMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(m[cut]) & 0xC0) == 0x80) --cut;
    m.resize(cut);
    m += "...";
  }
  return m;
}

}  // namespace ptc::http
