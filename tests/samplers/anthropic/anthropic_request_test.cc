#include "samplers/anthropic/anthropic_request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptc::anthropic {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kKey[] = "sk-ant-test-SECRET-0123456789";

AnthropicOptions Options(ThinkingMode mode = ThinkingMode::kBudgetTokens) {
  AnthropicOptions o;
  o.api_key = kKey;
  o.default_model = "claude-default";
  o.thinking_mode = mode;
  o.capabilities = DefaultCapabilities(mode);
  return o;
}

ChainSpec Spec() {
  ChainSpec spec;
  spec.model = "claude-sonnet-4-5";
  spec.max_tokens = 4096;
  spec.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
      {ChatMessage::Role::kSystem, "Be brief."},
      {ChatMessage::Role::kUser, "What is 2+2?"},
      {ChatMessage::Role::kAssistant, "Let me think."},
      {ChatMessage::Role::kUser, "Answer."},
  });
  spec.temperature = 0.7f;
  spec.top_p = 0.9f;
  return spec;
}

json Body(const http::Request& r) { return json::parse(r.body); }

TEST(AnthropicRequestTest, PlainRequestHasTheDocumentedShape) {
  ChainSpec spec = Spec();
  spec.deadline = std::chrono::steady_clock::time_point(std::chrono::seconds(1234));
  auto r = BuildMessagesRequest(spec, 1, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/v1/messages");
  EXPECT_EQ(r->deadline, spec.deadline);
  EXPECT_THAT(r->headers,
              testing::IsSupersetOf(
                  {Pair("x-api-key", kKey), Pair("anthropic-version", "2023-06-01"),
                   Pair("content-type", "application/json"), Pair("accept", "text/event-stream")}));
  const json body = Body(*r);
  EXPECT_EQ(body["model"], "claude-sonnet-4-5");
  EXPECT_EQ(body["max_tokens"], 4096);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["system"], "Be brief.");
  ASSERT_EQ(body["messages"].size(), 3u);  // the system message is not among them
  EXPECT_EQ(body["messages"][0], json({{"role", "user"}, {"content", "What is 2+2?"}}));
  EXPECT_EQ(body["messages"][1]["role"], "assistant");
  EXPECT_EQ(body["messages"][2]["content"], "Answer.");
  EXPECT_FLOAT_EQ(body["temperature"].get<float>(), 0.7f);
  EXPECT_FLOAT_EQ(body["top_p"].get<float>(), 0.9f);
  EXPECT_FALSE(body.contains("thinking"));
  EXPECT_FALSE(body.contains("output_config"));
}

TEST(AnthropicRequestTest, SystemMessagesAreJoinedAndDefaultModelUsed) {
  ChainSpec spec = Spec();
  spec.model.clear();
  spec.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
      {ChatMessage::Role::kSystem, "One."},
      {ChatMessage::Role::kUser, "Q"},
      {ChatMessage::Role::kSystem, "Two."},
  });
  auto r = BuildMessagesRequest(spec, 1, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  const json body = Body(*r);
  EXPECT_EQ(body["system"], "One.\n\nTwo.");
  EXPECT_EQ(body["model"], "claude-default");
  EXPECT_EQ(body["messages"].size(), 1u);
}

TEST(AnthropicRequestTest, NoSystemMemberWithoutASystemMessage) {
  ChainSpec spec = Spec();
  spec.messages = std::make_shared<const std::vector<ChatMessage>>(
      std::vector<ChatMessage>{{ChatMessage::Role::kUser, "Q"}});
  auto r = BuildMessagesRequest(spec, 1, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(Body(*r).contains("system"));
}

TEST(AnthropicRequestTest, OnlySystemMessagesIsAnError) {
  ChainSpec spec = Spec();
  spec.messages = std::make_shared<const std::vector<ChatMessage>>(
      std::vector<ChatMessage>{{ChatMessage::Role::kSystem, "S"}});
  auto r = BuildMessagesRequest(spec, 1, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("messages"));
}

TEST(AnthropicRequestTest, BudgetThinkingIsSentAndDropsTemperature) {
  ChainSpec spec = Spec();
  spec.thinking_budget = 2048;
  auto r = BuildMessagesRequest(spec, 1, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  const json body = Body(*r);
  EXPECT_EQ(body["thinking"], json({{"type", "enabled"}, {"budget_tokens", 2048}}));
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("top_p"));
  EXPECT_FALSE(body.contains("output_config"));
}

TEST(AnthropicRequestTest, ThinkingBudgetLimitsNameTheField) {
  for (uint32_t budget : {1u, 1023u, 4096u, 5000u}) {
    ChainSpec spec = Spec();
    spec.thinking_budget = budget;
    auto r = BuildMessagesRequest(spec, 1, Options());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << budget;
    EXPECT_THAT(r.status().message(), HasSubstr("thinking_budget")) << budget;
    EXPECT_THAT(r.status().message(), Not(HasSubstr(kKey)));
  }
  ChainSpec spec = Spec();
  spec.thinking_budget = 1024;  // the smallest the API takes
  EXPECT_TRUE(BuildMessagesRequest(spec, 1, Options()).ok());
  spec.thinking_budget = 4095;  // just below max_tokens
  EXPECT_TRUE(BuildMessagesRequest(spec, 1, Options()).ok());
}

TEST(AnthropicRequestTest, BudgetModeRefusesAnEffortLevel) {
  ChainSpec spec = Spec();
  spec.reasoning_effort = "high";
  auto r = BuildMessagesRequest(spec, 1, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("reasoning_effort"));
}

TEST(AnthropicRequestTest, AdaptiveThinkingTakesTheEffort) {
  ChainSpec spec = Spec();
  spec.reasoning_effort = "medium";
  auto r = BuildMessagesRequest(spec, 1, Options(ThinkingMode::kAdaptive));
  ASSERT_TRUE(r.ok()) << r.status();
  json body = Body(*r);
  EXPECT_EQ(body["thinking"], json({{"type", "adaptive"}}));
  EXPECT_EQ(body["output_config"], json({{"effort", "medium"}}));
  EXPECT_FALSE(body.contains("temperature"));

  // A budget alone switches adaptive thinking on, at the model's default effort.
  spec.reasoning_effort.clear();
  spec.thinking_budget = 2000;
  r = BuildMessagesRequest(spec, 1, Options(ThinkingMode::kAdaptive));
  ASSERT_TRUE(r.ok()) << r.status();
  body = Body(*r);
  EXPECT_EQ(body["thinking"], json({{"type", "adaptive"}}));
  EXPECT_FALSE(body.contains("output_config"));

  // Neither: no thinking, temperature sent.
  spec.thinking_budget = 0;
  r = BuildMessagesRequest(spec, 1, Options(ThinkingMode::kAdaptive));
  ASSERT_TRUE(r.ok()) << r.status();
  body = Body(*r);
  EXPECT_FALSE(body.contains("thinking"));
  EXPECT_TRUE(body.contains("temperature"));

  // Levels other APIs know but Anthropic's does not are refused by name, not sent.
  spec.reasoning_effort = "minimal";
  r = BuildMessagesRequest(spec, 1, Options(ThinkingMode::kAdaptive));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("low, medium, high or max, not \"minimal\""));
}

TEST(AnthropicRequestTest, AdaptiveThinkingFallsBackToTheConfiguredEffort) {
  AnthropicOptions o = Options(ThinkingMode::kAdaptive);
  o.default_effort = "low";
  ChainSpec spec = Spec();
  spec.thinking_budget = 2000;
  auto r = BuildMessagesRequest(spec, 1, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Body(*r)["output_config"], json({{"effort", "low"}}));
  spec.reasoning_effort = "high";  // the request's own level wins
  r = BuildMessagesRequest(spec, 1, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Body(*r)["output_config"], json({{"effort", "high"}}));
  spec = Spec();  // no thinking asked: no effort either
  r = BuildMessagesRequest(spec, 1, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(Body(*r).contains("output_config"));
}

TEST(AnthropicRequestTest, LogprobsAndNAreRefusedByName) {
  ChainSpec spec = Spec();
  spec.top_logprobs = 5;
  auto r = BuildMessagesRequest(spec, 1, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("logprobs"));

  r = BuildMessagesRequest(Spec(), 2, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("n:"));
}

TEST(AnthropicRequestTest, TemperatureAboveOneIsRefused) {
  ChainSpec spec = Spec();
  spec.temperature = 1.5f;
  auto r = BuildMessagesRequest(spec, 1, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("temperature"));
  spec.temperature = 1.0f;
  EXPECT_TRUE(BuildMessagesRequest(spec, 1, Options()).ok());
  spec.temperature = 1.5f;  // not sent with thinking on, so not an error then
  spec.thinking_budget = 1024;
  EXPECT_TRUE(BuildMessagesRequest(spec, 1, Options()).ok());
}

TEST(AnthropicRequestTest, ZeroMaxTokensIsRefused) {
  ChainSpec spec = Spec();
  spec.max_tokens = 0;
  auto r = BuildMessagesRequest(spec, 1, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("max_tokens"));
}

TEST(AnthropicRequestTest, CapabilitiesTurnOffTemperatureAndStreaming) {
  AnthropicOptions o = Options();
  o.capabilities.temperature = false;
  o.capabilities.streaming = false;
  o.version = "2099-01-01";
  o.extra_headers = {{"anthropic-beta", "some-feature"}};
  auto r = BuildMessagesRequest(Spec(), 1, o);
  ASSERT_TRUE(r.ok()) << r.status();
  const json body = Body(*r);
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("top_p"));
  EXPECT_FALSE(body.contains("stream"));
  EXPECT_THAT(r->headers, Not(testing::Contains(Pair("accept", testing::_))));
  EXPECT_THAT(r->headers, testing::Contains(Pair("anthropic-version", "2099-01-01")));
  EXPECT_THAT(r->headers, testing::Contains(Pair("anthropic-beta", "some-feature")));
}

TEST(AnthropicRequestTest, NoKeyNoKeyHeader) {
  AnthropicOptions o = Options();
  o.api_key.clear();
  auto r = BuildMessagesRequest(Spec(), 1, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->headers, Not(testing::Contains(Pair("x-api-key", testing::_))));
}

TEST(AnthropicRequestTest, ContentIsJsonEscaped) {
  ChainSpec spec = Spec();
  spec.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
      {ChatMessage::Role::kUser, "quote \" backslash \\ newline \n unicode \xc3\xa9"}});
  auto r = BuildMessagesRequest(spec, 1, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Body(*r)["messages"][0]["content"],
            "quote \" backslash \\ newline \n unicode \xc3\xa9");
}

}  // namespace
}  // namespace ptc::anthropic
