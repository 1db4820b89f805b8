// Thinking in the simulated model: it helps on multiple choice, hurts on format-constrained
// instructions, and costs tokens; an instruction response complies with exactly the
// constraints its plan says. Measured over bench/data/mixed_reasoning_if.jsonl with fixed seeds;
// the bands are three standard errors of the measured difference.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregators/extract/answer_extractor.h"
#include "aggregators/extract/constraints.h"
#include "gtest/gtest.h"
#include "samplers/sim/sim_model.h"

namespace ptc::sim {
namespace {

std::string MixedDatasetPath() {
  return (std::filesystem::path(DefaultSampleDatasetPath()).parent_path() /
          "mixed_reasoning_if.jsonl")
      .string();
}

std::shared_ptr<const SimModel> MakeModel() {
  v1::SimBackendConfig c;
  c.set_dataset(MixedDatasetPath());
  c.set_unparseable_rate(1e-9);
  auto m = SimModel::Create(c);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

ChainSpec Spec(const std::vector<ChatMessage>& messages, uint64_t seed, uint32_t budget) {
  ChainSpec s;
  s.messages = std::make_shared<const std::vector<ChatMessage>>(messages);
  s.model = "sim";
  s.max_tokens = 100000;
  s.seed = seed;
  s.thinking_budget = budget;
  return s;
}

std::vector<ChatMessage> Prompt(const McqQuestion& q, uint64_t shuffle_seed) {
  return {ChatMessage{ChatMessage::Role::kUser, FormatMcqPrompt(q, shuffle_seed).text}};
}

// A chain as the backend streams it: body (reasoning when thinking), then the closing text.
struct Written {
  std::string reasoning, text;
  uint64_t tokens = 0;
};

Written Write(const ChainPlan& plan) {
  Written w;
  ChainTextGenerator gen(plan, 0);
  std::string body;
  std::vector<float> lp, top;
  uint32_t n = 0;
  while ((n = gen.NextBody(64, &body, &lp, &top)) > 0) w.tokens += n;
  (plan.thinking ? w.reasoning : w.text) = body;
  uint32_t closing = 0;
  w.text += gen.Closing(&closing);
  w.tokens += closing;
  return w;
}

struct Arm {
  double mcq_correct = 0, mcq_chains = 0;
  double complied = 0, instruction_chains = 0;
  double mcq_tokens = 0, instruction_tokens = 0;
  double mcq_accuracy() const { return mcq_correct / mcq_chains; }
  double compliance() const { return complied / instruction_chains; }
};

constexpr int kSeeds = 40;

Arm Measure(const SimModel& model, uint32_t budget) {
  Arm a;
  for (const McqQuestion& q : model.questions()) {
    std::unique_ptr<AnswerExtractor> grader;
    if (q.instruction()) grader = *AnswerExtractor::Create(InstructionAnswerFormat(q));
    for (uint64_t s = 0; s < kSeeds; ++s) {
      const auto prompt = Prompt(q, s);
      const ChainPlan plan = model.Plan(model.Match(prompt), Spec(prompt, 1000 + s, budget));
      const Written w = Write(plan);
      if (q.instruction()) {
        const ExtractedAnswer e = grader->Extract(w.text);
        a.complied += e.parseable && grader->Matches(e.value, "graded");
        a.instruction_chains += 1;
        a.instruction_tokens += w.tokens;
      } else {
        a.mcq_correct += plan.correct;
        a.mcq_chains += 1;
        a.mcq_tokens += w.tokens;
      }
    }
  }
  return a;
}

// The standard error of a difference of two proportions over n chains each.
double DiffSe(double p1, double p0, double n) {
  return std::sqrt(p1 * (1 - p1) / n + p0 * (1 - p0) / n);
}

TEST(SimThinkingTest, ThinkingHelpsMultipleChoiceHurtsInstructionsAndCostsTokens) {
  auto model = MakeModel();
  ASSERT_NE(model, nullptr);
  const Arm off = Measure(*model, 0), on = Measure(*model, 4096);
  ASSERT_EQ(off.mcq_chains, 60.0 * kSeeds);
  ASSERT_EQ(off.instruction_chains, 60.0 * kSeeds);
  std::printf(
      "multiple choice: accuracy %.3f without thinking, %.3f with B=4096\n"
      "instructions: all constraints met %.3f without thinking, %.3f with B=4096\n"
      "mean tokens per chain: mcq %.0f -> %.0f, instructions %.0f -> %.0f\n",
      off.mcq_accuracy(), on.mcq_accuracy(), off.compliance(), on.compliance(),
      off.mcq_tokens / off.mcq_chains, on.mcq_tokens / on.mcq_chains,
      off.instruction_tokens / off.instruction_chains,
      on.instruction_tokens / on.instruction_chains);

  // What the latent parameters predict for the gain on multiple choice.
  const v1::SimBackendConfig& c = model->config();
  double expected_off = 0, expected_on = 0, questions = 0;
  for (size_t i = 0; i < model->questions().size(); ++i) {
    if (model->questions()[i].instruction()) continue;
    expected_off += model->params(i).p_correct;
    expected_on += ThinkingAccuracy(c, model->params(i).p_correct, 4096);
    questions += 1;
  }
  expected_off /= questions;
  expected_on /= questions;
  const double se_mcq = DiffSe(on.mcq_accuracy(), off.mcq_accuracy(), off.mcq_chains);
  EXPECT_GT(on.mcq_accuracy() - off.mcq_accuracy(), 3 * se_mcq);
  EXPECT_NEAR(on.mcq_accuracy() - off.mcq_accuracy(), expected_on - expected_off, 3 * se_mcq);
  const double se_if = DiffSe(on.compliance(), off.compliance(), off.instruction_chains);
  EXPECT_GT(off.compliance() - on.compliance(), 3 * se_if);
  // Thinking chains write a reasoning of about 0.5 B + 300 tokens and a short answer.
  EXPECT_GT(on.mcq_tokens / on.mcq_chains, 2 * off.mcq_tokens / off.mcq_chains);
  EXPECT_GT(on.instruction_tokens / on.instruction_chains,
            2 * off.instruction_tokens / off.instruction_chains);
}

TEST(SimThinkingTest, TokensGrowWithTheBudget) {
  auto model = MakeModel();
  ASSERT_NE(model, nullptr);
  const McqQuestion& q = model->questions()[0];
  ASSERT_FALSE(q.instruction());
  double previous = 0;
  for (uint32_t budget : {1024u, 2048u, 4096u, 8192u}) {
    double reasoning = 0;
    for (uint64_t s = 0; s < 200; ++s) {
      const auto prompt = Prompt(q, s);
      const ChainPlan plan = model->Plan(model->Match(prompt), Spec(prompt, s, budget));
      EXPECT_LE(plan.body_tokens, budget);
      reasoning += plan.body_tokens;
    }
    reasoning /= 200;
    std::printf("B=%u: mean reasoning %.0f tokens\n", budget, reasoning);
    EXPECT_GT(reasoning, previous);
    previous = reasoning;
  }
}

TEST(SimThinkingTest, ThinkingLeavesTheOtherDrawsAlone) {
  auto model = MakeModel();
  ASSERT_NE(model, nullptr);
  for (int qi : {0, 2, 4}) {
    const McqQuestion& q = model->questions()[qi];
    for (uint64_t s = 0; s < 20; ++s) {
      const auto prompt = Prompt(q, s);
      const auto match = model->Match(prompt);
      const ChainPlan a = model->Plan(match, Spec(prompt, s, 0));
      const ChainPlan b = model->Plan(match, Spec(prompt, s, 4096));
      EXPECT_EQ(a.text_seed, b.text_seed);
      EXPECT_EQ(a.ttft_s, b.ttft_s);
      EXPECT_FALSE(a.thinking);
      EXPECT_EQ(a.answer_tokens, 0u);
      EXPECT_TRUE(b.thinking);
      EXPECT_GT(b.answer_tokens, 0u);
      // Thinking only turns wrong answers right: with the same uniform draw a correct chain
      // stays correct.
      EXPECT_TRUE(!a.correct || b.correct);
      const Written w = Write(b);
      EXPECT_FALSE(w.reasoning.empty());
      EXPECT_EQ(w.text.substr(w.text.size() - 11),
                absl::StrCat("\n\nAnswer: ", std::string(1, b.letter)));
    }
  }
}

TEST(SimThinkingTest, AnInstructionResponseMeetsExactlyThePlannedConstraints) {
  auto model = MakeModel();
  ASSERT_NE(model, nullptr);
  int items = 0, broken = 0, checked = 0;
  for (size_t i = 0; i < model->questions().size(); ++i) {
    const McqQuestion& q = model->questions()[i];
    if (!q.instruction()) continue;
    ++items;
    const auto prompt = Prompt(q, 0);
    const PromptMatch match = model->Match(prompt);
    ASSERT_EQ(match.question, static_cast<int>(i)) << q.id;
    auto grader = *AnswerExtractor::Create(InstructionAnswerFormat(q));
    for (uint32_t budget : {0u, 4096u}) {
      for (uint64_t s = 0; s < 25; ++s) {
        const ChainPlan plan = model->Plan(match, Spec(prompt, s, budget));
        ASSERT_TRUE(plan.instruction);
        ASSERT_FALSE(plan.truncated);
        ASSERT_EQ(plan.comply.size(), q.constraints.size());
        const Written w = Write(plan);
        // The visible text is the response alone; a thinking chain's reasoning is apart.
        EXPECT_EQ(w.text, plan.response);
        EXPECT_EQ(w.reasoning.empty(), budget == 0);
        const ExtractedAnswer e = grader->Extract(w.text);
        ASSERT_TRUE(e.parseable) << q.id;
        for (size_t k = 0; k < q.constraints.size(); ++k) {
          ++checked;
          broken += !plan.comply[k];
          EXPECT_EQ(SatisfiesConstraint(q.constraints[k], e.value), plan.comply[k])
              << q.id << " constraint " << k << ": " << DescribeConstraint(q.constraints[k]) << "\n"
              << e.value;
        }
        EXPECT_EQ(grader->Matches(e.value, "graded"), plan.correct) << q.id;
      }
    }
  }
  EXPECT_EQ(items, 60);
  EXPECT_GT(broken, checked / 20);  // the violations were exercised too
}

TEST(SimThinkingTest, ConfigIsValidated) {
  v1::SimBackendConfig c;
  c.set_dataset(MixedDatasetPath());
  c.set_thinking_gain(1.5);
  EXPECT_FALSE(SimModel::Create(c).ok());
  c.set_thinking_gain(0);
  c.set_thinking_harm(-0.1);
  EXPECT_FALSE(SimModel::Create(c).ok());
  c.set_thinking_harm(0);
  c.set_instruction_compliance(1);
  EXPECT_FALSE(SimModel::Create(c).ok());
  const v1::SimBackendConfig d = WithDefaults(v1::SimBackendConfig());
  EXPECT_EQ(d.thinking_gain(), 0.35);
  EXPECT_EQ(d.thinking_scale(), 2048);
  EXPECT_EQ(d.thinking_harm(), 0.3);
  EXPECT_EQ(d.instruction_compliance(), 0.9);
  EXPECT_EQ(d.compliance_concentration(), 10);
}

}  // namespace
}  // namespace ptc::sim
