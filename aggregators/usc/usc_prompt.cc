#include "aggregators/usc/usc_prompt.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace ptc {
namespace {

constexpr std::string_view kIntro =
    "Several responses were written independently to the question below. Evaluate them and "
    "select the response that is most consistent with the others, that is, the one whose final "
    "answer agrees with the majority of the responses.\n\n";

constexpr std::string_view kClosingBegin =
    "Which response is most consistent with the others? End your reply with a line of the form "
    "\"Answer: Response k\", where k is the number of that response (1 to ";
constexpr std::string_view kClosingEnd = ").\n";

// The longest number BuildUscPrompt writes (kMaxUscResponses has two digits; room for more).
constexpr size_t kMaxNumberBytes = 10;

std::string ResponseBegin(size_t k) { return absl::StrCat("=== Response ", k, " ===\n"); }
std::string ResponseEnd(size_t k) { return absl::StrCat("\n=== End of response ", k, " ===\n\n"); }

// The last match's group 1, via a greedy prefix: one linear pass.
std::optional<std::string> LastGroup(const RE2& re, std::string_view text) {
  std::string group;
  if (!RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re, &group)) {
    return std::nullopt;
  }
  return group;
}

}  // namespace

std::string BuildUscPrompt(std::string_view question, const std::vector<std::string>& responses) {
  std::string out(kIntro);
  absl::StrAppend(&out, "=== Question ===\n", absl::string_view(question.data(), question.size()),
                  "\n=== End of question ===\n\n");
  for (size_t k = 1; k <= responses.size(); ++k) {
    absl::StrAppend(&out, ResponseBegin(k), responses[k - 1], ResponseEnd(k));
  }
  out.append(kClosingBegin);
  absl::StrAppend(&out, responses.size());
  out.append(kClosingEnd);
  return out;
}

size_t MaxUscPromptBytes(size_t question_bytes, size_t responses, size_t response_bytes) {
  const size_t markers = ResponseBegin(0).size() + ResponseEnd(0).size() + 2 * kMaxNumberBytes;
  return kIntro.size() + question_bytes + std::string_view("=== Question ===\n").size() +
         std::string_view("\n=== End of question ===\n\n").size() +
         responses * (response_bytes + markers) + kClosingBegin.size() + kMaxNumberBytes +
         kClosingEnd.size();
}

UscChoice ParseUscSelection(std::string_view reply, size_t count) {
  // Emphasis and brackets that may surround the key and the number.
  static const RE2 kAnswer(
      R"((?is).*answer[\s*_]*[:=][\s*_]*(?:the\s+)?(?:response|candidate)?[\s#*_\[(]*(\d{1,9})\b)");
  static const RE2 kMostConsistent(
      R"((?is).*most\s+consistent(?:\s+(?:response|one|answer))?\s*(?:is|was|:)[\s*_:]*(?:the\s+)?(?:response|candidate)?[\s#*_\[(]*(\d{1,9})\b)");
  std::optional<std::string> number = LastGroup(kAnswer, reply);
  if (!number.has_value()) number = LastGroup(kMostConsistent, reply);
  UscChoice out;
  if (!number.has_value()) {
    out.error = "no \"Answer: Response k\" in the reply";
    return out;
  }
  uint32_t k = 0;
  if (!absl::SimpleAtoi(*number, &k) || k < 1 || k > count) {
    out.error =
        absl::StrCat("the reply names Response ", *number, ", not one of the ", count, " shown");
    return out;
  }
  out.response = k;
  return out;
}

}  // namespace ptc
