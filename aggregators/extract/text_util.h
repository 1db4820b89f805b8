// Text helpers shared by the answer extractors. All functions are linear in their input, work on
// bytes (ASCII rules only; other UTF-8 bytes pass through untouched) and accept invalid UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace ptc::extract_internal {

// Debian's Abseil (20220623) has its own absl::string_view, distinct from std::string_view.
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// `s` without leading and trailing ASCII whitespace.
std::string_view TrimAsciiWhitespace(std::string_view s);

// Free-text normalisation used by the exact-text format:
//   - ASCII letters lower-cased (bytes >= 0x80 untouched);
//   - runs of ASCII whitespace collapsed to one space, leading/trailing whitespace removed;
//   - then, repeatedly until nothing changes: surrounding markdown `*`, backticks and double
//     quotes (ASCII and “ ”) stripped from either end, a pair of single quotes (ASCII or ‘ ’)
//     stripped when they enclose the text, trailing periods removed, whitespace re-trimmed.
// "  **The Eiffel  Tower**. " -> "the eiffel tower". May return an empty string.
std::string NormalizeFreeText(std::string_view text);

// Quotes `text` for an error message: at most `max_bytes` bytes, with "..." when cut.
std::string QuoteForError(std::string_view text, size_t max_bytes = 40);

}  // namespace ptc::extract_internal
