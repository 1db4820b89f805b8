// SHA-256 of a byte string as 64 lower-case hex digits (OpenSSL). Used to store API keys hashed:
// the server keeps only Sha256Hex(key) and compares digests.
#pragma once

#include <string>
#include <string_view>

namespace ptc {

std::string Sha256Hex(std::string_view data);

// Whether `s` looks like a Sha256Hex result: exactly 64 hex digits, lower case.
bool IsSha256Hex(std::string_view s);

}  // namespace ptc
