#include "samplers/openai/think_splitter.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ptc::openai {
namespace {

struct Split {
  std::string text, reasoning;
};

// Feeds `pieces` and flushes; returns everything that came out.
Split SplitAll(const std::vector<std::string>& pieces, bool starts_inside = false) {
  ThinkSplitter s(starts_inside);
  Split out;
  for (const std::string& p : pieces) {
    ThinkSplitter::Output o = s.Feed(p);
    out.text += o.text;
    out.reasoning += o.reasoning;
  }
  ThinkSplitter::Output o = s.Flush();
  out.text += o.text;
  out.reasoning += o.reasoning;
  return out;
}

TEST(ThinkSplitterTest, WholeString) {
  Split s = SplitAll({"<think>a < b</think>\n\nThe answer is B."});
  EXPECT_EQ(s.reasoning, "a < b");
  EXPECT_EQ(s.text, "\n\nThe answer is B.");
}

TEST(ThinkSplitterTest, EveryTwoAndThreeWaySplitGivesTheSameResult) {
  const std::string input = "pre<think>x</thi <think> y</think>post </think><think>z";
  const Split whole = SplitAll({input});
  EXPECT_EQ(whole.text, "prepost </think><think>z");
  EXPECT_EQ(whole.reasoning, "x</thi <think> y");
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); ++j) {
      const Split s = SplitAll({input.substr(0, i), input.substr(i, j - i), input.substr(j)});
      ASSERT_EQ(s.text, whole.text) << i << " " << j;
      ASSERT_EQ(s.reasoning, whole.reasoning) << i << " " << j;
    }
  }
}

TEST(ThinkSplitterTest, StartingInsideOnlyTheCloseTagSplits) {
  // DeepSeek-R1's template ends the prompt with "<think>": the output has only "</think>".
  const std::string input = "Let me think: B fits.\n</think>\n\nAnswer: B";
  for (size_t i = 0; i <= input.size(); ++i) {
    const Split s = SplitAll({input.substr(0, i), input.substr(i)}, /*starts_inside=*/true);
    ASSERT_EQ(s.reasoning, "Let me think: B fits.\n") << i;
    ASSERT_EQ(s.text, "\n\nAnswer: B") << i;
  }
  // A server that echoes the opening tag: it is dropped, however it is split.
  const std::string echoed = "<think>x</think>y";
  for (size_t i = 0; i <= echoed.size(); ++i) {
    const Split s = SplitAll({echoed.substr(0, i), echoed.substr(i)}, true);
    ASSERT_EQ(s.reasoning, "x") << i;
    ASSERT_EQ(s.text, "y") << i;
  }
  // A short output that is a prefix of "<think>" and nothing else is reasoning.
  EXPECT_EQ(SplitAll({"<th"}, true).reasoning, "<th");
  // Never closed: all reasoning (a chain cut by max_tokens).
  EXPECT_EQ(SplitAll({"still thinking"}, true).reasoning, "still thinking");
  EXPECT_EQ(SplitAll({"still thinking"}, true).text, "");
}

TEST(ThinkSplitterTest, OneByteAtATime) {
  const std::string input = "<think>step 1\nstep 2</think>Answer: C";
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  const Split s = SplitAll(bytes);
  EXPECT_EQ(s.reasoning, "step 1\nstep 2");
  EXPECT_EQ(s.text, "Answer: C");
}

TEST(ThinkSplitterTest, HoldsBackOnlyAPossibleTag) {
  ThinkSplitter s;
  ThinkSplitter::Output o = s.Feed("hello <thi");
  EXPECT_EQ(o.text, "hello ");
  o = s.Feed("s is text");
  EXPECT_EQ(o.text, "<this is text");
  o = s.Feed("<think>deep</th");
  EXPECT_EQ(o.reasoning, "deep");
  EXPECT_TRUE(s.in_reasoning());
  o = s.Flush();  // an unclosed think block stays reasoning
  EXPECT_EQ(o.reasoning, "</th");
  EXPECT_EQ(o.text, "");
}

TEST(ThinkSplitterTest, NoTagsIsAllText) {
  const Split s = SplitAll({"just ", "an answer <", "b>"});
  EXPECT_EQ(s.text, "just an answer <b>");
  EXPECT_EQ(s.reasoning, "");
}

}  // namespace
}  // namespace ptc::openai
