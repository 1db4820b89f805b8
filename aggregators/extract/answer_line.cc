#include "aggregators/extract/answer_line.h"

namespace ptc::extract_internal {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Where the text after the last marker begins, or kNpos.
size_t EndOfLastMarker(std::string_view text, const RE2& marker) {
  const re2::StringPiece input(text.data(), text.size());
  re2::StringPiece m;
  size_t pos = 0;
  size_t last_end = kNpos;
  while (pos < input.size() && marker.Match(input, pos, input.size(), RE2::UNANCHORED, &m, 1)) {
    last_end = static_cast<size_t>(m.data() - input.data()) + m.size();
    pos = last_end;
  }
  return last_end;
}

}  // namespace

ExtractedAnswer ExtractAnswerLine(std::string_view text, const RE2& marker,
                                  absl::FunctionRef<std::string(std::string_view)> normalize) {
  const size_t after_marker = EndOfLastMarker(text, marker);
  if (after_marker != kNpos) {
    // The rest of the marker's line, else the next non-empty line.
    size_t begin = after_marker;
    while (begin <= text.size()) {
      size_t end = text.find('\n', begin);
      if (end == kNpos) end = text.size();
      std::string value = normalize(text.substr(begin, end - begin));
      if (!value.empty()) return {true, std::move(value)};
      begin = end + 1;
    }
    return {};
  }
  // The last non-empty line.
  size_t end = text.size();
  while (true) {
    const size_t nl = end == 0 ? kNpos : text.rfind('\n', end - 1);
    const size_t begin = nl == kNpos ? 0 : nl + 1;
    std::string value = normalize(text.substr(begin, end - begin));
    if (!value.empty()) return {true, std::move(value)};
    if (nl == kNpos) return {};
    end = nl;
  }
}

}  // namespace ptc::extract_internal
