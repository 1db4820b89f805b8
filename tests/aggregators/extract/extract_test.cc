// Answer extraction: table-driven cases per format, reference normalisation, matching, errors,
// and robustness (empty, invalid UTF-8, 1 MB texts, texts full of markers; not quadratic).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregators/extract/answer_extractor.h"
#include "aggregators/extract/number.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/aggregators/extract/answer_formats.h"

namespace ptc {
namespace {

using testing_formats::ExactText;
using testing_formats::MultipleChoice;
using testing_formats::Number;
using testing_formats::Regex;

std::unique_ptr<AnswerExtractor> MustCreate(const v1::AnswerFormat& format) {
  auto e = AnswerExtractor::Create(format);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *std::move(e) : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Extract: one row per case. `want` empty means "not parseable".

struct ExtractCase {
  std::string name;
  v1::AnswerFormat format;
  std::string text;
  std::string want;
};

void PrintTo(const ExtractCase& c, std::ostream* os) { *os << c.name; }

class ExtractTest : public testing::TestWithParam<ExtractCase> {};

TEST_P(ExtractTest, Extracts) {
  const ExtractCase& c = GetParam();
  std::unique_ptr<AnswerExtractor> e = MustCreate(c.format);
  ASSERT_NE(e, nullptr);
  const ExtractedAnswer got = e->Extract(c.text);
  if (c.want.empty()) {
    EXPECT_FALSE(got.parseable) << "text: " << c.text << "\ngot: " << got.value;
    EXPECT_EQ(got.value, "");
  } else {
    EXPECT_TRUE(got.parseable) << "text: " << c.text;
    EXPECT_EQ(got.value, c.want) << "text: " << c.text;
  }
}

std::vector<ExtractCase> MultipleChoiceCases() {
  const v1::AnswerFormat abcd = MultipleChoice();
  const v1::AnswerFormat abcde = MultipleChoice("ABCDE");
  return {
      // simple-evals canonical form and its first-match rule.
      {"SimpleEvalsCanonical", abcd, "Let me think step by step.\n...\nAnswer: B", "B"},
      {"SimpleEvalsDollar", abcd, "Answer: $C$", "C"},
      {"SimpleEvalsFirstMatchWins", abcd, "Answer: A\nOn reflection...\nAnswer: C", "A"},
      {"SimpleEvalsBeatsLaterVariant", abcd, "Answer: D\nThe answer is (B)", "D"},
      {"SimpleEvalsNoSpace", abcd, "ANSWER:c", "C"},
      {"AnswerBecauseIsNotB", abcd, "Answer: Because the field is uniform, ...", ""},
      {"AnswerBecauseThenRealAnswer", abcd, "Answer: Because of symmetry.\nAnswer: D", "D"},
      {"LowerCaseAfterColon", abcd, "answer: c", "C"},
      {"SimpleEvalsTakesLowerCaseA", abcd, "Answer: a mixture", "A"},  // as simple-evals grades
      {"Unset format is ABCD", v1::AnswerFormat(), "Answer: D", "D"},
      // Variants: the last match.
      {"ParenthesisedLetter", abcd, "Answer: (B)", "B"},
      {"LetterWithClosingParen", abcd, "Answer: B) 42 kelvin", "B"},
      {"BoldMarker", abcd, "**Answer:** B", "B"},
      {"BoldMarkerAndLetter", abcd, "**Answer:** **C**", "C"},
      {"BoldWholeLine", abcd, "**Answer: B**", "B"},
      {"BoldMarkerColonOutside", abcd, "**Answer**: (D)", "D"},
      {"FinalAnswer", abcd, "Final answer: B", "B"},
      {"TheAnswerIs", abcd, "So the answer is B.", "B"},
      {"TheAnswerIsColon", abcd, "The answer is: C", "C"},
      {"CorrectAnswerIsParen", abcd, "Therefore, the correct answer is (B).", "B"},
      {"AnswerIsOption", abcd, "Hence the answer is option C", "C"},
      {"AnswerIsLowerParen", abcd, "the answer is (d)", "D"},
      {"AnswerIsLowerBare", abcd, "so the answer is c", "C"},
      {"AnswerIsLowerBarePeriod", abcd, "so the answer is b. Done", "B"},
      {"Boxed", abcd, "Thus $\\boxed{B}$", "B"},
      {"BoxedText", abcd, "\\boxed{\\text{D}}", "D"},
      {"BoxedParen", abcd, "\\boxed{(A)}", "A"},
      {"Bracketed", abcd, "Answer: [B]", "B"},
      {"VariantsLastMatch", abcd, "The answer is (A)... wait, no. The answer is (C).", "C"},
      {"BoxedLastAfterMarker", abcd, "The answer is (A)\nActually \\boxed{D}", "D"},
      // Prose that is not an answer.
      {"ArticleAIsNotA", abcd, "I think the answer is a mixture of both effects.", ""},
      {"ArticleAAfterColonBold", abcd, "**Answer:** a mixture", ""},
      {"EgIsNotE", abcde, "the answer is e.g. the first one", ""},
      {"UpperEgIsNotE", abcde, "The answer is E.g. the first one", ""},
      {"LowerNonWordLetterBeforeWord", abcd, "so the answer is d because it fits", "D"},
      {"NestedDecorations", abcd, "The answer is **(C)**", "C"},
      {"BoxedLowerCase", abcd, "\\boxed{c}", "C"},
      {"UpperWordIsNotLetter", abcd, "The answer is Both", ""},
      {"NoMarker", abcd, "B is tempting, but C seems right.", ""},
      {"Empty", abcd, "", ""},
      // Letters outside the set.
      {"LetterOutsideAbcd", abcd, "Answer: E", ""},
      {"LetterInsideAbcde", abcde, "Answer: E", "E"},
      {"BoxedOutsideSet", abcd, "\\boxed{F}", ""},
      {"CustomLettersTwoOptions", MultipleChoice("XY"), "The answer is (y)", "Y"},
  };
}

std::vector<ExtractCase> NumberCases() {
  const v1::AnswerFormat num = Number();
  return {
      {"Integer", num, "The total is 42", "42"},
      {"LastNumberInText", num, "First 3 apples, then 5 pears, so 8", "8"},
      {"Negative", num, "x = -7", "-7"},
      {"UnicodeMinus", num,
       "x = \xE2\x88\x92"
       "7",
       "-7"},
      {"ExplicitPlus", num, "x = +7", "7"},
      {"MinusBetweenNumbersIsOperator", num, "3-5", "5"},
      {"ThousandsSeparators", num, "Answer: 1,234,567 people", "1234567"},
      {"CommaIsNotThousands", num, "Answer: 1,2", "1"},
      {"LatexThousands", num, "Answer: $1{,}000$", "1000"},
      {"LeadingDotDecimal", num, "Answer: .75", "0.75"},
      {"TrailingDot", num, "The answer is 5.", "5"},
      {"Decimal", num, "Answer: 3.14159", "3.14159"},
      {"Fraction", num, "Answer: 3/4", "0.75"},
      {"LatexFrac", num, "Answer: $\\frac{3}{4}$", "0.75"},
      {"LatexDfrac", num, "Answer: \\dfrac{3}{4}", "0.75"},
      {"NegativeLatexFrac", num, "Answer: $-\\frac{1}{2}$", "-0.5"},
      {"NegativeInsideFrac", num, "Answer: \\frac{-1}{2}", "-0.5"},
      {"NegativeSlashFraction", num, "Answer: -3/4", "-0.75"},
      {"Scientific", num, "Answer: 1.2e-3", "0.0012"},
      {"ScientificUpperPlus", num, "Answer: 1.2E+3", "1200"},
      {"ScientificTimesSign", num, "Answer: 1.2 \xC3\x97 10^-3", "0.0012"},
      {"ScientificLatexTimes", num, "Answer: $1.2 \\times 10^{-3}$", "0.0012"},
      {"BareTenPower", num, "Answer: $10^{3}$", "1000"},
      {"ScientificSuperscript", num, "Answer: 6.02 \xC3\x97 10\xC2\xB2\xC2\xB3 atoms", "6.02e23"},
      {"ScientificNegativeSuperscript", num,
       "Answer: 1.5\xC2\xB7"
       "10\xE2\x81\xBB\xE2\x81\xB4",
       "0.00015"},
      {"ThousandAsE3", num, "Answer: 1e3", "1000"},
      {"Percentage", num, "Answer: 45%", "45"},
      {"LatexPercentage", num, "Answer: $45\\%$", "45"},
      {"UnitsAfterNumber", num, "Answer: 12 m/s", "12"},
      {"UnitExponentIgnored", num, "g is about 9.81 m/s^2", "9.81"},
      {"Currency", num, "It costs \\$1,250.50 in total", "1250.5"},
      {"BoxedWins", num, "Answer: 7\nSo \\boxed{12}. Check: 13", "12"},
      {"LastBoxedWins", num, "\\boxed{1} then \\boxed{2}", "2"},
      {"BoxedFrac", num, "$\\boxed{\\frac{3}{4}}$", "0.75"},
      {"BoxedNegativeFrac", num, "\\boxed{-\\dfrac{1}{2}}", "-0.5"},
      {"BoxedWithUnit", num, "\\boxed{12 \\text{ m/s}}", "12"},
      {"BoxedWithoutNumber", num, "The value is 5, so \\boxed{\\text{none}}", ""},
      {"MarkerFirstNumberAfterIt", num, "Answer: 12 apples and 3 pears\nWe used 99 steps", "12"},
      {"LastMarkerWithNumber", num, "The answer is 4.\nFinal Answer: 6\nThe answer is clear", "6"},
      {"WordDigitsSkipped", num, "We need 2 moles of CO2", "2"},
      {"NoNegativeZero", num, "Answer: -0", "0"},
      {"NoNumber", num, "I cannot determine this.", ""},
      {"Empty", num, "", ""},
      {"Overflow", num, "Answer: 1e999", ""},
      {"DivisionByZero", num, "Answer: \\frac{1}{0}", ""},
  };
}

std::vector<ExtractCase> ExactTextCases() {
  const v1::AnswerFormat exact = ExactText();
  return {
      {"AfterMarker", exact, "Reasoning...\nAnswer: Paris", "paris"},
      {"LastMarker", exact, "Answer: Lyon\nNo wait.\nAnswer: Paris\nThat is all.", "paris"},
      {"Normalised", exact, "Answer:   **The  Eiffel\tTower**. ", "the eiffel tower"},
      {"Quotes", exact, "Final answer: \"Mount Everest\"", "mount everest"},
      {"Backticks", exact, "Answer: `O(n log n)`", "o(n log n)"},
      {"MarkerAloneOnItsLine", exact, "**Final Answer:**\n\nCarbon dioxide.\n", "carbon dioxide"},
      {"LastNonEmptyLine", exact, "Let me think.\nBlue whale\n\n  \n", "blue whale"},
      {"NonAsciiKept", exact, "Answer: Z\xC3\xBCrich", "z\xC3\xBCrich"},
      {"EmptyAfterNormalising", exact, "Answer: **.**", ""},
      {"Empty", exact, "", ""},
  };
}

std::vector<ExtractCase> RegexCases() {
  return {
      {"GroupLastMatch", Regex("ANSWER=(\\w+)"), "ANSWER=cat ... ANSWER=dog", "dog"},
      {"NoGroupWholeMatch", Regex("-?\\d+"), "12 apples, 345 pears", "345"},
      {"LastMatchIsNotLastStart", Regex("\\d+"), "a 12 b 345", "345"},
      {"GroupTrimmed", Regex("<answer>(.*?)</answer>"), "<answer> 42 </answer>", "42"},
      {"GroupDidNotTakePart", Regex("(x)|y"), "x then y", ""},
      {"NoMatch", Regex("#### (\\d+)"), "no hashes here", ""},
      {"EmptyWholeMatch", Regex("\\d*"), "abc", ""},
      {"Utf8Group", Regex("R\xC3\xA9ponse ?: (\\S+)"), "R\xC3\xA9ponse : \xC3\xA9t\xC3\xA9",
       "\xC3\xA9t\xC3\xA9"},
  };
}

std::string CaseName(const testing::TestParamInfo<ExtractCase>& info) {
  std::string name;
  for (char c : info.param.name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) name += c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(MultipleChoice, ExtractTest, testing::ValuesIn(MultipleChoiceCases()),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Number, ExtractTest, testing::ValuesIn(NumberCases()), CaseName);
INSTANTIATE_TEST_SUITE_P(ExactText, ExtractTest, testing::ValuesIn(ExactTextCases()), CaseName);
INSTANTIATE_TEST_SUITE_P(Regex, ExtractTest, testing::ValuesIn(RegexCases()), CaseName);

// ---------------------------------------------------------------------------------------------
// NormalizeReference: `want` empty means INVALID_ARGUMENT.

struct ReferenceCase {
  std::string name;
  v1::AnswerFormat format;
  std::string reference;
  std::string want;
};

TEST(NormalizeReferenceTest, Table) {
  const std::vector<ReferenceCase> cases = {
      {"McLowerCase", MultipleChoice(), "b", "B"},
      {"McDecorated", MultipleChoice(), " (C) ", "C"},
      {"McSentence", MultipleChoice(), "Answer: D", "D"},
      {"McOutsideSet", MultipleChoice(), "E", ""},
      {"McInsideCustomSet", MultipleChoice("ABCDE"), "e", "E"},
      {"McNotALetter", MultipleChoice(), "Paris", ""},
      {"NumThousands", Number(), "1,000", "1000"},
      {"NumScientific", Number(), "1e3", "1000"},
      {"NumFraction", Number(), "3/4", "0.75"},
      {"NumLatexFraction", Number(), "-\\frac{1}{2}", "-0.5"},
      {"NumWithUnitSquared", Number(), "9.8 m/s^2", "9.8"},
      {"NumBoxed", Number(), "\\boxed{42}", "42"},
      {"NumCommaNotThousands", Number(), "1,2", "1"},
      {"NumNone", Number(), "forty-two", ""},
      {"ExactSpaces", ExactText(), "  Paris ", "paris"},
      {"ExactEmpty", ExactText(), " ** ", ""},
      {"RegexTrimmed", Regex("(\\w+)"), " cat\n", "cat"},
      {"RegexEmpty", Regex("(\\w+)"), "  ", ""},
  };
  for (const ReferenceCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<AnswerExtractor> e = MustCreate(c.format);
    ASSERT_NE(e, nullptr);
    absl::StatusOr<std::string> got = e->NormalizeReference(c.reference);
    if (c.want.empty()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << c.reference;
    } else {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, c.want);
    }
  }
}

// The extracted and the normalised reference compare equal for equal numbers written differently.
TEST(NumberTest, EqualNumbersNormaliseEqually) {
  std::unique_ptr<AnswerExtractor> e = MustCreate(Number());
  ASSERT_NE(e, nullptr);
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"Answer: 3/4", "0.75"},        {"Answer: .75", "\\frac{3}{4}"}, {"Answer: 1,000", "1e3"},
      {"Answer: 1000.0", "1,000"},    {"Answer: -1/2", "-0.5"},        {"\\boxed{45\\%}", "45"},
      {"Answer: 1.2 x 10^3", "1200"},
  };
  for (const auto& [text, reference] : pairs) {
    SCOPED_TRACE(text);
    const ExtractedAnswer a = e->Extract(text);
    ASSERT_TRUE(a.parseable);
    absl::StatusOr<std::string> r = e->NormalizeReference(reference);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(a.value, *r);
    EXPECT_TRUE(e->Matches(a.value, *r));
  }
}

TEST(NumberTest, CanonicalForm) {
  using extract_internal::CanonicalNumber;
  EXPECT_EQ(CanonicalNumber(0.75), "0.75");
  EXPECT_EQ(CanonicalNumber(-0.0), "0");
  EXPECT_EQ(CanonicalNumber(1e15), "1e15");
  EXPECT_EQ(CanonicalNumber(1.2e-5), "1.2e-5");
  EXPECT_EQ(CanonicalNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(CanonicalNumber(123456789012.0), "123456789012");
}

struct MatchCase {
  std::string name;
  v1::AnswerFormat format;
  std::string answer;
  std::string reference;
  bool want;
};

TEST(MatchesTest, Table) {
  const std::vector<MatchCase> cases = {
      {"NumExact", Number(), "0.75", "0.75", true},
      {"NumDefaultToleranceTiny", Number(), "1.0000000001", "1", true},
      {"NumDefaultToleranceNotLoose", Number(), "1.001", "1", false},
      {"NumZeroReference", Number(), "0", "0", true},
      {"NumAbsoluteTolerance", Number(0, 0.01), "3.145", "3.14159", true},
      {"NumAbsoluteToleranceExceeded", Number(0, 0.001), "3.145", "3.14159", false},
      {"NumRelativeTolerance", Number(0.01, 0), "99.5", "100", true},
      {"NumRelativeToleranceExceeded", Number(0.01, 0), "98.5", "100", false},
      {"NumMaxOfBoth", Number(0.01, 5), "96", "100", true},
      {"NumMaxOfBothExceeded", Number(0.01, 5), "94", "100", false},
      {"NumNotANumber", Number(), "abc", "1", false},
      {"McEqual", MultipleChoice(), "B", "B", true},
      {"McDifferent", MultipleChoice(), "B", "C", false},
      {"ExactEqual", ExactText(), "paris", "paris", true},
      {"ExactDifferent", ExactText(), "paris", "lyon", false},
      {"RegexTrimmedEqual", Regex("(\\w+)"), "cat", " cat ", true},
      {"RegexDifferent", Regex("(\\w+)"), "cat", "dog", false},
  };
  for (const MatchCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<AnswerExtractor> e = MustCreate(c.format);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->Matches(c.answer, c.reference), c.want);
  }
}

// ---------------------------------------------------------------------------------------------
// Create errors name the field.

struct ErrorCase {
  std::string name;
  v1::AnswerFormat format;
  std::string field;
};

TEST(CreateTest, InvalidFormatsNameTheField) {
  const std::vector<ErrorCase> cases = {
      {"LowerCaseLetters", MultipleChoice("abcd"), "answer_format.multiple_choice.letters: "},
      {"RepeatedLetters", MultipleChoice("ABCA"), "answer_format.multiple_choice.letters: "},
      {"DigitLetters", MultipleChoice("AB1"), "answer_format.multiple_choice.letters: "},
      {"NegativeRelative", Number(-0.1, 0), "answer_format.number.relative_tolerance: "},
      {"NegativeAbsolute", Number(0, -1), "answer_format.number.absolute_tolerance: "},
      {"NanAbsolute", Number(0, std::nan("")), "answer_format.number.absolute_tolerance: "},
      {"EmptyPattern", Regex(""), "answer_format.regex.pattern: "},
      {"BadPattern", Regex("(unclosed"), "answer_format.regex.pattern: missing )"},
      {"BadRepetition", Regex("a**"), "answer_format.regex.pattern: bad repetition"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto e = AnswerExtractor::Create(c.format);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(e.status().message(), c.field)) << e.status();
  }
}

TEST(CreateTest, DefaultLettersAreAbcd) {
  std::unique_ptr<AnswerExtractor> e = MustCreate(MultipleChoice(""));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->Extract("Answer: D").value, "D");
  EXPECT_FALSE(e->Extract("Answer: E").parseable);
}

// ---------------------------------------------------------------------------------------------
// Robustness: never crashes, stays linear on large and adversarial texts.

std::vector<v1::AnswerFormat> AllFormats() {
  return {MultipleChoice(), MultipleChoice("ABCDEFGHIJ"),   Number(),
          ExactText(),      Regex("(?i)answer:\\s*(\\S+)"), Regex("\\d+")};
}

// The adversarial texts, each about `bytes` long.
std::vector<std::pair<std::string, std::string>> AdversarialTexts(size_t bytes) {
  std::vector<std::pair<std::string, std::string>> texts;
  texts.emplace_back("empty", "");
  texts.emplace_back("invalid utf-8", std::string("Answer: \xFF\xFE\xC3 B \xE2\x88 12\x80", 19));
  texts.emplace_back("nul bytes", std::string("Answer:\0B\0 12", 13));
  std::string markers;
  while (markers.size() < bytes) markers += "Answer:";
  texts.emplace_back("Answer: repeated", markers);
  std::string marker_lines;
  while (marker_lines.size() < bytes) marker_lines += "The answer is \\boxed{\n";
  texts.emplace_back("unclosed boxes", marker_lines);
  texts.emplace_back("digits", std::string(bytes, '7'));
  std::string commas;
  while (commas.size() < bytes) commas += "1,00";
  texts.emplace_back("bad thousands", commas);
  std::string fracs;
  while (fracs.size() < bytes) fracs += "\\frac{1}{";
  texts.emplace_back("unclosed fracs", fracs);
  std::string spaces = "Answer: 1.5" + std::string(bytes, ' ') + "x";
  texts.emplace_back("blanks after a number", spaces);
  std::string prose;
  while (prose.size() < bytes) prose += "the answer is a mixture of 3 and -4.5e2 (B) ";
  texts.emplace_back("prose", prose + "Answer: C");
  return texts;
}

double SecondsToExtract(const AnswerExtractor& e, const std::string& text, ExtractedAnswer* out) {
  const auto start = std::chrono::steady_clock::now();
  *out = e.Extract(text);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Fails unless `e` takes at most 32 times as long on `large` as on `small`, where `large` is about
// 8 times as long (8 if linear, 64 if quadratic; measured 7-12 in the plain build and up to 21
// under TSan, whose first touches of fresh memory cost more) or, for the few fixed texts, the same
// text. `small` is timed as the faster of two runs, and 50 ms of slack absorb scheduling noise on
// the cases that take microseconds. A ratio within one run, not a wall-clock bound, so a sanitizer
// build or a loaded machine does not change the verdict (bench/micro has the absolute speed).
// Returns the answers on `small` and on `large`.
std::pair<ExtractedAnswer, ExtractedAnswer> ExpectNotQuadratic(const AnswerExtractor& e,
                                                               const std::string& small,
                                                               const std::string& large) {
  std::pair<ExtractedAnswer, ExtractedAnswer> answers;
  const double small_seconds = std::min(SecondsToExtract(e, small, &answers.first),
                                        SecondsToExtract(e, small, &answers.first));
  const double large_seconds = SecondsToExtract(e, large, &answers.second);
  EXPECT_LT(large_seconds, 32 * small_seconds + 0.05)
      << small.size() << " bytes: " << small_seconds << " s, " << large.size()
      << " bytes: " << large_seconds << " s: not 32 times as long at most";
  return answers;
}

// An extractor whose time is quadratic in the text's length (it sleeps 20 ms per KB squared), to
// show that ExpectNotQuadratic fails on one: 8 KB takes 1.28 s against a bound of 0.69 s.
class QuadraticFakeExtractor : public AnswerExtractor {
 public:
  ExtractedAnswer Extract(std::string_view text) const override {
    const double kb = text.size() / 1024.0;
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(20 * kb * kb));
    return {};
  }
  absl::StatusOr<std::string> NormalizeReference(std::string_view reference) const override {
    return std::string(reference);
  }
  bool Matches(std::string_view answer, std::string_view reference) const override {
    return answer == reference;
  }
};

TEST(RobustnessTest, TheQuadraticCheckFailsOnAQuadraticExtractor) {
  EXPECT_NONFATAL_FAILURE(ExpectNotQuadratic(QuadraticFakeExtractor(), std::string(1024, 'a'),
                                             std::string(8 * 1024, 'a')),
                          "not 32 times as long at most");
}

TEST(RobustnessTest, LargeAndAdversarialTexts) {
  const size_t kMb = 1 << 20;
  const auto small = AdversarialTexts(kMb / 8);
  const auto large = AdversarialTexts(kMb);
  ASSERT_EQ(small.size(), large.size());
  for (const v1::AnswerFormat& format : AllFormats()) {
    std::unique_ptr<AnswerExtractor> e = MustCreate(format);
    ASSERT_NE(e, nullptr);
    for (size_t i = 0; i < large.size(); ++i) {
      SCOPED_TRACE(absl::StrCat(format.ShortDebugString(), " / ", large[i].first));
      const auto [on_small, on_large] = ExpectNotQuadratic(*e, small[i].second, large[i].second);
      EXPECT_EQ(on_small.parseable, !on_small.value.empty());
      EXPECT_EQ(on_large.parseable, !on_large.value.empty());
    }
  }
}

// Past 128 matches the scan resumes near the match that starts last (regex.h): same answer.
TEST(RegexTest, ManyMatches) {
  std::string text;
  for (int i = 0; i < 5000; ++i) absl::StrAppend(&text, "step ", i, ": x=", i * 7, "\n");
  absl::StrAppend(&text, "ANSWER=12345 and then 678");
  EXPECT_EQ(MustCreate(Regex("\\d+"))->Extract(text).value, "678");
  EXPECT_EQ(MustCreate(Regex("ANSWER=(\\d+)"))->Extract(text).value, "12345");
  EXPECT_EQ(MustCreate(Regex("x=(\\d+)"))->Extract(text).value, "34993");
  EXPECT_EQ(MustCreate(Regex("(?m)^step (\\d+)"))->Extract(text).value, "4999");
  EXPECT_EQ(MustCreate(Regex("[^\\n]+"))->Extract(text).value, "ANSWER=12345 and then 678");
  EXPECT_EQ(MustCreate(Regex("(?m)^(.*)$"))->Extract(text).value, "ANSWER=12345 and then 678");
}

// A pattern whose first alternative stays alive to the end of the text after every match would
// make a plain scan quadratic; the bounded scan is not (256 KB against 32 KB) and still finds the
// last match.
TEST(RegexTest, AdversarialPatternStaysBounded) {
  const auto text_of = [](size_t bytes) {
    std::string text;
    while (text.size() < bytes) text += "a mixture of a and b ";
    return text + "a";
  };
  const std::string small = text_of(1 << 15);
  const std::string large = text_of(1 << 18);
  std::unique_ptr<AnswerExtractor> e = MustCreate(Regex("(a[^x]*b|a)"));
  const auto [on_small, on_large] = ExpectNotQuadratic(*e, small, large);
  EXPECT_EQ(on_small.value, "a");
  EXPECT_EQ(on_large.value, "a");
}

// Random texts built from the pieces the readers look for: no crash, consistent results, and
// Extract's value is always a valid reference of its own format.
TEST(RobustnessTest, RandomTexts) {
  const std::vector<std::string> pieces = {"Answer",
                                           "answer",
                                           ":",
                                           " is ",
                                           "**",
                                           "(",
                                           ")",
                                           "[",
                                           "]",
                                           "{",
                                           "}",
                                           "$",
                                           "\\boxed{",
                                           "\\text{",
                                           "\\frac{",
                                           "\\dfrac",
                                           "A",
                                           "b",
                                           "C",
                                           "a",
                                           "E",
                                           "option ",
                                           " ",
                                           "\t",
                                           "\n",
                                           ".",
                                           ",",
                                           "-",
                                           "+",
                                           "\xE2\x88\x92",
                                           "\xC3\x97",
                                           "10",
                                           "^",
                                           "e",
                                           "E+",
                                           "1",
                                           "23",
                                           "456",
                                           "0.5",
                                           "%",
                                           "\\%",
                                           "/",
                                           "\\times",
                                           "x",
                                           "\xFF",
                                           "\xC3",
                                           "\xE2\x81\xBB",
                                           "\xC2\xB2",
                                           "'",
                                           "\"",
                                           "`",
                                           "Because",
                                           "mixture"};
  std::vector<std::unique_ptr<AnswerExtractor>> extractors;
  for (const v1::AnswerFormat& format : AllFormats()) extractors.push_back(MustCreate(format));
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const size_t n = next() % 40;
    for (size_t i = 0; i < n; ++i) text += pieces[next() % pieces.size()];
    for (const auto& e : extractors) {
      ASSERT_NE(e, nullptr);
      const ExtractedAnswer a = e->Extract(text);
      ASSERT_EQ(a.parseable, !a.value.empty()) << text;
      if (a.parseable) {
        absl::StatusOr<std::string> r = e->NormalizeReference(a.value);
        ASSERT_TRUE(r.ok()) << text << " -> " << a.value << ": " << r.status();
        EXPECT_TRUE(e->Matches(a.value, *r)) << text << " -> " << a.value << " vs " << *r;
      }
    }
  }
}

TEST(RobustnessTest, SpotChecksOnLargeTexts) {
  const std::string prose = [] {
    std::string s;
    while (s.size() < (1 << 20)) s += "the answer is a mixture of 3 and -4.5e2 (B) ";
    return s;
  }();
  EXPECT_EQ(MustCreate(MultipleChoice())->Extract(prose + "Answer: C").value, "C");
  EXPECT_FALSE(MustCreate(MultipleChoice())->Extract(prose).parseable);
  // "answer is" markers: the first number after the last one.
  EXPECT_EQ(MustCreate(Number())->Extract(prose).value, "3");
  EXPECT_EQ(MustCreate(Number())->Extract(prose + "\nso -4.5e2").value, "3");
  EXPECT_EQ(MustCreate(Regex("(\\(\\w\\))"))->Extract(prose).value, "(B)");
}

}  // namespace
}  // namespace ptc
