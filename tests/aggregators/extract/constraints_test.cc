// The constraints format: each check, its edge cases, validation of the format, extraction of the
// visible text and grading that ignores the reference.
#include "aggregators/extract/constraints.h"

#include <memory>
#include <string>
#include <vector>

#include "aggregators/extract/answer_extractor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using Kind = InstructionConstraint::Kind;

InstructionConstraint C(Kind kind, uint32_t count = 0, std::string text = "") {
  return InstructionConstraint{kind, count, std::move(text)};
}

bool Ok(const InstructionConstraint& c, std::string_view text) {
  return SatisfiesConstraint(c, text);
}

TEST(ConstraintsTest, Lowercase) {
  const auto c = C(Kind::kLowercase);
  EXPECT_TRUE(Ok(c, "all lower case, with digits 123 and symbols!?"));
  EXPECT_TRUE(Ok(c, ""));
  EXPECT_FALSE(Ok(c, "one Capital"));
  EXPECT_FALSE(Ok(c, "ends with Z"));
  // UTF-8: lower-case accented and Greek / Cyrillic letters pass, their capitals do not.
  EXPECT_TRUE(Ok(c,
                 "caf\xC3\xA9 \xCE\xB1\xCE\xB2 \xD0\xB4\xD0\xB0 \xC5\x82\xC3\xB3"
                 "d\xC5\xBA"));
  EXPECT_FALSE(Ok(c, "\xC3\x89t\xC3\xA9"));         // Été
  EXPECT_FALSE(Ok(c, "\xCE\x94\xCE\xB5\xCE\xBB"));  // Δελ
  EXPECT_FALSE(Ok(c, "\xD0\x94\xD0\xB0"));          // Да
  EXPECT_FALSE(Ok(c,
                  "\xC5\x81\xC3\xB3"
                  "d\xC5\xBA"));       // Łódź
  EXPECT_TRUE(Ok(c, "3 \xC3\x97 4"));  // the multiplication sign is no letter
  // Other scripts and invalid UTF-8 pass untouched; a stray continuation byte is not a capital.
  EXPECT_TRUE(Ok(c, "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 \x80\xC3"));
}

TEST(ConstraintsTest, WordCounts) {
  EXPECT_EQ(CountWords(""), 0u);
  EXPECT_EQ(CountWords("  one\ttwo\n\nthree  "), 3u);
  EXPECT_EQ(CountWords("hyphen-ated, punctuated! words"), 3u);
  EXPECT_TRUE(Ok(C(Kind::kMaxWords, 3), "one two three"));
  EXPECT_FALSE(Ok(C(Kind::kMaxWords, 3), "one two three four"));
  EXPECT_TRUE(Ok(C(Kind::kMaxWords, 1), ""));
  EXPECT_TRUE(Ok(C(Kind::kMinWords, 3), " one two  three "));
  EXPECT_FALSE(Ok(C(Kind::kMinWords, 3), "one two"));
}

TEST(ConstraintsTest, StartAndEndWith) {
  const auto end = C(Kind::kEndWith, 0, "that is all.");
  EXPECT_TRUE(Ok(end, "Rainbows need rain and sun. That is all.  \n"));
  EXPECT_TRUE(Ok(end, "x that  is\nall."));  // whitespace runs compare as one space
  EXPECT_FALSE(Ok(end, "That is all"));
  EXPECT_FALSE(Ok(end, "that is all. More."));
  EXPECT_TRUE(Ok(C(Kind::kEndWith, 0, "  the end. "), "and so. The End."));
  const auto start = C(Kind::kStartWith, 0, "In short");
  EXPECT_TRUE(Ok(start, "  in short, yes"));
  EXPECT_FALSE(Ok(start, "So in short"));
  EXPECT_FALSE(Ok(start, "In"));
  EXPECT_FALSE(Ok(start, ""));
}

TEST(ConstraintsTest, NoCommasAndKeyword) {
  const auto commas = C(Kind::kNoCommas);
  EXPECT_TRUE(Ok(commas, "no commas here; only semicolons."));
  EXPECT_FALSE(Ok(commas, "one, two"));
  EXPECT_FALSE(Ok(commas, "full\xEF\xBC\x8Cwidth"));
  const auto kw = C(Kind::kIncludeKeyword, 0, "light");
  EXPECT_TRUE(Ok(kw, "White Light splits."));
  EXPECT_TRUE(Ok(kw, "(light)"));
  EXPECT_FALSE(Ok(kw, "sunlight and lightning"));
  EXPECT_FALSE(Ok(kw, "light_weight"));
  EXPECT_FALSE(Ok(kw, ""));
  EXPECT_TRUE(Ok(C(Kind::kIncludeKeyword, 0, "black hole"), "a Black  Hole, far away"));
  EXPECT_FALSE(Ok(C(Kind::kIncludeKeyword, 0, "caf"), "caf\xC3\xA9"));  // é continues the word
}

v1::AnswerFormat Format(const std::vector<v1::AnswerFormat::Constraints::Constraint>& cs) {
  v1::AnswerFormat f;
  f.mutable_constraints();
  for (const auto& c : cs) *f.mutable_constraints()->add_constraints() = c;
  return f;
}

v1::AnswerFormat::Constraints::Constraint Proto(const std::string& text_proto_field,
                                                const std::string& value = "") {
  v1::AnswerFormat::Constraints::Constraint c;
  if (text_proto_field == "lowercase") c.set_lowercase(value != "false");
  if (text_proto_field == "no_commas") c.set_no_commas(value != "false");
  if (text_proto_field == "max_words") c.set_max_words(std::stoul(value));
  if (text_proto_field == "min_words") c.set_min_words(std::stoul(value));
  if (text_proto_field == "end_with") c.set_end_with(value);
  if (text_proto_field == "start_with") c.set_start_with(value);
  if (text_proto_field == "include_keyword") c.set_include_keyword(value);
  return c;
}

TEST(ConstraintsTest, ExtractsTheVisibleTextAndGradesByTheConstraints) {
  auto e = AnswerExtractor::Create(
      Format({Proto("lowercase"), Proto("max_words", "7"), Proto("end_with", "that is all.")}));
  ASSERT_TRUE(e.ok()) << e.status();
  ExtractedAnswer a = (*e)->Extract("  light bends\n\nin   drops. that is all.\n");
  EXPECT_TRUE(a.parseable);
  EXPECT_EQ(a.value, "light bends in drops. that is all.");
  EXPECT_FALSE((*e)->Extract(" \n\t ").parseable);
  // The reference only asks for grading; its content does not matter.
  auto ref = (*e)->NormalizeReference(" anything ");
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE((*e)->Matches(a.value, *ref));
  EXPECT_TRUE((*e)->Matches(a.value, "something else entirely"));
  EXPECT_FALSE((*e)->Matches("Light bends in drops. that is all.", *ref));       // a capital
  EXPECT_FALSE((*e)->Matches("light bends in many drops. that is all.", *ref));  // 8 words
  EXPECT_FALSE((*e)->Matches("light bends in drops.", *ref));
  EXPECT_FALSE((*e)->NormalizeReference("  ").ok());
  EXPECT_EQ((*e)->NewGrouper(), nullptr);  // equal normalised texts are one candidate
}

TEST(ConstraintsTest, ValidationNamesTheField) {
  auto err = [](const v1::AnswerFormat& f) {
    auto e = AnswerExtractor::Create(f);
    EXPECT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(e.status().message());
  };
  EXPECT_THAT(err(Format({})), HasSubstr("answer_format.constraints.constraints: at least one"));
  std::vector<v1::AnswerFormat::Constraints::Constraint> many(33, Proto("no_commas"));
  EXPECT_THAT(err(Format(many)), HasSubstr("at most 32"));
  many.resize(32);
  EXPECT_TRUE(AnswerExtractor::Create(Format(many)).ok());
  EXPECT_EQ(err(Format({Proto("lowercase"), Proto("max_words", "3"), Proto("end_with", "")})),
            "answer_format.constraints.constraints[2].end_with: must not be empty");
  EXPECT_THAT(err(Format({Proto("start_with", " \t")})),
              HasSubstr("constraints[0].start_with: must not be empty"));
  EXPECT_THAT(err(Format({Proto("include_keyword", std::string(257, 'k'))})),
              HasSubstr("constraints[0].include_keyword: must be at most 256 bytes"));
  EXPECT_TRUE(AnswerExtractor::Create(Format({Proto("end_with", std::string(256, 'k'))})).ok());
  EXPECT_THAT(err(Format({Proto("max_words", "0")})),
              HasSubstr("constraints[0].max_words: must be at least 1"));
  EXPECT_THAT(err(Format({Proto("min_words", "0")})),
              HasSubstr("constraints[0].min_words: must be at least 1"));
  EXPECT_THAT(err(Format({Proto("lowercase", "false")})),
              HasSubstr("constraints[0].lowercase: must be true"));
  EXPECT_THAT(err(Format({Proto("no_commas"), v1::AnswerFormat::Constraints::Constraint()})),
              HasSubstr("constraints[1]: no check set"));
}

TEST(ConstraintsTest, AnInstructionItemsFormatRoundTrips) {
  McqQuestion item;
  item.kind = McqQuestion::Kind::kInstruction;
  item.question = "Describe how a rainbow forms.";
  item.constraints = {C(Kind::kLowercase),
                      C(Kind::kMaxWords, 40),
                      C(Kind::kEndWith, 0, "that is all."),
                      C(Kind::kMinWords, 2),
                      C(Kind::kStartWith, 0, "so"),
                      C(Kind::kNoCommas),
                      C(Kind::kIncludeKeyword, 0, "light")};
  const v1::AnswerFormat f = InstructionAnswerFormat(item);
  ASSERT_EQ(f.constraints().constraints_size(), 7);
  EXPECT_EQ(f.constraints().constraints(1).max_words(), 40u);
  EXPECT_EQ(f.constraints().constraints(2).end_with(), "that is all.");
  auto back = ConstraintsFromProto(f.constraints());
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), item.constraints.size());
  for (size_t i = 0; i < back->size(); ++i) {
    EXPECT_EQ((*back)[i].kind, item.constraints[i].kind);
    EXPECT_EQ((*back)[i].count, item.constraints[i].count);
    EXPECT_EQ((*back)[i].text, item.constraints[i].text);
  }
  EXPECT_TRUE(SatisfiesAll(*back, "so light bends in drops that is all."));
  EXPECT_FALSE(SatisfiesAll(*back, "so light bends, in drops that is all."));
}

}  // namespace
}  // namespace ptc
