#include "samplers/openai/think_splitter.h"

#include <algorithm>

namespace ptc::openai {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

// The length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t PartialTagSuffix(std::string_view s, std::string_view tag) {
  for (size_t len = std::min(s.size(), tag.size() - 1); len > 0; --len) {
    if (s[s.size() - len] == tag[0] && s.substr(s.size() - len) == tag.substr(0, len)) return len;
  }
  return 0;
}

}  // namespace

ThinkSplitter::Output ThinkSplitter::Feed(std::string_view piece) {
  Output out;
  std::string buf;  // what was held back and the piece, when something was
  std::string_view rest = piece;
  if (!held_.empty()) {
    buf = std::move(held_);
    held_.clear();
    buf.append(piece);
    rest = buf;
  }
  if (at_start_) {
    if (rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest) {
      held_.assign(rest);  // could still be an echoed "<think>"
      return out;
    }
    at_start_ = false;
    if (rest.substr(0, kOpen.size()) == kOpen) rest.remove_prefix(kOpen.size());
  }
  while (!rest.empty()) {
    if (state_ == State::kAfter) {
      out.text.append(rest);
      break;
    }
    const std::string_view tag = state_ == State::kBefore ? kOpen : kClose;
    std::string& sink = state_ == State::kBefore ? out.text : out.reasoning;
    const size_t at = rest.find(tag);
    if (at != std::string_view::npos) {
      sink.append(rest.substr(0, at));
      rest.remove_prefix(at + tag.size());
      state_ = state_ == State::kBefore ? State::kInside : State::kAfter;
      continue;
    }
    const size_t partial = PartialTagSuffix(rest, tag);
    sink.append(rest.substr(0, rest.size() - partial));
    held_.assign(rest.substr(rest.size() - partial));
    break;
  }
  return out;
}

ThinkSplitter::Output ThinkSplitter::Flush() {
  Output out;
  (state_ == State::kInside ? out.reasoning : out.text) = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace ptc::openai
