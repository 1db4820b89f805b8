#include "aggregators/learned/learned.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "aggregators/learned/features.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using learned::FeatureNames;
using learned::LogisticModel;
using learned::ModelKind;
using learned::ScorerModel;

size_t Col(const std::string& name) {
  for (size_t i = 0; i < FeatureNames().size(); ++i) {
    if (FeatureNames()[i] == name) return i;
  }
  ADD_FAILURE() << name;
  return 0;
}

// A logistic model with the given weights (on raw features) and bias, window 64.
std::shared_ptr<const ScorerModel> Model(std::vector<std::pair<std::string, double>> weights,
                                         double bias = 0) {
  const size_t n = FeatureNames().size();
  std::vector<double> w(n, 0);
  for (const auto& [name, value] : weights) w[Col(name)] = value;
  auto m = std::make_shared<ScorerModel>(
      ModelKind::kLogistic, 64, learned::TrainingSummary{},
      std::make_unique<LogisticModel>(std::vector<double>(n, 0), std::vector<double>(n, 1),
                                      std::move(w), bias),
      nullptr);
  EXPECT_TRUE(m->Serialize().ok());  // sets the version
  return m;
}

LearnedAggregator Aggregator(std::shared_ptr<const ScorerModel> model, std::string error = "") {
  return LearnedAggregator("test", std::move(model), std::move(error), std::nullopt);
}

v1::ChainRecord Chain(uint32_t index, const std::string& answer, double lowest = 1.0) {
  v1::ChainRecord r;
  r.set_index(index);
  r.set_status(v1::CHAIN_STATUS_OK);
  r.set_parseable(!answer.empty());
  r.set_answer(answer);
  r.set_finish_reason("stop");
  r.mutable_usage()->set_completion_tokens(500);
  v1::ChainConfidence* c = r.mutable_confidence();
  c->set_tokens(500);
  c->set_window_tokens(64);
  c->set_lowest_group(lowest);
  c->set_bottom_10(lowest);
  c->set_tail(lowest);
  c->set_mean_token(lowest);
  return r;
}

struct Input {
  std::vector<v1::ChainRecord> chains;
  Tally tally;
  SelectionInput Get() {
    tally = Tally();
    for (const v1::ChainRecord& c : chains) {
      if (c.status() != v1::CHAIN_STATUS_OK) continue;
      if (c.parseable()) {
        tally.Add(c.index(), c.answer());
      } else {
        tally.AddUnparseable();
      }
    }
    SelectionInput in{tally, {}};
    for (const v1::ChainRecord& c : chains) in.chains.push_back(&c);
    return in;
  }
};

TEST(LearnedTest, TheModelCanOverruleTheVoteLeaderAndExplainsItself) {
  // P(correct) rises with the candidate's confidence against the other chains'.
  LearnedAggregator a = Aggregator(Model({{"conf_lowest_rel", 4.0}}));
  Input in;
  in.chains = {Chain(0, "A", 1.0), Chain(1, "A", 1.1), Chain(2, "A", 0.9), Chain(3, "B", 2.5),
               Chain(4, "B", 2.4)};
  Selection s = a.Select(in.Get());
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "B");
  ASSERT_EQ(s.candidates.size(), 2u);
  EXPECT_EQ(s.candidates[0].answer(), "B");
  EXPECT_EQ(s.candidates[0].votes(), 2u);
  EXPECT_DOUBLE_EQ(s.candidates[0].share(), 0.4);
  EXPECT_GT(s.candidates[0].weight(), s.candidates[1].weight());  // the probabilities
  EXPECT_NEAR(s.candidates[0].score() + s.candidates[1].score(), 1, 1e-12);
  EXPECT_DOUBLE_EQ(s.confidence, s.candidates[0].score());
  EXPECT_TRUE(s.fallback.empty());
  EXPECT_NE(s.rule.find("logistic scorer test@"), std::string::npos) << s.rule;
  EXPECT_NE(s.rule.find("over the vote leader A"), std::string::npos) << s.rule;
  ASSERT_TRUE(s.scorer.has_value());
  EXPECT_EQ(s.scorer->name(), "test");
  EXPECT_EQ(s.scorer->kind(), "logistic");
  EXPECT_EQ(s.scorer->version().size(), 16u);
  EXPECT_TRUE(s.scorer->fallback().empty());
  EXPECT_TRUE(s.chain_weights.empty());  // one vote per parseable chain
}

TEST(LearnedTest, TiesGoToMoreVotesThenTheEarliestChain) {
  LearnedAggregator a = Aggregator(Model({}));  // every candidate 0.5
  Input in;
  in.chains = {Chain(0, "C"), Chain(1, "A"), Chain(2, "A"), Chain(3, "B")};
  Selection s = a.Select(in.Get());
  EXPECT_EQ(s.answer, "A");  // more votes
  EXPECT_NE(s.rule.find(", the vote leader"), std::string::npos) << s.rule;
  in.chains = {Chain(0, "C"), Chain(1, "A"), Chain(2, "B"), Chain(3, "A"), Chain(4, "C")};
  s = a.Select(in.Get());
  EXPECT_EQ(s.answer, "C");  // two votes each: chain 0 said C
  EXPECT_EQ(s.candidates[1].answer(), "A");
  EXPECT_EQ(s.candidates[2].answer(), "B");
}

TEST(LearnedTest, OneChainIsItsAnswer) {
  LearnedAggregator a = Aggregator(Model({{"vote_share", -10}}));
  Input in;
  in.chains = {Chain(0, "D")};
  Selection s = a.Select(in.Get());
  ASSERT_TRUE(s.answered);
  EXPECT_EQ(s.answer, "D");
  EXPECT_DOUBLE_EQ(s.confidence, 1.0);
  EXPECT_NE(s.rule.find("one candidate"), std::string::npos) << s.rule;
}

TEST(LearnedTest, AllUnparseableOrAllFailedIsNoAnswer) {
  LearnedAggregator a = Aggregator(Model({}));
  Input unparseable;
  unparseable.chains = {Chain(0, ""), Chain(1, "")};
  Selection s = a.Select(unparseable.Get());
  EXPECT_FALSE(s.answered);
  EXPECT_TRUE(s.answer.empty());
  EXPECT_TRUE(s.candidates.empty());
  EXPECT_EQ(s.rule, "learned: no parseable answer");
  EXPECT_TRUE(s.fallback.empty());

  Input failed;
  failed.chains = {Chain(0, "A"), Chain(1, "B")};
  for (auto& c : failed.chains) {
    c.set_status(v1::CHAIN_STATUS_FAILED);
    c.set_parseable(false);
  }
  s = a.Select(failed.Get());
  EXPECT_FALSE(s.answered);
  EXPECT_TRUE(s.candidates.empty());
}

TEST(LearnedTest, WithoutAModelItIsMajorityAndSaysWhy) {
  LearnedAggregator a = Aggregator(nullptr, "scorer model /x/test.json: not a JSON object");
  EXPECT_FALSE(a.wants_logprobs());
  Input in;
  in.chains = {Chain(0, "B"), Chain(1, "A"), Chain(2, "A")};
  Selection s = a.Select(in.Get());
  EXPECT_EQ(s.answer, "A");
  EXPECT_EQ(s.fallback, "scorer model /x/test.json: not a JSON object");
  EXPECT_NE(s.rule.find("learned scorer test unavailable: scorer model /x/test.json"),
            std::string::npos)
      << s.rule;
  EXPECT_NE(s.rule.find("; majority"), std::string::npos);
  ASSERT_TRUE(s.scorer.has_value());
  EXPECT_FALSE(s.scorer->fallback().empty());

  // Degenerate cases still hold in the fallback.
  Input none;
  none.chains = {Chain(0, "")};
  EXPECT_FALSE(a.Select(none.Get()).answered);
}

TEST(LearnedTest, AsksForTheModelsConfidenceWindow) {
  LearnedAggregator a = Aggregator(Model({}));
  EXPECT_TRUE(a.wants_logprobs());
  EXPECT_EQ(a.confidence_window(), 64u);
  EXPECT_EQ(a.verify_settings(), nullptr);
  EXPECT_EQ(a.name(), "learned");
}

class LearnedCreateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            (std::string("ptc_learned_") +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::create_directories(dir_);
    auto m = std::const_pointer_cast<ScorerModel>(Model({}));
    std::ofstream(dir_ + "/good.json") << *m->Serialize();
    std::ofstream(dir_ + "/broken.json") << "{";
    learned::ModelStore::Options o;
    o.dir = dir_;
    o.log = [](const std::string&) {};
    store_ = std::make_unique<learned::ModelStore>(std::move(o));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::unique_ptr<learned::ModelStore> store_;
};

TEST_F(LearnedCreateTest, BadModelNamesAreInvalidArgumentNamingTheField) {
  for (const std::string& name : std::vector<std::string>{"", "../good", "nope"}) {
    v1::LearnedScorer config;
    config.set_model(name);
    auto a = LearnedAggregator::Create(config, *store_);
    ASSERT_FALSE(a.ok()) << name;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(a.status().message(), "aggregation.learned.model: "))
        << a.status();
  }
  v1::LearnedScorer config;
  config.set_model("nope");
  EXPECT_NE(LearnedAggregator::Create(config, *store_).status().message().find("broken, good"),
            std::string::npos);
}

TEST_F(LearnedCreateTest, ABrokenFileFallsBackToMajority) {
  v1::LearnedScorer config;
  config.set_model("broken");
  auto a = LearnedAggregator::Create(config, *store_);
  ASSERT_TRUE(a.ok()) << a.status();
  Input in;
  in.chains = {Chain(0, "A")};
  Selection s = (*a)->Select(in.Get());
  EXPECT_EQ(s.answer, "A");
  EXPECT_NE(s.fallback.find(dir_ + "/broken.json"), std::string::npos) << s.fallback;
}

TEST_F(LearnedCreateTest, VerifierSettingsAreValidated) {
  v1::LearnedScorer config;
  config.set_model("good");
  config.mutable_verifier()->set_max_candidates(33);
  auto a = LearnedAggregator::Create(config, *store_);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("aggregation.learned.verifier.max_candidates"),
            std::string::npos);
  config.mutable_verifier()->set_max_candidates(3);
  config.mutable_verifier()->set_backend("judge");
  a = LearnedAggregator::Create(config, *store_);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_NE((*a)->verify_settings(), nullptr);
  EXPECT_EQ((*a)->verify_settings()->max_candidates, 3u);
  EXPECT_EQ((*a)->verify_settings()->backend, "judge");
}

TEST(LearnedRegistryTest, RegisteredUnderItsConfigName) {
  v1::Aggregation agg;
  agg.mutable_learned();  // no model: refused, but by the learned plugin
  auto a = CreateAggregator(agg);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("aggregation.learned.model: required"), std::string::npos)
      << a.status();
}

}  // namespace
}  // namespace ptc
