// PlanRequest's conversion between thinking budgets and effort levels, against backends of each
// thinking style (fakes: they only declare capabilities; nothing is started).
#include "service/request_plan.h"

#include "aggregators/verifier/verify_prompt.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/config.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;

class FakeBackend : public Backend {
 public:
  explicit FakeBackend(ThinkingStyle style, bool logprobs = true) {
    caps_.thinking = style;
    caps_.logprobs = logprobs;
  }
  const BackendCapabilities& capabilities() const override { return caps_; }
  std::string_view default_model() const override { return "fake-model"; }
  std::unique_ptr<ChainHandle> Start(const ChainSpec&, std::shared_ptr<ChainObserver>) override {
    ADD_FAILURE() << "planning starts nothing";
    return nullptr;
  }

 private:
  BackendCapabilities caps_;
};

class RequestPlanThinkingTest : public ::testing::Test {
 protected:
  RequestPlanThinkingTest() {
    std::map<std::string, std::unique_ptr<Backend>> b;
    b["budget"] = std::make_unique<FakeBackend>(ThinkingStyle::kBudgetTokens);
    b["effort"] = std::make_unique<FakeBackend>(ThinkingStyle::kEffortLevels);
    b["switch"] = std::make_unique<FakeBackend>(ThinkingStyle::kOnOffSwitch);
    b["plain"] = std::make_unique<FakeBackend>(ThinkingStyle::kNone, /*logprobs=*/false);
    backends_ = std::make_unique<BackendSet>(std::move(b), "budget");
    limits_ = WithDefaults(v1::ServerConfig()).limits();
  }

  absl::StatusOr<RequestPlan> Plan(const std::string& backend, uint32_t budget,
                                   const std::string& effort, uint32_t max_tokens = 0) {
    v1::SolveRequest r;
    auto* m = r.add_messages();
    m->set_role(v1::Message::ROLE_USER);
    m->set_content("Which is it? (A) one (B) two");
    auto* g = r.add_sampling();
    g->set_backend(backend);
    g->set_n(2);
    g->set_thinking_budget(budget);
    g->set_reasoning_effort(effort);
    g->set_max_tokens(max_tokens);
    return PlanRequest(r, limits_, *backends_, prices_);
  }

  std::unique_ptr<BackendSet> backends_;
  v1::ServerLimits limits_;
  PriceTable prices_;
};

TEST_F(RequestPlanThinkingTest, EffortBecomesABudgetForABudgetBackend) {
  auto plan = Plan("budget", 0, "medium");
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const PlannedChain& c : plan->chains) {
    EXPECT_EQ(c.spec.thinking_budget, 8192u);
    EXPECT_EQ(c.spec.reasoning_effort, "");
    EXPECT_GT(c.spec.max_tokens, c.spec.thinking_budget);  // max_tokens made room for it
  }
  // A given max_tokens cuts the mapped budget below it.
  plan = Plan("budget", 0, "max", 4096);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->chains[0].spec.thinking_budget, 4095u);
  // "none" is thinking off.
  plan = Plan("budget", 0, "none");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->chains[0].spec.thinking_budget, 0u);
}

TEST_F(RequestPlanThinkingTest, BudgetBecomesALevelForAnEffortBackend) {
  for (const auto& [budget, level] : std::vector<std::pair<uint32_t, std::string>>{
           {1024, "low"}, {2048, "low"}, {4096, "medium"}, {8192, "medium"}, {20000, "high"}}) {
    auto plan = Plan("effort", budget, "");
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->chains[0].spec.reasoning_effort, level) << budget;
    EXPECT_EQ(plan->chains[0].spec.thinking_budget, budget);
  }
  auto plan = Plan("effort", 0, "xhigh");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->chains[0].spec.reasoning_effort, "xhigh");
  EXPECT_EQ(plan->chains[0].spec.thinking_budget, 0u);
}

TEST_F(RequestPlanThinkingTest, SwitchBackendIsOnForAnyLevelButNone) {
  auto plan = Plan("switch", 0, "low");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_GT(plan->chains[0].spec.thinking_budget, 0u);
  plan = Plan("switch", 0, "none");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->chains[0].spec.thinking_budget, 0u);
}

TEST_F(RequestPlanThinkingTest, BadCombinationsNameTheField) {
  auto plan = Plan("budget", 2048, "low");
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("sampling[0].reasoning_effort: give"));
  plan = Plan("effort", 0, "extreme");
  EXPECT_THAT(plan.status().message(), HasSubstr("sampling[0].reasoning_effort: unknown level"));
  EXPECT_THAT(plan.status().message(), HasSubstr("minimal"));
  plan = Plan("plain", 0, "low");
  EXPECT_THAT(
      plan.status().message(),
      HasSubstr("sampling[0].reasoning_effort: backend \"plain\" has no extended thinking"));
  plan = Plan("plain", 1024, "");
  EXPECT_THAT(plan.status().message(), HasSubstr("sampling[0].thinking_budget"));
  // "none" asks for no thinking, which every backend can do.
  EXPECT_TRUE(Plan("plain", 0, "none").ok());
  // A budget that does not fit below an explicit max_tokens.
  plan = Plan("budget", 4096, "", 1024);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("sampling[0].thinking_budget: 4096 must be below max_tokens (1024)"));
}

}  // namespace
}  // namespace ptc

namespace ptc {
namespace {

TEST_F(RequestPlanThinkingTest, ConfidenceStopRuleNeedsLogprobsAndOneWindow) {
  v1::SolveRequest r;
  auto* m = r.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content("Which is it? (A) one (B) two");
  auto* g = r.add_sampling();
  g->set_backend("budget");
  g->set_n(4);
  r.mutable_stop()->mutable_deepconf_online()->set_window_tokens(512);
  auto plan = PlanRequest(r, limits_, *backends_, prices_);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->confidence_window, 512u);
  EXPECT_EQ(plan->chains[0].spec.top_logprobs, 5u);
  EXPECT_EQ(plan->first_wave, 16u);  // the warm-up, then one at a time
  EXPECT_EQ(plan->wave_size, 1u);

  r.mutable_aggregation()->mutable_weighted()->set_window_tokens(1024);
  plan = PlanRequest(r, limits_, *backends_, prices_);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("stop.deepconf_online.window_tokens: 512 differs from the aggregation's"));
  r.mutable_aggregation()->mutable_weighted()->set_window_tokens(512);
  EXPECT_TRUE(PlanRequest(r, limits_, *backends_, prices_).ok());

  g->set_backend("plain");
  plan = PlanRequest(r, limits_, *backends_, prices_);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("sampling[0].backend: stop rule deepconf_online needs log-probabilities"));
}

}  // namespace
}  // namespace ptc

namespace ptc {
namespace {

TEST_F(RequestPlanThinkingTest, VerifierCallsAreReservedAfterTheChains) {
  v1::SolveRequest r;
  auto* m = r.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content("Which is it? (A) one (B) two");
  auto* g = r.add_sampling();
  g->set_backend("budget");
  g->set_n(4);
  g->set_max_tokens(1000);
  v1::VerifierVote* v = r.mutable_aggregation()->mutable_verifier();
  v->set_backend("plain");
  v->set_max_tokens(500);
  v->set_evidence_bytes(1000);
  v1::ServerConfig config;
  for (const char* backend : {"budget", "plain"}) {
    v1::ModelPrice* p = config.add_pricing();
    p->set_backend(backend);
    p->set_input_usd_per_mtok(1e6);  // $1 per token: costs count tokens
    p->set_output_usd_per_mtok(1e6);
  }
  const PriceTable prices(config.pricing());
  v1::ServerLimits limits = limits_;
  limits.set_max_cost_usd_per_request(1e12);

  auto plan = PlanRequest(r, limits, *backends_, prices);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(plan->verify.has_value());
  const VerifyPlan& vp = *plan->verify;
  EXPECT_EQ(vp.backend_name, "plain");
  EXPECT_EQ(vp.spec.model, "fake-model");
  EXPECT_EQ(vp.spec.max_tokens, 500u);
  EXPECT_EQ(vp.calls, 4u);  // the default max_candidates
  const uint64_t question = m->content().size() + 2;
  EXPECT_EQ(vp.reserved_usd_per_call, MaxVerifyPromptBytes(question, 1000) + 8 + 500);
  const double chains = 4 * (m->content().size() + 8 + 1000);
  EXPECT_DOUBLE_EQ(plan->reserved_usd, chains + 4 * vp.reserved_usd_per_call);
  EXPECT_EQ(plan->reserved_tokens, static_cast<uint64_t>(plan->reserved_usd));

  // A cap with room for the chains and two calls; then for the chains only.
  r.mutable_limits()->set_max_cost_usd(chains + 2.5 * vp.reserved_usd_per_call);
  auto capped = PlanRequest(r, limits, *backends_, prices);
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->chains.size(), 4u);
  EXPECT_EQ(capped->verify->calls, 2u);
  r.mutable_limits()->set_max_cost_usd(0);
  r.mutable_limits()->set_max_total_tokens(static_cast<uint64_t>(chains) + 10);
  capped = PlanRequest(r, limits, *backends_, prices);
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->chains.size(), 4u);
  EXPECT_EQ(capped->verify->calls, 0u);
  EXPECT_THAT(capped->verify->skipped, HasSubstr("no room for a verifier call"));
  EXPECT_THAT(capped->verify->skipped, HasSubstr("token cap"));

  // Without a backend: the server's default. Validation names the field.
  v->clear_backend();
  plan = PlanRequest(r, limits, *backends_, prices);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->verify->backend_name, "budget");
  v->set_backend("nope");
  EXPECT_THAT(PlanRequest(r, limits, *backends_, prices).status().message(),
              HasSubstr("aggregation.verifier.backend: unknown backend \"nope\""));
  v->set_backend("plain");
  v->set_model(std::string(limits.max_label_bytes() + 1, 'm'));
  EXPECT_THAT(PlanRequest(r, limits, *backends_, prices).status().message(),
              HasSubstr("aggregation.verifier.model: too long"));
  v->clear_model();
  v->set_max_tokens(limits.max_tokens_per_chain() + 1);
  EXPECT_THAT(PlanRequest(r, limits, *backends_, prices).status().message(),
              HasSubstr("aggregation.verifier.max_tokens: above the limit"));
  // Other strategies plan no verification.
  r.mutable_aggregation()->mutable_majority();
  plan = PlanRequest(r, limits, *backends_, prices);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->verify.has_value());
}

}  // namespace
}  // namespace ptc

namespace ptc {
namespace {

// The auto compute policy's planning, with the thinking policy shipped in bench/data/policies.
class RequestPlanAutoTest : public RequestPlanThinkingTest {
 protected:
  absl::StatusOr<RequestPlan> PlanAuto(const std::string& backend, const std::string& prompt,
                                       const std::string& policy, uint32_t escalate = 0) {
    v1::SolveRequest r;
    auto* m = r.add_messages();
    m->set_role(v1::Message::ROLE_USER);
    m->set_content(prompt);
    auto* g = r.add_sampling();
    g->set_backend(backend);
    g->set_n(6);
    g->set_thinking_budget(backend == "plain" ? 0 : 8192);
    auto* a = r.mutable_compute()->mutable_auto_();
    a->set_probe(2);
    a->set_thinking_model(policy);
    a->set_escalate_thinking_budget(escalate);
    return PlanRequest(r, limits_, *backends_, prices_);
  }
};

constexpr char kMcqPrompt[] =
    "Answer the following multiple choice question. The last line of your response should be of "
    "the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think "
    "step by step before answering.\n\nWhich particle mediates the electromagnetic force?\n\n"
    "A) Gluon\nB) Photon\nC) W boson\nD) Graviton";
constexpr char kInstructionPrompt[] =
    "Describe how a rainbow forms.\n\nWrite only in lowercase letters.\nUse at most 40 words.\n"
    "End your response with the exact phrase \"that is all.\"";

TEST_F(RequestPlanAutoTest, TheThinkingPolicyOverridesTheGroupsThinking) {
  auto think = PlanAuto("budget", kMcqPrompt, "sim-mixed");
  ASSERT_TRUE(think.ok()) << think.status();
  ASSERT_TRUE(think->auto_compute.has_value());
  EXPECT_TRUE(think->auto_compute->decision.thinking());
  for (const PlannedChain& c : think->chains) {
    EXPECT_EQ(c.spec.thinking_budget, 4096u);  // the budget the policy was trained with
  }
  auto effort = PlanAuto("effort", kMcqPrompt, "sim-mixed");
  ASSERT_TRUE(effort.ok()) << effort.status();
  EXPECT_FALSE(effort->chains[0].spec.reasoning_effort.empty());

  auto no_think = PlanAuto("budget", kInstructionPrompt, "sim-mixed", /*escalate=*/2048);
  ASSERT_TRUE(no_think.ok()) << no_think.status();
  EXPECT_FALSE(no_think->auto_compute->decision.thinking());
  for (const PlannedChain& c : no_think->chains) {
    EXPECT_EQ(c.spec.thinking_budget, 0u);  // nor escalated: thinking does not help here
  }

  auto plain = PlanAuto("plain", kMcqPrompt, "sim-mixed");
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plain.status().message(),
              HasSubstr("compute.auto.thinking_model: the policy turned thinking on and backend "
                        "\"plain\" (sampling[0]) has no extended thinking"));
  // A policy that turns thinking off is fine anywhere.
  EXPECT_TRUE(PlanAuto("plain", kInstructionPrompt, "sim-mixed").ok());
}

TEST_F(RequestPlanAutoTest, ChainsAfterTheProbeAreSizedAndReservedWithTheEscalatedBudget) {
  auto plan = PlanAuto("budget", kMcqPrompt, "", /*escalate=*/16384);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->chains.size(), 6u);
  EXPECT_EQ(plan->first_wave, 2u);
  for (const PlannedChain& c : plan->chains) {
    EXPECT_EQ(c.spec.thinking_budget, c.spec.index < 2 ? 8192u : 16384u) << c.spec.index;
    EXPECT_GT(c.spec.max_tokens, c.spec.thinking_budget);
  }
  EXPECT_GT(plan->chains[2].spec.max_tokens, plan->chains[0].spec.max_tokens);  // reserved so
  EXPECT_EQ(plan->stop_rule->name(), "auto");
}

}  // namespace
}  // namespace ptc
