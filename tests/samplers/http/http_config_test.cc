#include "samplers/http/http_config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string TempFile(const std::string& name, const std::string& contents) {
  const std::string path =
      ::testing::TempDir() + "/ptc_http_config_test_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ClientOptionsFromConfigTest, Defaults) {
  v1::HttpConfig config;
  config.add_endpoints("https://api.example.com/v1");
  absl::StatusOr<ClientOptions> o = ClientOptionsFromConfig(config);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoints, std::vector<std::string>{"https://api.example.com/v1"});
  EXPECT_EQ(o->max_connections_per_endpoint, 64u);
  EXPECT_TRUE(o->verify_peer);
  EXPECT_EQ(o->timeouts.connect, 10s);
  EXPECT_EQ(o->timeouts.first_byte, 120s);
  EXPECT_EQ(o->timeouts.idle, 60s);
  EXPECT_EQ(o->timeouts.total, 1800s);
}

TEST(ClientOptionsFromConfigTest, SetFields) {
  v1::HttpConfig config;
  config.add_endpoints("http://a:8000/v1");
  config.add_endpoints("http://b:8000/v1");
  config.set_max_connections_per_endpoint(8);
  config.set_insecure_skip_verify(true);
  config.set_connect_timeout_ms(1);
  config.set_first_byte_timeout_ms(2);
  config.set_idle_timeout_ms(3);
  config.set_total_timeout_ms(4);
  config.set_ca_file(TempFile("ca.pem", "not really a PEM"));
  absl::StatusOr<ClientOptions> o = ClientOptionsFromConfig(config);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoints.size(), 2u);
  EXPECT_EQ(o->max_connections_per_endpoint, 8u);
  EXPECT_FALSE(o->verify_peer);
  EXPECT_EQ(o->timeouts.connect, 1ms);
  EXPECT_EQ(o->timeouts.first_byte, 2ms);
  EXPECT_EQ(o->timeouts.idle, 3ms);
  EXPECT_EQ(o->timeouts.total, 4ms);
  EXPECT_EQ(o->ca_file, config.ca_file());
}

TEST(ClientOptionsFromConfigTest, DefaultEndpointOnlyWhenNoneListed) {
  v1::HttpConfig config;
  EXPECT_EQ(ClientOptionsFromConfig(config, "https://api.openai.com/v1")->endpoints,
            std::vector<std::string>{"https://api.openai.com/v1"});
  absl::Status s = ClientOptionsFromConfig(config).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("http.endpoints"));
}

TEST(ClientOptionsFromConfigTest, BadFieldsAreNamed) {
  v1::HttpConfig config;
  config.add_endpoints("http://ok/v1");
  config.add_endpoints("ftp://nope");
  absl::Status s = ClientOptionsFromConfig(config).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("http.endpoints[1]"));

  v1::HttpConfig ca;
  ca.add_endpoints("https://x");
  ca.set_ca_file("/nonexistent/ca.pem");
  s = ClientOptionsFromConfig(ca).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("http.ca_file"));
}

TEST(RetryOptionsFromConfigTest, DefaultsAndFields) {
  v1::HttpConfig config;
  absl::StatusOr<RetryOptions> r = RetryOptionsFromConfig(config);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_attempts, 4u);
  EXPECT_EQ(r->initial_backoff, 500ms);
  EXPECT_EQ(r->max_backoff, 20s);
  config.mutable_retry()->set_max_attempts(1);
  config.mutable_retry()->set_initial_backoff_ms(10);
  config.mutable_retry()->set_max_backoff_ms(100);
  r = RetryOptionsFromConfig(config);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_attempts, 1u);
  EXPECT_EQ(r->initial_backoff, 10ms);
  EXPECT_EQ(r->max_backoff, 100ms);
  EXPECT_EQ(r->budget.ratio, 0.2);
  EXPECT_EQ(r->budget.min_per_second, 10);
  config.mutable_retry()->set_budget_ratio(0);  // set to zero is not "unset"
  config.mutable_retry()->set_budget_min_per_s(1);
  r = RetryOptionsFromConfig(config);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->budget.ratio, 0);
  EXPECT_EQ(r->budget.min_per_second, 1);
}

TEST(RetryOptionsFromConfigTest, BadFieldsAreNamed) {
  v1::HttpConfig config;
  config.mutable_retry()->set_max_attempts(1000);
  EXPECT_THAT(RetryOptionsFromConfig(config).status().message(),
              HasSubstr("http.retry.max_attempts"));
  config.mutable_retry()->set_max_attempts(2);
  config.mutable_retry()->set_initial_backoff_ms(5000);
  config.mutable_retry()->set_max_backoff_ms(100);
  absl::Status s = RetryOptionsFromConfig(config).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("http.retry.initial_backoff_ms"));
  config.mutable_retry()->set_initial_backoff_ms(10);
  config.mutable_retry()->set_budget_ratio(-0.1);
  EXPECT_THAT(RetryOptionsFromConfig(config).status().message(),
              HasSubstr("http.retry.budget_ratio"));
  config.mutable_retry()->set_budget_ratio(0.1);
  config.mutable_retry()->set_budget_min_per_s(1e9);
  EXPECT_THAT(RetryOptionsFromConfig(config).status().message(),
              HasSubstr("http.retry.budget_min_per_s"));
}

TEST(ClientOptionsFromConfigTest, OutlierDetection) {
  v1::HttpConfig config;
  config.add_endpoints("http://a:1");
  absl::StatusOr<ClientOptions> o = ClientOptionsFromConfig(config, "");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->outlier.enabled);
  EXPECT_EQ(o->outlier.interval, 10s);
  EXPECT_EQ(o->outlier.latency_factor, 3);
  config.mutable_outlier_detection()->set_latency_factor(0);
  config.mutable_outlier_detection()->set_ejection_ms(5000);
  o = ClientOptionsFromConfig(config, "");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->outlier.latency_factor, 0);
  EXPECT_EQ(o->outlier.base_ejection, 5s);
  config.mutable_outlier_detection()->set_latency_factor(0.5);
  EXPECT_THAT(ClientOptionsFromConfig(config, "").status().message(),
              HasSubstr("http.outlier_detection.latency_factor"));
  config.mutable_outlier_detection()->set_latency_factor(2);
  config.mutable_outlier_detection()->set_max_ejected_fraction(1);
  EXPECT_THAT(ClientOptionsFromConfig(config, "").status().message(),
              HasSubstr("http.outlier_detection.max_ejected_fraction"));
}

TEST(HedgeOptionsFromConfigTest, OffByDefaultAndBounded) {
  v1::HttpConfig config;
  absl::StatusOr<HttpBackendOptions> o = BackendOptionsFromConfig(config, "b");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->name, "b");
  EXPECT_EQ(o->hedge.after, 0ms);
  EXPECT_EQ(o->hedge.max_ratio, 0.1);
  config.mutable_hedge()->set_after_ms(250);
  config.mutable_hedge()->set_max_ratio(0.05);
  o = BackendOptionsFromConfig(config, "b");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->hedge.after, 250ms);
  EXPECT_EQ(o->hedge.max_ratio, 0.05);
  config.mutable_hedge()->set_max_ratio(1.5);
  EXPECT_THAT(BackendOptionsFromConfig(config, "b").status().message(),
              HasSubstr("http.hedge.max_ratio"));
  config.mutable_hedge()->set_max_ratio(0.1);
  config.mutable_hedge()->set_after_ms(700000);
  EXPECT_THAT(BackendOptionsFromConfig(config, "b").status().message(),
              HasSubstr("http.hedge.after_ms"));
}

TEST(ReadApiKeyTest, NoneConfigured) { EXPECT_EQ(*ReadApiKey(v1::HttpConfig()), ""); }

TEST(ReadApiKeyTest, FromEnvironment) {
  ::setenv("PTC_HTTP_CONFIG_TEST_KEY", "sk-env-SECRET", 1);
  v1::HttpConfig config;
  config.set_api_key_env("PTC_HTTP_CONFIG_TEST_KEY");
  EXPECT_EQ(*ReadApiKey(config), "sk-env-SECRET");
  ::setenv("PTC_HTTP_CONFIG_TEST_KEY", "", 1);
  absl::Status s = ReadApiKey(config).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("PTC_HTTP_CONFIG_TEST_KEY"));
  config.set_api_key_env("PTC_HTTP_CONFIG_TEST_UNSET_VARIABLE");
  EXPECT_EQ(ReadApiKey(config).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ReadApiKeyTest, FromFileWithoutTrailingNewline) {
  v1::HttpConfig config;
  config.set_api_key_file(TempFile("key", "sk-file-SECRET\n"));
  EXPECT_EQ(*ReadApiKey(config), "sk-file-SECRET");
  config.set_api_key_file(TempFile("crlf_key", "sk-file-SECRET\r\n"));
  EXPECT_EQ(*ReadApiKey(config), "sk-file-SECRET");
  config.set_api_key_file(TempFile("empty_key", "\n"));
  absl::Status s = ReadApiKey(config).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("empty_key"));
  config.set_api_key_file("/nonexistent/key");
  s = ReadApiKey(config).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/key"));
}

TEST(ReadApiKeyTest, BothSourcesIsAnError) {
  v1::HttpConfig config;
  config.set_api_key_env("X");
  config.set_api_key_file("/y");
  EXPECT_EQ(ReadApiKey(config).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ApplyCapabilityOverridesTest, OnlySetFieldsChange) {
  BackendCapabilities caps;
  caps.native_n = true;
  caps.logprobs = true;
  v1::CapabilityOverrides overrides;
  overrides.set_logprobs(false);
  overrides.set_streaming(false);
  ApplyCapabilityOverrides(overrides, caps);
  EXPECT_TRUE(caps.native_n);
  EXPECT_FALSE(caps.logprobs);
  EXPECT_TRUE(caps.temperature);
  EXPECT_FALSE(caps.streaming);
}

}  // namespace
}  // namespace ptc::http
