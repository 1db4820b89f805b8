#include "aggregators/extract/text_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ptc::extract_internal {
namespace {

constexpr std::string_view kLeftDoubleQuote = "\xE2\x80\x9C";   // “
constexpr std::string_view kRightDoubleQuote = "\xE2\x80\x9D";  // ”
constexpr std::string_view kLeftSingleQuote = "\xE2\x80\x98";   // ‘
constexpr std::string_view kRightSingleQuote = "\xE2\x80\x99";  // ’

bool IsStripChar(char c) { return c == '*' || c == '`' || c == '"'; }

// One round of stripping; returns whether anything was removed.
bool StripOnce(std::string_view& s) {
  const size_t before = s.size();
  s = TrimAsciiWhitespace(s);
  while (!s.empty() && IsStripChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && (IsStripChar(s.back()) || s.back() == '.')) s.remove_suffix(1);
  for (std::string_view quote : {kLeftDoubleQuote, kRightDoubleQuote}) {
    if (s.starts_with(quote)) s.remove_prefix(quote.size());
    if (s.ends_with(quote)) s.remove_suffix(quote.size());
  }
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') {
    s.remove_prefix(1);
    s.remove_suffix(1);
  }
  if (s.starts_with(kLeftSingleQuote) && s.ends_with(kRightSingleQuote) &&
      s.size() >= kLeftSingleQuote.size() + kRightSingleQuote.size()) {
    s.remove_prefix(kLeftSingleQuote.size());
    s.remove_suffix(kRightSingleQuote.size());
  }
  s = TrimAsciiWhitespace(s);
  return s.size() != before;
}

}  // namespace

std::string_view TrimAsciiWhitespace(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

std::string NormalizeFreeText(std::string_view text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      pending_space = !collapsed.empty();
      continue;
    }
    if (pending_space) collapsed.push_back(' ');
    pending_space = false;
    collapsed.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  std::string_view s = collapsed;
  while (StripOnce(s)) {
  }
  return std::string(s);
}

std::string QuoteForError(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::StrCat("'", ToAbsl(text), "'");
  return absl::StrCat("'", ToAbsl(text.substr(0, max_bytes)), "...'");
}

}  // namespace ptc::extract_internal
