#include "common/mcq_dataset.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& body) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("ptc_mcq_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".jsonl");
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

}  // namespace
}  // namespace ptc
