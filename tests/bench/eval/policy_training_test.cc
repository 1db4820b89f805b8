#include "bench/eval/policy_training.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/compute/prompt_features.h"

namespace ptc::eval {
namespace {

using ::testing::HasSubstr;

constexpr char kMcq[] =
    "Answer the following multiple choice question.\n\nWhich gas do plants take in?\n\nA) "
    "Oxygen\nB) Carbon dioxide\nC) Helium\nD) Neon\n";
constexpr char kInstruction[] =
    "Describe how a rainbow forms.\nWrite only in lowercase letters.\nUse at most 40 words.\n";

Record Call(const std::string& id, int repeat, uint32_t budget, bool correct, const char* prompt) {
  Record r;
  r.series = absl::StrCat("majority|fixed|", budget, "||");
  r.strategy = "majority";
  r.stop = "fixed";
  r.thinking_budget = budget;
  r.n = 1;
  r.id = id;
  r.repeat = repeat;
  r.ok = true;
  r.correct = correct;
  r.cost_usd = budget > 0 ? 0.05 : 0.01;
  r.prompt_features = compute::PromptFeatures(prompt);
  return r;
}

// 40 multiple-choice questions where thinking turns 2 of 4 wrong calls right, 40 instructions
// where it turns 2 of 4 right calls wrong; the rest agree.
std::vector<Record> Records() {
  std::vector<Record> records;
  for (int q = 0; q < 80; ++q) {
    const bool mcq = q < 40;
    const std::string id = absl::StrCat(mcq ? "mcq-" : "if-", q);
    for (int r = 0; r < 4; ++r) {
      const bool flips = r < 2;
      const bool off = mcq ? !flips : true;
      const bool on = mcq ? true : !flips;
      records.push_back(Call(id, r, 0, off, mcq ? kMcq : kInstruction));
      records.push_back(Call(id, r, 4096, on, mcq ? kMcq : kInstruction));
    }
  }
  return records;
}

TEST(PolicyTrainingTest, LearnsToThinkWhereThinkingHelpsAndBeatsBothArmsOnHeldOutQuestions) {
  PolicyTrainingOptions options;
  options.holdout_fraction = 0.4;
  auto t = TrainThinkingPolicy(Records(), options);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->think_budget, 4096u);
  const std::vector<ChatMessage> mcq = {{ChatMessage::Role::kUser, kMcq}};
  const std::vector<ChatMessage> ins = {{ChatMessage::Role::kUser, kInstruction}};
  EXPECT_TRUE(t->policy->Think(t->policy->Probability(mcq)));
  EXPECT_FALSE(t->policy->Think(t->policy->Probability(ins)));
  ASSERT_GT(t->holdout.pairs, 0u);
  EXPECT_EQ(t->train.pairs + t->holdout.pairs, 320u);
  EXPECT_EQ(t->train.discordant + t->holdout.discordant, 160u);
  // Held out: never thinking loses the MCQ flips, always thinking the instruction flips.
  EXPECT_GT(t->holdout.policy_accuracy, t->holdout.never_accuracy);
  EXPECT_GT(t->holdout.policy_accuracy, t->holdout.always_accuracy);
  EXPECT_EQ(t->holdout.policy_accuracy, 1.0);
  EXPECT_LT(t->holdout.policy_cost_usd, t->holdout.always_cost_usd);
  // The file says what it was trained on and reads back.
  auto back = compute::ThinkingPolicy::Parse(t->file, "p.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->training().at("think_budget"), 4096);
  EXPECT_EQ((*back)->training().at("holdout_policy_accuracy"), 1.0);
}

TEST(PolicyTrainingTest, RecordsWithoutWhatItNeedsAreRefusedSayingWhy) {
  std::vector<Record> off_only;
  for (const Record& r : Records()) {
    if (r.thinking_budget == 0) off_only.push_back(r);
  }
  EXPECT_THAT(TrainThinkingPolicy(off_only, {}).status().message(),
              HasSubstr("no record with thinking on"));
  std::vector<Record> two_budgets = Records();
  two_budgets.push_back(Call("x", 0, 1024, true, kMcq));
  EXPECT_THAT(TrainThinkingPolicy(two_budgets, {}).status().message(),
              HasSubstr("several thinking budgets (1024, 4096)"));
  PolicyTrainingOptions pick;
  pick.think_budget = 4096;
  EXPECT_TRUE(TrainThinkingPolicy(two_budgets, pick).ok());
  std::vector<Record> no_features = Records();
  for (Record& r : no_features) r.prompt_features.clear();
  EXPECT_THAT(TrainThinkingPolicy(no_features, {}).status().message(),
              HasSubstr("prompt features"));
  std::vector<Record> concordant = Records();
  for (Record& r : concordant) r.correct = true;
  EXPECT_THAT(TrainThinkingPolicy(concordant, {}).status().message(),
              HasSubstr("no discordant pair"));
}

TEST(PolicyTrainingTest, RecordsKeepPromptFeaturesAndComputeDecisions) {
  Record r = Call("q", 0, 0, true, kMcq);
  v1::ComputeDecision& d = r.compute.emplace();
  d.set_thinking(true);
  d.set_thinking_probability(0.7);
  d.set_probe_agreement(0.75);
  d.set_settled(false);
  auto back = RecordFromJson(RecordToJson(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->prompt_features, r.prompt_features);
  ASSERT_TRUE(back->compute.has_value());
  EXPECT_TRUE(back->compute->thinking());
  EXPECT_EQ(back->compute->thinking_probability(), 0.7);
  EXPECT_EQ(back->compute->probe_agreement(), 0.75);
  EXPECT_FALSE(back->compute->settled());
}

}  // namespace
}  // namespace ptc::eval
