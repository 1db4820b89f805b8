// The simulated model as a universal self-consistency selector: it recognises the prompts of
// aggregators/usc/usc_prompt.h, picks the response whose answer is the majority (or, at the
// configured error rate, another), deterministically for a seed, and its reply reads back
// through ParseUscSelection.
#include <string>
#include <vector>

#include "aggregators/usc/usc_prompt.h"
#include "gtest/gtest.h"
#include "samplers/sim/sim_model.h"

namespace ptc::sim {
namespace {

class SimUscTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = SimModel::Create(v1::SimBackendConfig());
    ASSERT_TRUE(m.ok()) << m.status();
    model_ = *m;
  }

  static std::vector<ChatMessage> Prompt(const std::vector<std::string>& answers) {
    std::vector<std::string> responses;
    for (const std::string& a : answers) {
      responses.push_back(a.empty() ? "I could not decide."
                                    : "Some reasoning here.\n\nAnswer: " + a);
    }
    return {ChatMessage{ChatMessage::Role::kUser,
                        BuildUscPrompt("Pick one.\nA) x\nB) y\nC) z", responses)}};
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

  std::shared_ptr<const SimModel> model_;
};

TEST_F(SimUscTest, RecognisesTheSelectorPromptAndReadsEachResponsesAnswer) {
  const PromptMatch m = model_->Match(Prompt({"B", "c", "", "**B**"}));
  EXPECT_TRUE(m.usc);
  EXPECT_FALSE(m.verify);
  EXPECT_EQ(m.response_answers, (std::vector<std::string>{"b", "c", "", "b"}));
  // A question prompt is not a selector prompt.
  EXPECT_FALSE(model_->Match({ChatMessage{ChatMessage::Role::kUser, "Pick one.\nA) x\nB) y"}}).usc);
}

TEST_F(SimUscTest, PicksTheFirstResponseOfTheMajorityAndTheReplyParsesBack) {
  const std::vector<ChatMessage> p = Prompt({"A", "C", "C", "", "A", "C"});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const ChainPlan plan = PlanFor(p, seed);
    EXPECT_EQ(plan.usc_response, 2u);  // "c" has 3 votes; Response 2 is its first
    if (!plan.parseable) continue;
    ChainTextGenerator gen(plan, 0);
    std::string text;
    std::vector<float> lp, top;
    while (gen.NextBody(64, &text, &lp, &top) > 0) {
    }
    uint32_t tokens = 0;
    text += gen.Closing(&tokens);
    const UscChoice choice = ParseUscSelection(text, 6);
    ASSERT_TRUE(choice.response.has_value()) << text;
    EXPECT_EQ(*choice.response, 2u);
  }
  // Ties go to the answer seen first.
  EXPECT_EQ(PlanFor(Prompt({"", "B", "A", "A", "B"}), 1).usc_response, 2u);
}

TEST_F(SimUscTest, ErrsAtTheConfiguredRateDeterministically) {
  const std::vector<ChatMessage> p = Prompt({"A", "A", "A", "B", "C"});
  int wrong = 0;
  constexpr int kSeeds = 2000;
  for (int seed = 0; seed < kSeeds; ++seed) {
    const ChainPlan plan = PlanFor(p, seed, "sim-selector:err=0.3");
    EXPECT_EQ(plan.usc_response, PlanFor(p, seed, "sim-selector:err=0.3").usc_response);
    if (plan.usc_response != 1) {
      ++wrong;
      EXPECT_GE(plan.usc_response, 4u);  // another answer, never another "A"
    }
  }
  EXPECT_NEAR(static_cast<double>(wrong) / kSeeds, 0.3, 0.04);
  EXPECT_DOUBLE_EQ(SelectorErrorRate("sim-reasoner"), 0);
  EXPECT_DOUBLE_EQ(SelectorErrorRate("x:err=1"), 1);
  EXPECT_DOUBLE_EQ(SelectorErrorRate("x:err=1.5"), 0);
  // Every response agreeing: nothing else to pick.
  EXPECT_EQ(PlanFor(Prompt({"A", "A"}), 3, "err=1").usc_response, 1u);
}

}  // namespace
}  // namespace ptc::sim
