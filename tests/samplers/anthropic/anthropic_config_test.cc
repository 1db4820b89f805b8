// The plugin's config reading: field-named errors, keys from the environment or a file, and the
// registration.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "boost/asio/io_context.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "samplers/anthropic/anthropic_backend.h"
#include "samplers/backend_registry.h"

namespace ptc::anthropic {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnv[] = "PTC_ANTHROPIC_CONFIG_TEST_KEY";
constexpr char kKey[] = "sk-ant-config-test-SECRET";

v1::AnthropicBackendConfig Config() {
  v1::AnthropicBackendConfig c;
  c.set_default_model("claude-sonnet-4-5");
  c.mutable_http()->set_api_key_env(kEnv);
  return c;
}

class AnthropicConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv(kEnv, kKey, 1); }
  void TearDown() override { unsetenv(kEnv); }
};

TEST_F(AnthropicConfigTest, Defaults) {
  auto o = OptionsFromConfig(Config());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->api_key, kKey);
  EXPECT_EQ(o->version, "2023-06-01");
  EXPECT_EQ(o->default_model, "claude-sonnet-4-5");
  EXPECT_EQ(o->thinking_mode, ThinkingMode::kBudgetTokens);
  EXPECT_FALSE(o->capabilities.native_n);
  EXPECT_FALSE(o->capabilities.logprobs);
  EXPECT_TRUE(o->capabilities.temperature);
  EXPECT_TRUE(o->capabilities.streaming);
  EXPECT_EQ(o->capabilities.thinking, ThinkingStyle::kBudgetTokens);
}

TEST_F(AnthropicConfigTest, AdaptiveModeAndOverrides) {
  v1::AnthropicBackendConfig c = Config();
  c.set_thinking_mode(v1::AnthropicBackendConfig::ADAPTIVE);
  c.set_effort("medium");
  c.set_anthropic_version("2099-01-01");
  c.mutable_capabilities()->set_temperature(false);
  c.mutable_capabilities()->set_streaming(false);
  c.mutable_capabilities()->set_native_n(false);  // saying "no" is allowed
  auto o = OptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->thinking_mode, ThinkingMode::kAdaptive);
  EXPECT_EQ(o->capabilities.thinking, ThinkingStyle::kEffortLevels);
  EXPECT_EQ(o->default_effort, "medium");
  EXPECT_EQ(o->version, "2099-01-01");
  EXPECT_FALSE(o->capabilities.temperature);
  EXPECT_FALSE(o->capabilities.streaming);
}

TEST_F(AnthropicConfigTest, ErrorsNameTheField) {
  struct Case {
    const char* field;
    void (*edit)(v1::AnthropicBackendConfig&);
  };
  const Case cases[] = {
      {"default_model", [](v1::AnthropicBackendConfig& c) { c.clear_default_model(); }},
      {"anthropic_version",
       [](v1::AnthropicBackendConfig& c) { c.set_anthropic_version("2023\r\nx: y"); }},
      {"capabilities.native_n",
       [](v1::AnthropicBackendConfig& c) { c.mutable_capabilities()->set_native_n(true); }},
      {"capabilities.logprobs",
       [](v1::AnthropicBackendConfig& c) { c.mutable_capabilities()->set_logprobs(true); }},
      {"effort", [](v1::AnthropicBackendConfig& c) { c.set_effort("high"); }},  // budget mode
      {"effort",
       [](v1::AnthropicBackendConfig& c) {
         c.set_thinking_mode(v1::AnthropicBackendConfig::ADAPTIVE);
         c.set_effort("Hi\"gh");
       }},
      {"http.api_key_env",
       [](v1::AnthropicBackendConfig& c) { c.mutable_http()->clear_api_key_env(); }},
      {"http.headers",
       [](v1::AnthropicBackendConfig& c) {
         (*c.mutable_http()->mutable_headers())["x-extra"] = std::string("a\nb") + kKey;
       }},
  };
  for (const Case& c : cases) {
    v1::AnthropicBackendConfig config = Config();
    c.edit(config);
    auto o = OptionsFromConfig(config);
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(o.status().message(), HasSubstr(c.field));
    EXPECT_THAT(o.status().message(), Not(HasSubstr(kKey)));
  }
}

TEST_F(AnthropicConfigTest, KeyFromFileOrProxyHeader) {
  const std::string path = ::testing::TempDir() + "/anthropic_key";
  { std::ofstream(path) << "sk-ant-from-file\n"; }
  v1::AnthropicBackendConfig c = Config();
  c.mutable_http()->clear_api_key_env();
  c.mutable_http()->set_api_key_file(path);
  auto o = OptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->api_key, "sk-ant-from-file");
  std::remove(path.c_str());

  // No key of its own, but a proxy's authorization header.
  c.mutable_http()->clear_api_key_file();
  (*c.mutable_http()->mutable_headers())["Authorization"] = "Bearer proxy-token";
  o = OptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->api_key.empty());
}

TEST_F(AnthropicConfigTest, UnsetKeyVariableIsAPreconditionNamingIt) {
  unsetenv(kEnv);
  auto o = OptionsFromConfig(Config());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(o.status().message(), HasSubstr(kEnv));
}

TEST_F(AnthropicConfigTest, RegisteredAndBuiltThroughTheRegistry) {
  google::protobuf::Any any;
  any.PackFrom(Config());
  boost::asio::io_context io;
  BackendDeps deps{io, "claude"};
  auto backend = CreateBackend(any, deps);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->default_model(), "claude-sonnet-4-5");
  EXPECT_FALSE((*backend)->capabilities().native_n);

  v1::AnthropicBackendConfig bad = Config();
  bad.mutable_http()->add_endpoints("ftp://nowhere");
  any.PackFrom(bad);
  backend = CreateBackend(any, deps);
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(backend.status().message(), HasSubstr("http.endpoints[0]"));
}

}  // namespace
}  // namespace ptc::anthropic
