#include "samplers/openai/openai_options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::openai {
namespace {

using ::testing::HasSubstr;
using Config = v1::OpenAiBackendConfig;

TEST(OpenAiOptionsTest, DefaultsPerFlavor) {
  Config c;
  c.set_default_model("gpt-5-mini");
  absl::StatusOr<OpenAiOptions> o = OpenAiOptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->flavor, Config::OPENAI);
  EXPECT_TRUE(o->use_max_completion_tokens);
  EXPECT_TRUE(o->split_think_tags);
  EXPECT_TRUE(o->capabilities.native_n);
  EXPECT_TRUE(o->capabilities.logprobs);
  EXPECT_EQ(o->capabilities.thinking, ThinkingStyle::kEffortLevels);

  c.set_flavor(Config::VLLM);
  c.set_thinking_switch(true);
  c.set_top_k(20);
  o = OpenAiOptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->use_max_completion_tokens);
  EXPECT_EQ(o->capabilities.thinking, ThinkingStyle::kOnOffSwitch);
  EXPECT_EQ(o->top_k, 20u);

  for (Config::Flavor f : {Config::LLAMA_CPP, Config::OLLAMA}) {
    const BackendCapabilities caps = FlavorCapabilities(f, false);
    EXPECT_FALSE(caps.native_n);
    EXPECT_EQ(caps.logprobs, f == Config::LLAMA_CPP);
    EXPECT_EQ(caps.thinking, ThinkingStyle::kNone);
  }
  EXPECT_TRUE(FlavorCapabilities(Config::SGLANG, false).native_n);
  EXPECT_EQ(FlavorCapabilities(Config::SGLANG, false).thinking, ThinkingStyle::kNone);
}

TEST(OpenAiOptionsTest, ErrorsNameTheField) {
  Config c;
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("default_model"));
  c.set_default_model("m");
  c.set_thinking_switch(true);
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("thinking_switch"));
  c.set_thinking_switch(false);
  c.set_min_p(0.1f);
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("min_p"));
  c.set_flavor(Config::SGLANG);
  c.set_min_p(2);
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("min_p"));
  c.clear_min_p();
  c.set_top_k(0);
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("top_k"));
  c.clear_top_k();
  for (int i = 0; i < 5; ++i) c.add_stop("END");
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("stop"));
  c.clear_stop();
  c.add_stop("");
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("stop[0]"));
  c.clear_stop();
  c.set_think_open_at_start(true);
  c.set_split_think_tags(false);
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("think_open_at_start"));
  c.set_split_think_tags(true);
  ASSERT_TRUE(OpenAiOptionsFromConfig(c).ok());
  EXPECT_TRUE(OpenAiOptionsFromConfig(c)->think_open_at_start);
  c.set_flavor(static_cast<Config::Flavor>(42));
  EXPECT_THAT(OpenAiOptionsFromConfig(c).status().message(), HasSubstr("flavor"));
}

}  // namespace
}  // namespace ptc::openai
