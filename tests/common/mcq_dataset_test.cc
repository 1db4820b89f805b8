#include "common/mcq_dataset.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& body, const std::string& ext = ".jsonl") {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("ptc_mcq_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ext);
  std::ofstream(path) << body;
  return path.string();
}

TEST(McqDatasetTest, BundledSampleLoads) {
  auto qs = LoadMcqJsonl(DefaultSampleDatasetPath());
  ASSERT_TRUE(qs.ok()) << qs.status();
  EXPECT_GE(qs->size(), 100u);
  for (const auto& q : *qs) EXPECT_EQ(q.incorrect_answers.size(), 3u) << q.id;
}

TEST(McqDatasetTest, ErrorsNameTheLineAndField) {
  auto bad = LoadMcqJsonl(Write(
      "{\"id\":\"a\",\"question\":\"q\",\"correct_answer\":\"c\",\"incorrect_answers\":[\"w\"]}\n"
      "{\"id\":\"b\",\"question\":\"q\",\"incorrect_answers\":[\"w\"]}\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr(":2: field \"correct_answer\""));
  auto dup = LoadMcqJsonl(Write(
      "{\"id\":\"a\",\"question\":\"q\",\"correct_answer\":\"c\",\"incorrect_answers\":[\"w\"]}\n"
      "{\"id\":\"a\",\"question\":\"r\",\"correct_answer\":\"c\",\"incorrect_answers\":[\"w\"]}"
      "\n"));
  EXPECT_THAT(std::string(dup.status().message()), HasSubstr(":2: duplicate id"));
  EXPECT_THAT(std::string(LoadMcqJsonl(Write("not json\n")).status().message()),
              HasSubstr(":1: not a JSON object"));
  EXPECT_EQ(LoadMcqJsonl("/nonexistent.jsonl").status().code(), absl::StatusCode::kNotFound);
}

TEST(McqDatasetTest, PromptIsSimpleEvalsAndShuffleIsSeeded) {
  McqQuestion q{"id", "What is it?", "right", {"w0", "w1", "w2"}, "", ""};
  McqPrompt a = FormatMcqPrompt(q, 1), b = FormatMcqPrompt(q, 1);
  EXPECT_EQ(a.text, b.text);
  EXPECT_THAT(a.text, HasSubstr("Answer the following multiple choice question."));
  EXPECT_THAT(a.text, HasSubstr("'Answer: $LETTER' (without quotes) where LETTER is one of ABCD."));
  EXPECT_EQ(a.letters, "ABCD");
  const int correct = a.correct_letter - 'A';
  EXPECT_EQ(a.choice_source[correct], -1);
  EXPECT_THAT(a.text, HasSubstr(std::string(1, a.correct_letter) + ") right"));
  // Over many seeds every position holds the correct answer sometimes.
  std::set<char> positions;
  for (uint64_t s = 0; s < 64; ++s) positions.insert(FormatMcqPrompt(q, s).correct_letter);
  EXPECT_EQ(positions.size(), 4u);
}

constexpr char kGpqaHeader[] =
    "Pre-Revision Question,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,"
    "Incorrect Answer 3,Explanation,Subdomain,High-level domain,Record ID\n";

TEST(McqDatasetTest, GpqaCsvAsDistributed) {
  const std::string path =
      Write(absl::StrCat(
                kGpqaHeader,
                "old,\"Which, of these?\nSecond line.\",\"right \"\"one\"\"\",w1,w2,w3,\"because,\n"
                "reasons\",Quantum Mechanics,Physics,rec1\n",
                "old,Plain question,r,x1,x2,x3,,Genetics,Biology,rec2\n"),
            ".csv");
  auto qs = LoadDataset(path);
  ASSERT_TRUE(qs.ok()) << qs.status();
  ASSERT_EQ(qs->size(), 2u);
  EXPECT_EQ((*qs)[0].id, "rec1");
  EXPECT_EQ((*qs)[0].question, "Which, of these?\nSecond line.");
  EXPECT_EQ((*qs)[0].correct_answer, "right \"one\"");
  EXPECT_THAT((*qs)[0].incorrect_answers, ::testing::ElementsAre("w1", "w2", "w3"));
  EXPECT_EQ((*qs)[0].subdomain, "Quantum Mechanics");
  EXPECT_EQ((*qs)[0].domain, "Physics");
  EXPECT_FALSE((*qs)[0].numeric);
  EXPECT_EQ((*qs)[1].id, "rec2");
}

TEST(McqDatasetTest, GpqaCsvErrorsNameLineAndColumn) {
  // The first record spans lines 2-3; the bad one starts on line 4.
  auto empty = LoadGpqaCsv(Write(
      absl::StrCat(kGpqaHeader, "o,\"q\nq\",r,a,b,c,,s,d,1\n", "o,q2,r,a,,c,,s,d,2\n"), ".csv"));
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()),
              HasSubstr(":4: column \"Incorrect Answer 2\" is empty"));
  auto short_row = LoadGpqaCsv(Write(absl::StrCat(kGpqaHeader, "o,q,r,a,b\n"), ".csv"));
  ASSERT_FALSE(short_row.ok());
  EXPECT_THAT(std::string(short_row.status().message()), HasSubstr(":2: the record has 5 fields"));
  auto no_column = LoadGpqaCsv(Write("Question,Correct Answer\nq,r\n", ".csv"));
  ASSERT_FALSE(no_column.ok());
  EXPECT_THAT(std::string(no_column.status().message()),
              HasSubstr(":1: the header has no column \"Incorrect Answer 1\""));
}

TEST(McqDatasetTest, ChoicesSchemaByLetterIndexOrText) {
  auto qs = LoadDataset(
      Write("{\"question\":\"q1\",\"choices\":[\"a\",\"b\",\"c\"],\"answer\":\"B\"}\n"
            "{\"question\":\"q2\",\"choices\":[\"a\",\"b\",\"c\"],\"answer\":2}\n"
            "{\"question\":\"q3\",\"choices\":[\"a\",\"b\",\"c\"],\"answer\":\"a\"}\n"));
  ASSERT_TRUE(qs.ok()) << qs.status();
  ASSERT_EQ(qs->size(), 3u);
  EXPECT_EQ((*qs)[0].correct_answer, "b");
  EXPECT_EQ((*qs)[0].id, "line-1");
  EXPECT_THAT((*qs)[0].incorrect_answers, ::testing::ElementsAre("a", "c"));
  EXPECT_EQ((*qs)[1].correct_answer, "c");
  EXPECT_EQ((*qs)[2].correct_answer, "a");
  auto bad =
      LoadMcqJsonl(Write("{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":\"Z\"}\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr(":1: field \"answer\""));
}

TEST(McqDatasetTest, NumericJsonlGsm8kStyle) {
  auto qs = LoadDataset(
      Write("{\"id\":\"g1\",\"question\":\"2+2?\",\"answer\":\"2 and 2 make 4.\\n#### 4\"}\n"
            "{\"id\":\"g2\",\"question\":\"Big?\",\"answer\":\"#### 1,234\"}\n"
            "{\"id\":\"g3\",\"question\":\"Half?\",\"answer\":0.5}\n"));
  ASSERT_TRUE(qs.ok()) << qs.status();
  ASSERT_EQ(qs->size(), 3u);
  EXPECT_TRUE((*qs)[0].numeric);
  EXPECT_EQ((*qs)[0].correct_answer, "4");
  EXPECT_EQ((*qs)[1].correct_answer, "1234");
  EXPECT_EQ((*qs)[2].correct_answer, "0.5");
  McqPrompt p = FormatMcqPrompt((*qs)[0], 1);
  EXPECT_THAT(p.text, HasSubstr("2+2?"));
  EXPECT_TRUE(p.letters.empty());
  auto bad = LoadNumericJsonl(Write("{\"question\":\"q\",\"answer\":\"four\"}\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr(":1: field \"answer\""));
}

TEST(McqDatasetTest, DefaultTemplateMatchesTheSimpleEvalsLayout) {
  McqQuestion q{"id", "Q?", "right", {"w0", "w1", "w2"}, "", ""};
  const McqPrompt p = FormatMcqPrompt(q, 5);
  EXPECT_THAT(p.text, HasSubstr("Think step by step before answering.\n\nQ?\n\nA) "));
  EXPECT_THAT(p.text, ::testing::Not(HasSubstr("{")));
  // A custom template gets the same shuffle.
  const McqPrompt c = FormatMcqPrompt(q, 5, "Pick from {letters}.\n{question}\n{choices}");
  EXPECT_EQ(c.correct_letter, p.correct_letter);
  EXPECT_THAT(c.text, ::testing::StartsWith("Pick from ABCD.\nQ?\nA) "));
  EXPECT_TRUE(ValidatePromptTemplate("{question} {choices}", false).ok());
  EXPECT_THAT(std::string(ValidatePromptTemplate("{question} {choice}", false).message()),
              HasSubstr("{choice}"));
  EXPECT_FALSE(ValidatePromptTemplate("{question}", false).ok());
  EXPECT_TRUE(ValidatePromptTemplate("{question}", true).ok());
}

TEST(McqDatasetTest, ShuffleIsDeterministicPerSeedAndRoundTrips) {
  McqQuestion q{"id", "Q?", "right", {"w0", "w1", "w2"}, "", ""};
  // Fixed expectations would pin the generator; instead: same seed same order, and the orders
  // over 24 seeds are not all equal.
  std::set<std::vector<int>> orders;
  for (uint64_t s = 0; s < 24; ++s) {
    EXPECT_EQ(FormatMcqPrompt(q, s).choice_source, FormatMcqPrompt(q, s).choice_source);
    orders.insert(FormatMcqPrompt(q, s).choice_source);
  }
  EXPECT_GT(orders.size(), 6u);
  const std::string path = Write("");
  ASSERT_TRUE(WriteMcqJsonl({q}, path).ok());
  auto back = LoadMcqJsonl(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)[0].question, "Q?");
  EXPECT_EQ((*back)[0].incorrect_answers, q.incorrect_answers);
}

TEST(McqDatasetTest, InstructionRecordsMixWithQuestions) {
  const std::string path = Write(
      "{\"id\":\"q1\",\"question\":\"What is it?\",\"correct_answer\":\"c\","
      "\"incorrect_answers\":[\"w\"]}\n"
      "{\"id\": \"if-1\", \"kind\": \"instruction\", \"instruction\": \"Describe how a rainbow "
      "forms.\", \"constraints\": [{\"lowercase\": true}, {\"max_words\": 40}, {\"end_with\": "
      "\"that is all.\"}]}\n"
      "{\"id\":\"if-2\",\"kind\":\"instruction\",\"instruction\":\"Say hi.\",\"constraints\":"
      "[{\"min_words\":2},{\"start_with\":\"Hello\"},{\"no_commas\":true},"
      "{\"include_keyword\":\"friend\"}]}\n");
  auto qs = LoadDataset(path);
  ASSERT_TRUE(qs.ok()) << qs.status();
  ASSERT_EQ(qs->size(), 3u);
  EXPECT_FALSE((*qs)[0].instruction());
  const McqQuestion& item = (*qs)[1];
  EXPECT_TRUE(item.instruction());
  EXPECT_EQ(item.question, "Describe how a rainbow forms.");
  ASSERT_EQ(item.constraints.size(), 3u);
  EXPECT_EQ(item.constraints[0].kind, InstructionConstraint::Kind::kLowercase);
  EXPECT_EQ(item.constraints[1].kind, InstructionConstraint::Kind::kMaxWords);
  EXPECT_EQ(item.constraints[1].count, 40u);
  EXPECT_EQ(item.constraints[2].text, "that is all.");
  EXPECT_EQ(FormatInstructionPrompt(item),
            "Describe how a rainbow forms.\n\nWrite only in lowercase letters.\nUse at most 40 "
            "words.\nEnd your response with the exact phrase \"that is all.\"");
  const McqPrompt p = FormatMcqPrompt(item, 7, "ignored {question} {choices}");
  EXPECT_EQ(p.text, FormatInstructionPrompt(item));
  EXPECT_TRUE(p.letters.empty());
  EXPECT_EQ(FormatInstructionPrompt((*qs)[2]),
            "Say hi.\n\nUse at least 2 words.\nStart your response with the exact phrase "
            "\"Hello\"\nDo not use any commas.\nInclude the word \"friend\"");
  // Written back and read again: the same records.
  const std::string copy = Write("");
  ASSERT_TRUE(WriteMcqJsonl(*qs, copy).ok());
  auto again = LoadMcqJsonl(copy);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*again)[i].kind, (*qs)[i].kind);
    EXPECT_EQ((*again)[i].question, (*qs)[i].question);
    ASSERT_EQ((*again)[i].constraints.size(), (*qs)[i].constraints.size());
    for (size_t k = 0; k < (*qs)[i].constraints.size(); ++k) {
      EXPECT_EQ((*again)[i].constraints[k].kind, (*qs)[i].constraints[k].kind);
      EXPECT_EQ((*again)[i].constraints[k].count, (*qs)[i].constraints[k].count);
      EXPECT_EQ((*again)[i].constraints[k].text, (*qs)[i].constraints[k].text);
    }
  }
}

TEST(McqDatasetTest, InstructionErrorsNameTheLineAndField) {
  const std::string ok_line =
      "{\"id\":\"q1\",\"question\":\"q\",\"correct_answer\":\"c\",\"incorrect_answers\":[\"w\"]}\n";
  auto error = [&](const std::string& record) {
    auto r = LoadMcqJsonl(Write(ok_line + record + "\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  const std::string head = "{\"id\":\"i\",\"kind\":\"instruction\",\"instruction\":\"Do it.\",";
  EXPECT_THAT(error(head + "\"constraints\":[{\"lowercase\":true},{\"max_words\":3},"
                           "{\"end_with\":\"\"}]}"),
              HasSubstr(":2: field \"constraints[2].end_with\" must be a non-blank string"));
  EXPECT_THAT(error(head + "\"constraints\":[{\"max_words\":0}]}"),
              HasSubstr(":2: field \"constraints[0].max_words\" must be an integer from 1"));
  EXPECT_THAT(error(head + "\"constraints\":[{\"min_words\":\"ten\"}]}"),
              HasSubstr(":2: field \"constraints[0].min_words\""));
  EXPECT_THAT(error(head + "\"constraints\":[{\"lowercase\":false}]}"),
              HasSubstr(":2: field \"constraints[0].lowercase\" must be true"));
  EXPECT_THAT(error(head + "\"constraints\":[{\"shout\":true}]}"),
              HasSubstr(":2: field \"constraints[0]\" has unknown key \"shout\""));
  EXPECT_THAT(error(head + "\"constraints\":[{\"lowercase\":true,\"no_commas\":true}]}"),
              HasSubstr(":2: field \"constraints[0]\" must be an object with one key"));
  EXPECT_THAT(error(head + "\"constraints\":[]}"),
              HasSubstr(":2: field \"constraints\" must be an array of 1 to 32"));
  EXPECT_THAT(
      error(head + "\"constraints\":[{\"include_keyword\":\"" + std::string(257, 'k') + "\"}]}"),
      HasSubstr("constraints[0].include_keyword\" must be a non-blank string of at most "
                "256 bytes"));
  EXPECT_THAT(
      error("{\"id\":\"i\",\"kind\":\"instruction\",\"constraints\":[{\"lowercase\":true}]}"),
      HasSubstr(":2: field \"instruction\" must be a non-empty string"));
  EXPECT_THAT(error("{\"id\":\"i\",\"kind\":\"essay\",\"question\":\"q\"}"),
              HasSubstr(":2: field \"kind\" must be \"question\" or \"instruction\""));
  EXPECT_THAT(error(head + "\"constraints\":[{\"lowercase\":true}],\"correct_answer\":\"x\"}"),
              HasSubstr(":2: field \"correct_answer\" is not allowed in an instruction record"));
  EXPECT_THAT(error(head + "\"constraints\":[{\"lowercase\":true}]}\n" + head +
                    "\"constraints\":[{\"lowercase\":true}]}"),
              HasSubstr(":3: duplicate id \"i\""));
}

TEST(McqDatasetTest, TheMixedReasoningAndInstructionSampleLoads) {
  const std::string path =
      (std::filesystem::path(DefaultSampleDatasetPath()).parent_path() / "mixed_reasoning_if.jsonl")
          .string();
  auto qs = LoadDataset(path);
  ASSERT_TRUE(qs.ok()) << qs.status();
  size_t questions = 0, instructions = 0;
  std::set<std::string> texts;
  for (const McqQuestion& q : *qs) {
    (q.instruction() ? instructions : questions) += 1;
    if (q.instruction()) {
      EXPECT_GE(q.constraints.size(), 1u) << q.id;
      EXPECT_LE(q.constraints.size(), 3u) << q.id;
    } else {
      EXPECT_EQ(q.incorrect_answers.size(), 3u) << q.id;
    }
    EXPECT_TRUE(texts.insert(q.question).second) << q.id;
  }
  EXPECT_EQ(questions, 60u);
  EXPECT_EQ(instructions, 60u);
}

}  // namespace
}  // namespace ptc
