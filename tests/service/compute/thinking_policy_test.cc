#include "service/compute/thinking_policy.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/compute/auto_compute.h"
#include "service/compute/prompt_features.h"

namespace ptc::compute {
namespace {

using ::testing::HasSubstr;

constexpr char kMcq[] =
    "Answer the following multiple choice question. The last line of your response should be of "
    "the following format: 'Answer: $LETTER'. Think step by step before answering.\n\n"
    "Which gas do plants take in?\n\nA) Oxygen\nB) Carbon dioxide\nC) Helium\nD) Neon";
constexpr char kInstruction[] =
    "Describe how a rainbow forms.\nWrite only in lowercase letters.\nUse at most 40 words.\n"
    "End your response with the exact phrase \"that is all.\"";

size_t Index(const std::string& name) {
  const auto& names = PromptFeatureNames();
  return std::find(names.begin(), names.end(), name) - names.begin();
}

TEST(PromptFeaturesTest, ReadWhatThePromptAsksFor) {
  const std::vector<float> mcq = PromptFeatures(kMcq);
  const std::vector<float> ins = PromptFeatures(kInstruction);
  ASSERT_EQ(mcq.size(), PromptFeatureNames().size());
  EXPECT_EQ(mcq[Index("choice_lines")], 4);
  EXPECT_EQ(ins[Index("choice_lines")], 0);
  EXPECT_EQ(mcq[Index("answer_line")], 1);
  EXPECT_EQ(mcq[Index("step_by_step")], 1);
  EXPECT_EQ(ins[Index("answer_line")], 0);
  // "lowercase", "at most", "words", "end your", "exact phrase"
  EXPECT_EQ(ins[Index("constraint_cues")], 5);
  EXPECT_EQ(mcq[Index("question_marks")], 1);
  EXPECT_NEAR(mcq[Index("log_bytes")], std::log1p(std::strlen(kMcq)), 1e-5);
  // The messages' contents are joined with newlines.
  EXPECT_EQ(PromptFeatures({ChatMessage{ChatMessage::Role::kUser, kInstruction}}),
            PromptFeatures(std::string(kInstruction) + "\n"));
}

// A policy that thinks for multiple-choice questions and not for format constraints.
std::shared_ptr<ThinkingPolicy> HandMadePolicy() {
  const size_t n = PromptFeatureNames().size();
  std::vector<double> weights(n, 0.0);
  weights[Index("choice_lines")] = 2;
  weights[Index("constraint_cues")] = -2;
  return std::make_shared<ThinkingPolicy>(
      learned::LogisticModel(std::vector<double>(n, 0.0), std::vector<double>(n, 1.0), weights,
                             -0.5),
      0.5, std::map<std::string, double>{{"questions", 10}});
}

std::vector<ChatMessage> User(const char* text) {
  return {ChatMessage{ChatMessage::Role::kUser, text}};
}

TEST(ThinkingPolicyTest, SerializesAndParsesBackTheSamePolicy) {
  auto policy = HandMadePolicy();
  const std::string bytes = policy->Serialize();
  EXPECT_EQ(policy->version().size(), 16u);
  auto back = ThinkingPolicy::Parse(bytes, "p.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->version(), policy->version());
  EXPECT_EQ((*back)->training().at("questions"), 10);
  for (const char* text : {kMcq, kInstruction}) {
    EXPECT_DOUBLE_EQ((*back)->Probability(User(text)), policy->Probability(User(text)));
  }
  EXPECT_TRUE(policy->Think(policy->Probability(User(kMcq))));
  EXPECT_FALSE(policy->Think(policy->Probability(User(kInstruction))));
}

TEST(ThinkingPolicyTest, BadFilesAreRefusedNamingTheFileAndTheProblem) {
  std::string good = HandMadePolicy()->Serialize();
  struct Case {
    std::string bytes, expected;
  };
  std::string other_features = good;
  other_features.replace(other_features.find("log_bytes"), 9, "log_bytez");
  std::string other_version = good;
  other_version.replace(other_version.find("\"feature_version\": 1"), 20, "\"feature_version\": 9");
  for (const Case& c : std::vector<Case>{
           {"[]", "not a JSON object"},
           {R"({"format": "ptc-scorer", "format_version": 1})", "not a ptc-thinking-policy"},
           {other_features, "features"},
           {other_version, "feature_version 9"},
       }) {
    auto p = ThinkingPolicy::Parse(c.bytes, "dir/bad.json");
    ASSERT_FALSE(p.ok()) << c.expected;
    EXPECT_THAT(p.status().message(), HasSubstr("dir/bad.json: "));
    EXPECT_THAT(p.status().message(), HasSubstr(c.expected));
  }
}

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "mixed.json") << HandMadePolicy()->Serialize();
    std::ofstream(dir_ / "broken.json") << "{";
  }
  std::filesystem::path dir_;
};

TEST_F(PolicyStoreTest, LoadsByNameAndRefusesBadNamesAndMissingFiles) {
  PolicyStore store(dir_.string());
  auto p = store.Get("mixed");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->get(), store.Get("mixed")->get());  // kept
  EXPECT_EQ(store.Get("../mixed").status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = store.Get("absent");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("no thinking policy \"absent\""));
  EXPECT_THAT(store.Get("broken").status().message(), HasSubstr("broken.json"));
  const std::vector<std::string> errors = store.PreloadAll();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("broken.json"));
}

v1::SolveRequest AutoRequest(const char* text, const std::string& policy) {
  v1::SolveRequest r;
  auto* m = r.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content(text);
  r.add_sampling()->set_n(8);
  auto* a = r.mutable_compute()->mutable_auto_();
  a->set_thinking_model(policy);
  a->set_escalate_thinking_budget(8192);
  return r;
}

TEST_F(PolicyStoreTest, AutoTurnsThinkingOnOrOffByThePolicy) {
  PolicyStore store(dir_.string());
  v1::ServerLimits limits;
  limits.set_max_tokens_per_chain(65536);
  auto mcq = PlanAutoCompute(AutoRequest(kMcq, "mixed"), User(kMcq), limits, store);
  ASSERT_TRUE(mcq.ok()) << mcq.status();
  ASSERT_TRUE(mcq->has_value());
  EXPECT_EQ((*mcq)->thinking_budget, kDefaultThinkingBudget);
  EXPECT_EQ((*mcq)->escalate_thinking_budget, 8192u);
  EXPECT_TRUE((*mcq)->decision.thinking());
  EXPECT_GT((*mcq)->decision.thinking_probability(), 0.5);
  EXPECT_THAT((*mcq)->decision.thinking_model(), HasSubstr("mixed@"));
  auto ins = PlanAutoCompute(AutoRequest(kInstruction, "mixed"), User(kInstruction), limits, store);
  ASSERT_TRUE(ins.ok()) << ins.status();
  EXPECT_EQ((*ins)->thinking_budget, 0u);
  EXPECT_EQ((*ins)->escalate_thinking_budget, 0u);  // no escalation where thinking does not help
  EXPECT_FALSE((*ins)->decision.thinking());
  // Without a policy the groups keep their thinking.
  auto none = PlanAutoCompute(AutoRequest(kMcq, ""), User(kMcq), limits, store);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->thinking_budget.has_value());
  EXPECT_FALSE((*none)->decision.has_thinking_probability());
  // No compute policy: nothing to plan.
  v1::SolveRequest plain = AutoRequest(kMcq, "");
  plain.clear_compute();
  EXPECT_FALSE(PlanAutoCompute(plain, User(kMcq), limits, store)->has_value());
}

TEST_F(PolicyStoreTest, AutoSettingsAreValidatedNamingTheField) {
  PolicyStore store(dir_.string());
  v1::ServerLimits limits;
  limits.set_max_tokens_per_chain(65536);
  struct Case {
    std::function<void(v1::SolveRequest*)> change;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {[](auto* r) { r->mutable_compute()->mutable_auto_()->set_settled_agreement(0.5); },
            "compute.auto.settled_agreement"},
           {[](auto* r) { r->mutable_compute()->mutable_auto_()->set_settled_agreement(1.5); },
            "compute.auto.settled_agreement"},
           {[](auto* r) { r->mutable_compute()->mutable_auto_()->set_thinking_budget(1 << 20); },
            "compute.auto.thinking_budget"},
           {[](auto* r) {
              r->mutable_compute()->mutable_auto_()->set_escalate_thinking_budget(1 << 20);
            },
            "compute.auto.escalate_thinking_budget"},
           {[](auto* r) { r->mutable_compute()->mutable_auto_()->set_thinking_model("nope"); },
            "compute.auto.thinking_model"},
           {[](auto* r) { r->mutable_launch()->mutable_all_at_once(); }, "launch"},
       }) {
    v1::SolveRequest r = AutoRequest(kMcq, "mixed");
    c.change(&r);
    auto plan = PlanAutoCompute(r, User(kMcq), limits, store);
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(plan.status().message(), HasSubstr(c.field + ":"));
  }
}

}  // namespace
}  // namespace ptc::compute
