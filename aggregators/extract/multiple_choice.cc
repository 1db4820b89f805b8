#include "aggregators/extract/multiple_choice.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/re2_util.h"
#include "aggregators/extract/text_util.h"
#include "re2/re2.h"

namespace ptc::extract_internal {
namespace {

constexpr std::string_view kDefaultLetters = "ABCD";
constexpr std::string_view kLettersField = "answer_format.multiple_choice.letters";

// An answer marker: "answer:" (with optional markdown bold around the colon) or "answer is" /
// "answer is:", then optionally "option" / "choice" / "letter". Ends where the letter may begin.
constexpr std::string_view kMarker =
    R"((?i:answer)(?:(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*|[ \t]+(?i:is)(?:[ \t]*:[ \t]*|[ \t]+)))"
    R"((?:(?i:option|choice|letter)[ \t]*)?)";
// Decorations before and after a letter.
constexpr std::string_view kOpen =
    R"((?:\*\*?|\$|\(|\[|\{|\\text(?:bf)?[ \t]*\{|\\math(?:rm|bf)[ \t]*\{))";
constexpr std::string_view kClose = R"([\)\]\}\*\$\.:,])";
constexpr std::string_view kNotLetter = R"((?:[^A-Za-z]|$))";
// After a bare letter: not a letter, and not "." then a letter ("e.g.").
constexpr std::string_view kBareEnd = R"((?:$|[^A-Za-z.]|\.(?:$|[^A-Za-z])))";
// After a bare "a" / "i": also not blanks then a word ("the answer is a mixture").
constexpr std::string_view kClauseEnd = R"((?:[ \t]*(?:$|[^A-Za-z \t.])|\.(?:$|[^A-Za-z])))";

absl::Status ValidateLetters(std::string_view letters) {
  std::array<bool, 26> seen{};
  for (char c : letters) {
    if (c < 'A' || c > 'Z') {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(kLettersField), ": only upper-case letters A-Z are allowed, got ",
                       QuoteForError(letters)));
    }
    if (seen[c - 'A']) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(kLettersField), ": letter '", std::string(1, c), "' appears twice"));
    }
    seen[c - 'A'] = true;
  }
  return absl::OkStatus();
}

class MultipleChoiceExtractor final : public AnswerExtractor {
 public:
  static constexpr int kMaxGroups = 5;

  MultipleChoiceExtractor(std::string letters, std::unique_ptr<RE2> simple_evals,
                          std::unique_ptr<RE2> variants)
      : letters_(std::move(letters)),
        simple_evals_(std::move(simple_evals)),
        variants_(std::move(variants)) {}

  ExtractedAnswer Extract(std::string_view text) const override {
    const re2::StringPiece input(text.data(), text.size());
    // 1. simple-evals: the first match.
    re2::StringPiece group[kMaxGroups + 1];
    if (simple_evals_->Match(input, 0, input.size(), RE2::UNANCHORED, group, 2)) {
      return Letter(group[1][0]);
    }
    // 2. Variants: the last match. Each search resumes right after the previous letter, so the
    // positions only grow and every search is bounded by the distance to its own match (plus the
    // few bytes of trailing decoration the pattern looks at).
    char found = 0;
    size_t pos = 0;
    const int groups = std::min(variants_->NumberOfCapturingGroups(), kMaxGroups);
    while (pos <= input.size() &&
           variants_->Match(input, pos, input.size(), RE2::UNANCHORED, group, groups + 1)) {
      bool matched = false;
      for (int g = 1; g <= groups && !matched; ++g) {
        if (group[g].data() != nullptr && !group[g].empty()) {
          found = group[g][0];
          pos = static_cast<size_t>(group[g].data() - input.data()) + 1;
          matched = true;
        }
      }
      if (!matched) break;  // cannot happen: every alternative captures its letter
    }
    if (found == 0) return {};
    return Letter(found);
  }

  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    std::string_view s = TrimAsciiWhitespace(reference);
    // A bare letter with optional decorations: "b", "(B)", "B.", "**B**", "[B]".
    constexpr std::string_view kDecoration = "()[]{}*$.: \t";
    while (!s.empty() && kDecoration.find(s.front()) != std::string_view::npos) {
      s.remove_prefix(1);
    }
    while (!s.empty() && kDecoration.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
    if (s.size() == 1 && absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) {
      const char upper = absl::ascii_toupper(static_cast<unsigned char>(s[0]));
      if (letters_.find(upper) != std::string::npos) return std::string(1, upper);
      return absl::InvalidArgumentError(
          absl::StrCat("'", std::string(1, upper), "' is not one of the letters ", letters_));
    }
    ExtractedAnswer a = Extract(reference);
    if (a.parseable) return a.value;
    return absl::InvalidArgumentError(absl::StrCat(
        QuoteForError(reference), " is not a letter out of ", letters_, " (e.g. \"B\")"));
  }

  bool Matches(std::string_view answer, std::string_view reference) const override {
    return answer == reference;
  }

 private:
  static ExtractedAnswer Letter(char c) {
    return {true, std::string(1, absl::ascii_toupper(static_cast<unsigned char>(c)))};
  }

  const std::string letters_;
  const std::unique_ptr<RE2> simple_evals_;
  const std::unique_ptr<RE2> variants_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AnswerExtractor>> CreateMultipleChoiceExtractor(
    const v1::AnswerFormat::MultipleChoice& format) {
  std::string letters = format.letters().empty() ? std::string(kDefaultLetters) : format.letters();
  if (absl::Status s = ValidateLetters(letters); !s.ok()) return s;

  const std::string upper = letters;
  const std::string lower = absl::AsciiStrToLower(letters);
  const std::string either = absl::StrCat("[", upper, lower, "]");

  // simple-evals, adapted: (?i)Answer[ \t]*:[ \t]*\$?([A-D])\$? and no letter right after.
  const std::string simple_evals =
      absl::StrCat(R"((?i:answer)[ \t]*:[ \t]*\$?()", either, R"()\$?)", ToAbsl(kNotLetter));

  // Bare lower-case letters that are also English words ("a", "i") must end their clause;
  // the others only must not run on into a word.
  std::string lower_words;
  std::string lower_others;
  for (char c : lower) (c == 'a' || c == 'i' ? lower_words : lower_others).push_back(c);

  const std::string no_letter = R"([^\x00-\xFF])";  // matches nothing in Latin-1
  std::string variants = absl::StrCat(
      ToAbsl(kMarker), "(?:",
      // Group 1: a decorated letter, either case; the last decoration touches the letter.
      "(?:", ToAbsl(kOpen), "[ \\t]*)*", ToAbsl(kOpen), "(", either, ")[ \\t]*", ToAbsl(kClose),
      "*", ToAbsl(kNotLetter),
      // Group 2: a bare upper-case letter.
      "|([", upper, "])", ToAbsl(kBareEnd));
  // Groups 3 and 4 (an empty class is left out, so its group never matches).
  absl::StrAppend(&variants, "|(",
                  lower_others.empty() ? no_letter : absl::StrCat("[", lower_others, "]"), ")",
                  ToAbsl(kBareEnd));
  absl::StrAppend(&variants, "|(",
                  lower_words.empty() ? no_letter : absl::StrCat("[", lower_words, "]"), ")",
                  ToAbsl(kClauseEnd), ")");
  // Group 5: \boxed{B}, \boxed{(B)}, \boxed{\text{B}}.
  absl::StrAppend(
      &variants,
      R"(|\\(?:boxed|fbox)[ \t]*\{[ \t]*(?:\\(?:text|textbf|mathrm|mathbf)[ \t]*\{[ \t]*)?)",
      R"([\(\[]?[ \t]*()", either, R"()[ \t]*[\)\]]?(?:[ \t]*\})+)");

  auto simple_re = CompileFixedPattern(simple_evals);
  auto variants_re = CompileFixedPattern(variants);
  if (!simple_re->ok() || !variants_re->ok()) {
    return absl::InternalError(absl::StrCat("multiple-choice patterns do not compile: ",
                                            simple_re->error(), " ", variants_re->error()));
  }
  return std::make_unique<MultipleChoiceExtractor>(std::move(letters), std::move(simple_re),
                                                   std::move(variants_re));
}

}  // namespace ptc::extract_internal
