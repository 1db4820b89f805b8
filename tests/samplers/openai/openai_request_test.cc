#include "samplers/openai/openai_request.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptc::openai {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using Config = v1::OpenAiBackendConfig;

OpenAiOptions Options(Config::Flavor flavor, bool thinking_switch = false) {
  OpenAiOptions o;
  o.flavor = flavor;
  o.default_model = "m";
  o.use_max_completion_tokens = flavor == Config::OPENAI;
  o.thinking_switch = thinking_switch;
  o.capabilities = FlavorCapabilities(flavor, thinking_switch);
  return o;
}

ChainSpec Spec() {
  ChainSpec s;
  s.model = "gpt-x";
  s.messages = std::make_shared<const std::vector<ChatMessage>>(std::vector<ChatMessage>{
      {ChatMessage::Role::kSystem, "Be brief."}, {ChatMessage::Role::kUser, "2+2?"}});
  s.seed = 42;
  return s;
}

Json Body(const OpenAiOptions& o, const ChainSpec& s, uint32_t n = 1, bool stream = true) {
  absl::StatusOr<std::string> body = BuildChatCompletionBody(o, s, n, stream);
  EXPECT_TRUE(body.ok()) << body.status();
  return body.ok() ? Json::parse(*body) : Json();
}

TEST(OpenAiRequestTest, MinimalStreamedRequest) {
  const Json b = Body(Options(Config::OPENAI), Spec());
  EXPECT_EQ(b["model"], "gpt-x");
  ASSERT_EQ(b["messages"].size(), 2u);
  EXPECT_EQ(b["messages"][0]["role"], "system");
  EXPECT_EQ(b["messages"][1]["content"], "2+2?");
  EXPECT_EQ(b["stream"], true);
  EXPECT_EQ(b["stream_options"]["include_usage"], true);
  EXPECT_EQ(b["seed"], 42);
  EXPECT_FALSE(b.contains("n"));
  EXPECT_FALSE(b.contains("logprobs"));
  EXPECT_FALSE(b.contains("max_tokens"));
  EXPECT_FALSE(b.contains("max_completion_tokens"));
  EXPECT_FALSE(b.contains("temperature"));
  EXPECT_FALSE(b.contains("chat_template_kwargs"));
}

TEST(OpenAiRequestTest, NotStreamed) {
  const Json b = Body(Options(Config::OPENAI), Spec(), 1, false);
  EXPECT_FALSE(b.contains("stream"));
  EXPECT_FALSE(b.contains("stream_options"));
}

TEST(OpenAiRequestTest, SamplingFieldsNAndLogprobs) {
  ChainSpec s = Spec();
  s.temperature = 0.7f;
  s.top_p = 0.9f;
  s.max_tokens = 500;
  s.top_logprobs = 5;
  s.seed = ~uint64_t{0};  // sent as the same 64 bits, signed
  const Json b = Body(Options(Config::OPENAI), s, 8);
  EXPECT_EQ(b["n"], 8);
  EXPECT_FLOAT_EQ(b["temperature"].get<float>(), 0.7f);
  EXPECT_FLOAT_EQ(b["top_p"].get<float>(), 0.9f);
  EXPECT_EQ(b["max_completion_tokens"], 500);
  EXPECT_EQ(b["logprobs"], true);
  EXPECT_EQ(b["top_logprobs"], 5);
  EXPECT_EQ(b["seed"].get<int64_t>(), -1);
}

TEST(OpenAiRequestTest, StopSequencesFromTheConfig) {
  OpenAiOptions o = Options(Config::OPENAI);
  o.stop = {"</answer>", "\n\nQ:"};
  EXPECT_EQ(Body(o, Spec())["stop"], Json::array({"</answer>", "\n\nQ:"}));
}

TEST(OpenAiRequestTest, MaxTokensFieldFollowsTheConfig) {
  ChainSpec s = Spec();
  s.max_tokens = 64;
  const Json b = Body(Options(Config::VLLM), s);
  EXPECT_EQ(b["max_tokens"], 64);
  EXPECT_FALSE(b.contains("max_completion_tokens"));
}

TEST(OpenAiRequestTest, ReasoningEffortForOpenAi) {
  ChainSpec s = Spec();
  s.reasoning_effort = "high";
  EXPECT_EQ(Body(Options(Config::OPENAI), s)["reasoning_effort"], "high");
  s.reasoning_effort = "extreme";
  absl::StatusOr<std::string> bad = BuildChatCompletionBody(Options(Config::OPENAI), s, 1, true);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("reasoning_effort"));
  s.reasoning_effort = "low";
  bad = BuildChatCompletionBody(Options(Config::VLLM, true), s, 1, true);
  EXPECT_THAT(bad.status().message(), HasSubstr("reasoning_effort"));
}

TEST(OpenAiRequestTest, ThinkingSwitchOnlyForVllmAndSglang) {
  ChainSpec s = Spec();
  for (Config::Flavor f : {Config::VLLM, Config::SGLANG}) {
    OpenAiOptions o = Options(f, true);
    o.top_k = 20;
    o.min_p = 0.05f;
    EXPECT_EQ(Body(o, s)["chat_template_kwargs"]["enable_thinking"], false);
    s.thinking_budget = 4096;
    const Json b = Body(o, s);
    EXPECT_EQ(b["chat_template_kwargs"]["enable_thinking"], true);
    EXPECT_EQ(b["top_k"], 20);
    EXPECT_FLOAT_EQ(b["min_p"].get<float>(), 0.05f);
    s.thinking_budget = 0;
  }
  // Never beyond the OpenAI document for OpenAI itself, even when options say so.
  OpenAiOptions o = Options(Config::OPENAI);
  o.thinking_switch = true;
  o.top_k = 3;
  const Json b = Body(o, s);
  EXPECT_FALSE(b.contains("chat_template_kwargs"));
  EXPECT_FALSE(b.contains("top_k"));
}

TEST(OpenAiRequestTest, AskingForWhatTheBackendLacksNamesTheField) {
  ChainSpec s = Spec();
  s.top_logprobs = 3;
  absl::StatusOr<std::string> r = BuildChatCompletionBody(Options(Config::OLLAMA), s, 1, true);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("top_logprobs"));
  EXPECT_THAT(r.status().message(), HasSubstr("OLLAMA"));

  s = Spec();
  s.thinking_budget = 1000;
  r = BuildChatCompletionBody(Options(Config::LLAMA_CPP), s, 1, true);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("thinking_budget"));
  r = BuildChatCompletionBody(Options(Config::VLLM, false), s, 1, true);
  EXPECT_THAT(r.status().message(), HasSubstr("thinking_budget"));

  s = Spec();
  r = BuildChatCompletionBody(Options(Config::LLAMA_CPP), s, 4, true);
  EXPECT_THAT(r.status().message(), HasSubstr("n"));

  s.top_logprobs = 21;
  r = BuildChatCompletionBody(Options(Config::OPENAI), s, 1, true);
  EXPECT_THAT(r.status().message(), HasSubstr("top_logprobs"));

  s = Spec();
  s.temperature = 0.5f;
  OpenAiOptions no_temp = Options(Config::OPENAI);
  no_temp.capabilities.temperature = false;
  r = BuildChatCompletionBody(no_temp, s, 1, true);
  EXPECT_THAT(r.status().message(), HasSubstr("temperature"));

  s = Spec();
  s.messages = std::make_shared<const std::vector<ChatMessage>>();
  r = BuildChatCompletionBody(Options(Config::OPENAI), s, 1, true);
  EXPECT_THAT(r.status().message(), HasSubstr("messages"));
}

TEST(OpenAiRequestTest, PromptEstimateIsBytesOverFour) {
  ChainSpec s = Spec();  // "Be brief." (9) + "2+2?" (4) = 13 bytes
  EXPECT_EQ(EstimatePromptTokens(s), 4u);
}

}  // namespace
}  // namespace ptc::openai
