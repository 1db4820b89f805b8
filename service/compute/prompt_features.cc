#include "service/compute/prompt_features.h"

#include <array>
#include <cctype>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace ptc::compute {
namespace {

// Phrases that ask for a form rather than a result (IFEval-style constraints).
constexpr std::array<std::string_view, 14> kConstraintCues = {
    "lowercase", "uppercase",  "capital letters", "words",  "exact phrase",
    "end your",  "start your", "begin your",      "commas", "include the word",
    "at most",   "at least",   "do not use",      "format",
};

// "A) ...", "B. ...", "(C) ..." lines: the choices of a multiple-choice question.
bool IsChoiceLine(std::string_view line) {
  while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
  if (!line.empty() && line[0] == '(') line.remove_prefix(1);
  return line.size() >= 2 && line[0] >= 'A' && line[0] <= 'Z' &&
         (line[1] == ')' || line[1] == '.' || line[1] == ':');
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace

const std::vector<std::string>& PromptFeatureNames() {
  static const auto* names = new std::vector<std::string>{
      "log_bytes",      "log_words",   "choice_lines", "constraint_cues", "question_marks",
      "digit_fraction", "answer_line", "step_by_step", "math_symbols",
  };
  return *names;
}

std::vector<float> PromptFeatures(const std::vector<ChatMessage>& messages) {
  std::string text;
  for (const ChatMessage& m : messages) {
    text += m.content;
    text += '\n';
  }
  return PromptFeatures(text);
}

std::vector<float> PromptFeatures(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  size_t words = 0, digits = 0, math = 0, choice_lines = 0, cues = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++words;
    in_word = !space;
    if (c >= '0' && c <= '9') ++digits;
    if (c == '=' || c == '+' || c == '^' || c == '*' || c == '/') ++math;
  }
  for (const absl::string_view line :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    if (IsChoiceLine(std::string_view(line.data(), line.size()))) ++choice_lines;
  }
  for (const std::string_view cue : kConstraintCues) cues += Count(lower, cue);
  const double bytes = static_cast<double>(text.size());
  return {
      static_cast<float>(std::log1p(bytes)),
      static_cast<float>(std::log1p(static_cast<double>(words))),
      static_cast<float>(choice_lines),
      static_cast<float>(cues),
      static_cast<float>(Count(text, "?")),
      static_cast<float>(bytes > 0 ? digits / bytes : 0),
      absl::StrContains(lower, "answer:") ? 1.0f : 0.0f,
      absl::StrContains(lower, "step by step") ? 1.0f : 0.0f,
      static_cast<float>(bytes > 0 ? math / bytes : 0),
  };
}

}  // namespace ptc::compute
