// The usc strategy's selection from a given selector outcome, its degenerate cases and its
// fallback to majority vote; and the selector prompt and the reading of its reply.
#include "aggregators/usc/usc.h"

#include <memory>
#include <string>
#include <vector>

#include "aggregators/usc/usc_prompt.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<Aggregator> Usc(v1::UniversalSelfConsistency config = {}) {
  v1::Aggregation agg;
  *agg.mutable_usc() = config;
  auto a = CreateAggregator(agg);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *std::move(a) : nullptr;
}

// Chains 0, 1, 2, ... with these answers ("" = unparseable, "!" = failed), and their tally.
struct Chains {
  explicit Chains(const std::vector<std::string>& answers) {
    for (uint32_t i = 0; i < answers.size(); ++i) {
      v1::ChainRecord& r = records.emplace_back();
      r.set_index(i);
      if (answers[i] == "!") {
        r.set_status(v1::CHAIN_STATUS_FAILED);
        continue;
      }
      r.set_status(v1::CHAIN_STATUS_OK);
      if (answers[i].empty()) {
        tally.AddUnparseable();
        continue;
      }
      r.set_parseable(true);
      r.set_answer(answers[i]);
      tally.Add(i, answers[i]);
    }
  }
  SelectionInput Input(const UscOutcome* usc) const {
    SelectionInput in{tally, {}};
    for (const v1::ChainRecord& r : records) in.chains.push_back(&r);
    in.usc = usc;
    return in;
  }
  std::vector<v1::ChainRecord> records;
  Tally tally;
};

UscOutcome Chose(std::vector<uint32_t> chains, std::optional<uint32_t> selected,
                 std::string error = "") {
  UscOutcome o;
  o.selector = "judge/judge-model";
  o.response_chains = std::move(chains);
  o.selected = selected;
  o.error = std::move(error);
  return o;
}

TEST(UscTest, RegisteredWithItsSettings) {
  v1::UniversalSelfConsistency c;
  c.set_backend("judge");
  c.set_model("m");
  c.set_max_tokens(256);
  auto a = Usc(c);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name(), "usc");
  EXPECT_EQ(a->verify_settings(), nullptr);
  const UscSettings* s = a->usc_settings();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->backend, "judge");
  EXPECT_EQ(s->model, "m");
  EXPECT_EQ(s->max_tokens, 256u);
  EXPECT_EQ(s->max_responses, kDefaultUscResponses);
  EXPECT_EQ(s->response_bytes, kDefaultUscResponseBytes);
}

TEST(UscTest, FieldsOutOfRangeAreInvalidNamingTheField) {
  v1::Aggregation agg;
  agg.mutable_usc()->set_max_responses(kMaxUscResponses + 1);
  auto a = CreateAggregator(agg);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("aggregation.usc.max_responses"));
  agg.mutable_usc()->set_max_responses(0);
  agg.mutable_usc()->set_response_bytes(kMaxUscResponseBytes + 1);
  a = CreateAggregator(agg);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("aggregation.usc.response_bytes"));
}

TEST(UscTest, TheChosenResponsesAnswerWinsAndTheRuleSaysSo) {
  const Chains c({"paris", "lyon", "lyon", "", "paris", "lyon"});
  const UscOutcome o = Chose({0, 1, 2, 4, 5}, 3);  // Response 4: chain 4, "paris"
  const Selection s = Usc()->Select(c.Input(&o));
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "paris");
  ASSERT_EQ(s.candidates.size(), 2u);
  EXPECT_EQ(s.candidates[0].answer(), "paris");  // the winner first
  EXPECT_EQ(s.candidates[0].votes(), 2u);
  EXPECT_DOUBLE_EQ(s.candidates[0].share(), 0.4);
  EXPECT_DOUBLE_EQ(s.candidates[0].weight(), 2);
  EXPECT_DOUBLE_EQ(s.confidence, 0.4);
  EXPECT_EQ(s.candidates[1].answer(), "lyon");
  EXPECT_TRUE(s.fallback.empty());
  EXPECT_THAT(s.rule, StartsWith("usc: the selector (judge/judge-model) chose Response 4 of 5 "
                                 "(chain 4)"));
  EXPECT_THAT(s.rule, HasSubstr("majority vote would have chosen lyon (3 votes against 2)"));

  const UscOutcome agree = Chose({0, 1, 2, 4, 5}, 1);
  const Selection m = Usc()->Select(c.Input(&agree));
  EXPECT_EQ(m.answer, "lyon");
  EXPECT_THAT(m.rule, HasSubstr("majority vote agrees"));
}

TEST(UscTest, AllUnparseableOrEveryChainFailedGivesNoAnswer) {
  for (const auto& answers :
       {std::vector<std::string>{"", "", ""}, std::vector<std::string>{"!", "!"}}) {
    const Chains c(answers);
    const UscOutcome o = Chose({}, std::nullopt);
    const Selection s = Usc()->Select(c.Input(&o));
    EXPECT_FALSE(s.answered);
    EXPECT_TRUE(s.candidates.empty());
    EXPECT_EQ(s.rule, "usc: no parseable answer");
  }
}

TEST(UscTest, OneChainOrOneCandidateNeedsNoSelector) {
  for (const auto& answers :
       {std::vector<std::string>{"paris"}, std::vector<std::string>{"paris", "", "paris", "!"}}) {
    const Chains c(answers);
    UscOutcome o;
    o.skipped = "one candidate";
    const Selection s = Usc()->Select(c.Input(&o));
    ASSERT_TRUE(s.answered);
    EXPECT_EQ(s.answer, "paris");
    EXPECT_DOUBLE_EQ(s.confidence, 1);
    EXPECT_TRUE(s.fallback.empty());
    EXPECT_EQ(s.rule, "usc: one candidate, nothing to select");
  }
}

TEST(UscTest, TiesWithoutASelectionGoToTheEarliestChain) {
  const Chains c({"lyon", "paris", "paris", "lyon"});
  UscOutcome o;
  o.skipped = "no room for the selector call";
  const Selection s = Usc()->Select(c.Input(&o));
  EXPECT_EQ(s.answer, "lyon");
  EXPECT_EQ(s.fallback, "skipped: no room for the selector call");
  EXPECT_THAT(s.rule, StartsWith("usc skipped: no room for the selector call; majority"));
  // A tie the selector breaks: its choice wins.
  const UscOutcome chose = Chose({0, 1, 2, 3}, 2);
  EXPECT_EQ(Usc()->Select(c.Input(&chose)).answer, "paris");
}

TEST(UscTest, SelectorDownOrUnreadableFallsBackToMajority) {
  const Chains c({"paris", "lyon", "lyon"});
  const UscOutcome down = Chose({0, 1, 2}, std::nullopt, "UNAVAILABLE: simulated backend failure");
  Selection s = Usc()->Select(c.Input(&down));
  EXPECT_EQ(s.answer, "lyon");
  EXPECT_DOUBLE_EQ(s.confidence, 2.0 / 3);
  EXPECT_EQ(s.fallback, "failed: UNAVAILABLE: simulated backend failure");
  EXPECT_THAT(s.rule, StartsWith("usc failed: UNAVAILABLE: simulated backend failure; majority"));

  const UscOutcome unreadable =
      Chose({0, 1, 2}, std::nullopt, "no \"Answer: Response k\" in the reply");
  s = Usc()->Select(c.Input(&unreadable));
  EXPECT_EQ(s.answer, "lyon");
  EXPECT_THAT(s.fallback, HasSubstr("no \"Answer: Response k\""));

  // An index past the responses shown, or the outcome missing: majority too.
  const UscOutcome past = Chose({0, 1, 2}, 7);
  EXPECT_THAT(Usc()->Select(c.Input(&past)).fallback, StartsWith("failed"));
  EXPECT_EQ(Usc()->Select(c.Input(nullptr)).fallback, "not run");
}

TEST(UscPromptTest, ShowsTheQuestionAndNumberedResponses) {
  const std::string p = BuildUscPrompt("What is the capital?", {"It is Paris.", "Lyon, surely."});
  EXPECT_THAT(p, HasSubstr("=== Question ===\nWhat is the capital?\n=== End of question ==="));
  EXPECT_THAT(p, HasSubstr("=== Response 1 ===\nIt is Paris.\n=== End of response 1 ==="));
  EXPECT_THAT(p, HasSubstr("=== Response 2 ===\nLyon, surely.\n=== End of response 2 ==="));
  EXPECT_THAT(p, HasSubstr("\"Answer: Response k\""));
  EXPECT_THAT(p, HasSubstr("(1 to 2)"));
  EXPECT_LE(p.size(), MaxUscPromptBytes(20, 2, 13));
  // The bound holds for the largest prompt.
  const std::vector<std::string> full(kMaxUscResponses, std::string(100, 'x'));
  EXPECT_LE(BuildUscPrompt(std::string(50, 'q'), full).size(),
            MaxUscPromptBytes(50, kMaxUscResponses, 100));
}

TEST(UscPromptTest, ReadsTheChosenResponse) {
  struct Case {
    std::string reply;
    std::optional<uint32_t> want;
  };
  const std::vector<Case> cases = {
      {"They mostly agree.\nAnswer: Response 3", 3},
      {"**Answer:** Response 2", 2},
      {"answer = response 4", 4},
      {"Answer: #1", 1},
      {"Answer: [5]", 5},
      {"Answer: 2", 2},
      {"Answer: Response 1\nOn reflection...\nAnswer: Response 4", 4},  // the last
      {"The most consistent response is Response 2.", 2},
      {"The most consistent response is **3**", 3},
      {"Responses 1 and 2 disagree.", std::nullopt},
      {"Answer: Response 9", std::nullopt},  // only 5 shown
      {"Answer: Response 0", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply);
    const UscChoice got = ParseUscSelection(c.reply, 5);
    EXPECT_EQ(got.response, c.want);
    EXPECT_EQ(got.error.empty(), c.want.has_value()) << got.error;
  }
  EXPECT_THAT(ParseUscSelection("Answer: Response 9", 5).error,
              HasSubstr("Response 9, not one of the 5 shown"));
}

}  // namespace
}  // namespace ptc
