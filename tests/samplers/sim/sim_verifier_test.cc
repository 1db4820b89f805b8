// The simulated model as a verifier: it recognises the prompts of
// aggregators/verifier/verify_prompt.h, its scores separate correct from wrong candidates with the
// configured AUC, and its replies' scores read back through ParseVerifierScore.
#include <cmath>
#include <cstdio>
#include <vector>

#include "aggregators/verifier/verify_prompt.h"
#include "common/mcq_dataset.h"
#include "gtest/gtest.h"
#include "samplers/sim/sim_model.h"

namespace ptc::sim {
namespace {

class SimVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = SimModel::Create(v1::SimBackendConfig());  // the bundled sample
    ASSERT_TRUE(m.ok()) << m.status();
    model_ = *m;
  }

  // The verify prompt for `letter` as the answer to question q (choices shuffled by `shuffle`).
  std::vector<ChatMessage> VerifyPrompt(int q, uint64_t shuffle, char letter) const {
    const McqPrompt p = FormatMcqPrompt(model_->questions()[q], shuffle);
    return {ChatMessage{ChatMessage::Role::kUser,
                        BuildVerifyPrompt(p.text, std::string(1, letter),
                                          "Some reasoning.\nA) a distracting line\n\nAnswer: B")}};
  }

  ChainPlan PlanFor(const std::vector<ChatMessage>& messages, uint64_t seed,
                    const std::string& model = "sim-reasoner") const {
    ChainSpec spec;
    spec.messages = std::make_shared<const std::vector<ChatMessage>>(messages);
    spec.model = model;
    spec.max_tokens = 4096;
    spec.seed = seed;
    return model_->Plan(model_->Match(messages), spec);
  }

  // The AUC of the verifier's scores over (question, seed): P(correct score > wrong score).
  double MeasuredAuc(const std::string& model, int seeds) const {
    std::vector<double> right, wrong;
    for (int q = 0; q < static_cast<int>(model_->questions().size()); ++q) {
      const McqPrompt p = FormatMcqPrompt(model_->questions()[q], q);
      for (int s = 0; s < seeds; ++s) {
        for (char letter : p.letters) {
          const ChainPlan plan = PlanFor(VerifyPrompt(q, q, letter), 1000 * q + s, model);
          (letter == p.correct_letter ? right : wrong).push_back(plan.score);
        }
      }
    }
    double wins = 0;
    for (double r : right) {
      for (double w : wrong) wins += r > w ? 1 : r == w ? 0.5 : 0;
    }
    return wins / (static_cast<double>(right.size()) * wrong.size());
  }

  std::shared_ptr<const SimModel> model_;
};

TEST_F(SimVerifierTest, RecognisesTheVerifyPromptAndWhetherTheCandidateIsRight) {
  const McqPrompt p = FormatMcqPrompt(model_->questions()[3], 11);
  for (char letter : p.letters) {
    const PromptMatch m = model_->Match(VerifyPrompt(3, 11, letter));
    EXPECT_TRUE(m.verify);
    EXPECT_EQ(m.question, 3);
    EXPECT_EQ(m.candidate, std::string(1, letter));
    ASSERT_TRUE(m.candidate_correct.has_value());
    EXPECT_EQ(*m.candidate_correct, letter == p.correct_letter);
  }
  // The question prompt itself is not a verify prompt.
  const PromptMatch plain = model_->Match({ChatMessage{ChatMessage::Role::kUser, p.text}});
  EXPECT_FALSE(plain.verify);
  EXPECT_EQ(plain.question, 3);
  // A candidate that is not one of the letters, or an unknown question: correctness unknown.
  const auto odd =
      model_->Match({ChatMessage{ChatMessage::Role::kUser, BuildVerifyPrompt(p.text, "42", "")}});
  EXPECT_TRUE(odd.verify);
  EXPECT_FALSE(odd.candidate_correct.has_value());
  const auto unknown = model_->Match(
      {ChatMessage{ChatMessage::Role::kUser, BuildVerifyPrompt("What?\nA) x\nB) y", "A", "")}});
  EXPECT_TRUE(unknown.verify);
  EXPECT_EQ(unknown.question, -1);
  EXPECT_FALSE(unknown.candidate_correct.has_value());
}

TEST_F(SimVerifierTest, ReplyEndsInAScoreThatParsesBack) {
  const ChainPlan plan = PlanFor(VerifyPrompt(0, 1, 'A'), 5);
  ASSERT_TRUE(plan.verify);
  ASSERT_TRUE(plan.parseable);
  EXPECT_GT(plan.score, 0);
  EXPECT_LT(plan.score, 1);
  ChainTextGenerator gen(plan, 0);
  std::string text;
  std::vector<float> lp, top;
  while (gen.NextBody(64, &text, &lp, &top) > 0) {
  }
  uint32_t tokens = 0;
  text += gen.Closing(&tokens);
  const std::optional<double> score = ParseVerifierScore(text);
  ASSERT_TRUE(score.has_value()) << text;
  EXPECT_NEAR(*score, plan.score, 5e-5);  // printed with 4 decimals
  // Deterministic for a seed; another seed, another draw.
  EXPECT_EQ(PlanFor(VerifyPrompt(0, 1, 'A'), 5).score, plan.score);
  EXPECT_NE(PlanFor(VerifyPrompt(0, 1, 'A'), 6).score, plan.score);
}

TEST_F(SimVerifierTest, ScoresSeparateWithTheConfiguredAuc) {
  // 166 questions x 4 seeds: ~660 correct and ~2000 wrong scores; the AUC's standard error is
  // about 0.01.
  const double def = MeasuredAuc("sim-reasoner", 4);
  const double weak = MeasuredAuc("sim-verifier:auc=0.6", 4);
  const double strong = MeasuredAuc("judge auc=0.95", 4);
  std::printf("measured AUC: default (0.8) %.3f, 0.6 %.3f, 0.95 %.3f\n", def, weak, strong);
  EXPECT_NEAR(def, 0.8, 0.04);
  EXPECT_NEAR(weak, 0.6, 0.04);
  EXPECT_NEAR(strong, 0.95, 0.03);
}

TEST_F(SimVerifierTest, TheModelNameOverridesTheAucOnlyWithAValidValue) {
  v1::SimBackendConfig c = WithDefaults(v1::SimBackendConfig());
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "sim-reasoner"), 0.8);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "sim-verifier:auc=0.7"), 0.7);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "auc=.9x"), 0.9);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "auc=1"), 0.8);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "auc=0"), 0.8);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "auc="), 0.8);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "auc=0.5.5"), 0.8);
  c.set_verifier_auc(0.65);
  EXPECT_DOUBLE_EQ(VerifierAuc(c, "sim-reasoner"), 0.65);
}

TEST_F(SimVerifierTest, AnUnrecognisedCandidateGetsAnUninformativeScore) {
  std::vector<double> scores;
  for (int s = 0; s < 400; ++s) {
    scores.push_back(
        PlanFor({ChatMessage{ChatMessage::Role::kUser, BuildVerifyPrompt("What?", "A", "")}}, s)
            .score);
  }
  double mean = 0;
  for (double x : scores) mean += x / scores.size();
  EXPECT_NEAR(mean, 0.5, 0.05);  // Phi(N(0, 1)) is uniform on (0, 1)
}

TEST_F(SimVerifierTest, InvalidConfiguredAucIsRefused) {
  v1::SimBackendConfig c;
  c.set_verifier_auc(1.5);
  auto m = SimModel::Create(c);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("verifier_auc"), std::string::npos);
}

}  // namespace
}  // namespace ptc::sim
