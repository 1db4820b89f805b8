// The free-text format: normalisation, extraction, grouping of paraphrases (in plan order,
// whatever order answers arrive in), reference matching and validation.
#include "aggregators/extract/free_text.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "aggregators/extract/answer_extractor.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using extract_internal::Jaccard;
using extract_internal::NormalizeAnswerWords;
using extract_internal::WordSet;

std::unique_ptr<AnswerExtractor> FreeText(double min_overlap = 0) {
  v1::AnswerFormat f;
  f.mutable_free_text()->set_min_overlap(min_overlap);
  auto e = AnswerExtractor::Create(f);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *std::move(e) : nullptr;
}

// The representative of each answer, fed in order to a new grouper.
std::vector<std::string> Group(const AnswerExtractor& e, const std::vector<std::string>& answers) {
  std::unique_ptr<AnswerGrouper> g = e.NewGrouper();
  std::vector<std::string> out;
  for (const std::string& a : answers) out.push_back(g->Assign(a));
  return out;
}

TEST(FreeTextTest, NormalisesCasePunctuationArticlesAndSpacing) {
  EXPECT_EQ(NormalizeAnswerWords("  **The Eiffel  Tower!** "), "eiffel tower");
  EXPECT_EQ(NormalizeAnswerWords("an apple, a pear; the plum."), "apple pear plum");
  EXPECT_EQ(NormalizeAnswerWords("\xE2\x80\x9CParis\xE2\x80\x9D \xE2\x80\x94 France"),
            "paris france");
  EXPECT_EQ(NormalizeAnswerWords("It costs 3.5 or 1,000 units."), "it costs 3.5 or 1,000 units");
  EXPECT_EQ(NormalizeAnswerWords("well-known"), "well known");
  // Non-ASCII letters pass through untouched (UTF-8 stays valid); only ASCII is lower-cased.
  EXPECT_EQ(NormalizeAnswerWords("ÉCOLE Ångström"), "École Ångström");
  // Only articles: kept rather than left empty.
  EXPECT_EQ(NormalizeAnswerWords("The A"), "the a");
  EXPECT_EQ(NormalizeAnswerWords(" ... !! "), "");
  // Bounded: cut before the word that would pass the limit.
  const std::string many(4000, 'x');
  EXPECT_LE(NormalizeAnswerWords("word " + many + " more").size(),
            extract_internal::kMaxAnswerBytes);
  std::string words;
  for (int i = 0; i < 500; ++i) words += "w" + std::to_string(i) + " ";
  const std::string cut = NormalizeAnswerWords(words);
  EXPECT_LE(cut.size(), extract_internal::kMaxAnswerBytes);
  EXPECT_EQ(words.substr(0, cut.size() + 1), cut + " ");  // whole words only
  EXPECT_EQ(NormalizeAnswerWords(cut), cut);              // idempotent
}

TEST(FreeTextTest, ExtractsTheAnswerLine) {
  auto e = FreeText();
  EXPECT_EQ(e->Extract("Thinking...\nAnswer: The Eiffel Tower.").value, "eiffel tower");
  EXPECT_EQ(e->Extract("**Final Answer:**\n\n  Mount Everest \n").value, "mount everest");
  EXPECT_EQ(e->Extract("Some steps.\nSo it is the Nile river.\n\n").value, "so it is nile river");
  EXPECT_FALSE(e->Extract("").parseable);
  EXPECT_FALSE(e->Extract("Answer: ?!").parseable);
  EXPECT_FALSE(e->Extract("\n\n  \n").parseable);
}

TEST(FreeTextTest, ParaphrasesGroupAndDifferentAnswersDoNot) {
  auto e = FreeText();
  const std::vector<std::string> raw = {
      "Answer: The Eiffel Tower.",          // 0
      "Answer: eiffel tower",               // 1: same words
      "Answer: **EIFFEL TOWER, Paris**",    // 2: 2 of 3 words: 0.67
      "Answer: The Louvre",                 // 3: another answer
      "Answer: the louvre museum in paris"  // 4: 1 of 4 with the louvre: its own group
  };
  std::vector<std::string> answers;
  for (const std::string& t : raw) answers.push_back(e->Extract(t).value);
  EXPECT_EQ(Group(*e, answers),
            (std::vector<std::string>{"eiffel tower", "eiffel tower", "eiffel tower", "louvre",
                                      "louvre museum in paris"}));
  // A stricter threshold keeps the three-word answer apart.
  auto strict = FreeText(1.0);
  EXPECT_EQ(Group(*strict, answers)[2], "eiffel tower paris");
}

TEST(FreeTextTest, GroupingJoinsTheBestRepresentativeNotAChainOfNeighbours) {
  auto e = FreeText(0.5);
  // "b c" overlaps "a b" by 1/3 (below 0.5) although "a b c" joined "a b": groups compare with
  // their first answer only.
  EXPECT_EQ(Group(*e, {"a b", "a b c", "b c"}), (std::vector<std::string>{"a b", "a b", "b c"}));
  // The best overlap wins; ties go to the earlier group.
  EXPECT_EQ(Group(*e, {"x y", "p q", "p q x"}), (std::vector<std::string>{"x y", "p q", "p q"}));
  auto loose = FreeText(0.3);
  EXPECT_EQ(Group(*loose, {"x y", "p q", "x p"}), (std::vector<std::string>{"x y", "p q", "x y"}));
}

TEST(FreeTextTest, PlanOrderDecidesTheRepresentativeWhateverTheArrivalOrder) {
  auto e = FreeText();
  const std::vector<std::string> plan = {"eiffel tower paris", "eiffel tower", "louvre",
                                         "eiffel tower", "paris louvre"};
  const std::vector<std::string> want = Group(*e, plan);
  EXPECT_EQ(want[1], "eiffel tower paris");  // the earliest chain names the group
  // The Run feeds a grouper in plan order whatever order chains finish in: the same sequence
  // gives the same groups, and a grouper's state depends on nothing else.
  std::vector<size_t> order = {4, 2, 0, 3, 1};
  std::vector<std::string> arrived(plan.size());
  std::unique_ptr<AnswerGrouper> g = e->NewGrouper();
  std::vector<bool> done(plan.size(), false);
  size_t next = 0;
  for (size_t i : order) {
    done[i] = true;
    while (next < plan.size() && done[next]) {
      arrived[next] = g->Assign(plan[next]);
      ++next;
    }
  }
  EXPECT_EQ(arrived, want);
}

TEST(FreeTextTest, ReferenceMatchesByOverlap) {
  auto e = FreeText();
  auto ref = e->NormalizeReference("The Eiffel Tower");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(*ref, "eiffel tower");
  EXPECT_TRUE(e->Matches("eiffel tower", *ref));
  EXPECT_TRUE(e->Matches("eiffel tower paris", *ref));
  EXPECT_FALSE(e->Matches("louvre", *ref));
  EXPECT_FALSE(e->NormalizeReference(" -- ").ok());
  EXPECT_EQ(e->NewGrouper() == nullptr, false);
}

TEST(FreeTextTest, OtherFormatsDoNotGroup) {
  v1::AnswerFormat f;
  f.mutable_exact_text();
  auto e = AnswerExtractor::Create(f);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->NewGrouper(), nullptr);
}

TEST(FreeTextTest, MinOverlapIsValidatedNamingTheField) {
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    v1::AnswerFormat f;
    f.mutable_free_text()->set_min_overlap(bad);
    auto e = AnswerExtractor::Create(f);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find("answer_format.free_text.min_overlap"), std::string::npos);
  }
}

TEST(FreeTextTest, JaccardOfWordSets) {
  EXPECT_DOUBLE_EQ(Jaccard(WordSet("a b"), WordSet("b a a")), 1.0);
  EXPECT_DOUBLE_EQ(Jaccard(WordSet("a b c"), WordSet("a b")), 2.0 / 3);
  EXPECT_DOUBLE_EQ(Jaccard(WordSet("a"), WordSet("b")), 0.0);
  EXPECT_DOUBLE_EQ(Jaccard(WordSet(""), WordSet("")), 1.0);
}

TEST(FreeTextTest, GroupingIsCheapForTheLargestPlan) {
  auto e = FreeText();
  std::unique_ptr<AnswerGrouper> g = e->NewGrouper();
  // 256 distinct long answers: every one compared with every earlier group.
  for (int i = 0; i < 256; ++i) {
    std::string a;
    for (int w = 0; w < 60; ++w) a += "w" + std::to_string(i * 100 + w) + " ";
    g->Assign(NormalizeAnswerWords(a));
  }
  SUCCEED();
}

}  // namespace
}  // namespace ptc
