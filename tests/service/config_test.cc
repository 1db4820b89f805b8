#include "service/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, DefaultConfigIsValidAndUsesTheSimBackend) {
  v1::ServerConfig c = DefaultServerConfig();
  EXPECT_TRUE(ValidateServerConfig(c).ok());
  ASSERT_EQ(c.backends_size(), 1);
  EXPECT_EQ(c.backends(0).name(), "sim");
  EXPECT_EQ(c.default_backend(), "sim");
  EXPECT_EQ(c.limits().max_chains_per_request(), 256u);
}

TEST(ConfigTest, ParsesPluginConfigsInAny) {
  auto c = ParseServerConfig(
      R"pb(
        listen: "0.0.0.0:7000"
        backends {
          name: "fast"
          config {
            [type.googleapis.com/ptc.v1.SimBackendConfig] { target_accuracy: 0.6 seed: 9 }
          }
        }
        pricing { backend: "fast" input_usd_per_mtok: 1 output_usd_per_mtok: 2 }
        limits { max_chains_per_request: 64 }
      )pb",
      "test.pbtxt");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->default_backend(), "fast");
  EXPECT_EQ(c->limits().max_chains_per_request(), 64u);
  EXPECT_EQ(c->limits().max_messages(), 64u);  // default filled
}

struct BadConfig {
  const char* text;
  const char* message;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << "\"" << c.message << "\""; }

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, NamesWhatIsWrong) {
  auto c = ParseServerConfig(GetParam().text, "bad.pbtxt");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("bad.pbtxt"));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(GetParam().message));
}

constexpr char kSim[] = "config { [type.googleapis.com/ptc.v1.SimBackendConfig] {} }";

INSTANTIATE_TEST_SUITE_P(
    Table, BadConfigTest,
    ::testing::Values(
        BadConfig{"listen: \"x\"\nbogus_field: 1", "line 2"},
        BadConfig{"backends {}", "backends[0].name"},
        BadConfig{"listen: \"nope\"", "listen: \"nope\" is not HOST:PORT"},
        BadConfig{"", "backends: at least one backend"},
        BadConfig{
            "backends { name: \"a\" config { [type.googleapis.com/ptc.v1.ServerLimits] {} } }",
            "backends[0].config: unknown plugin \"ptc.v1.ServerLimits\""},
        BadConfig{"backends { name: \"Bad Name\" }", "backends[0].name"}));

// Bad configs above that get past parsing need a valid backend "a" to reach their own error.
class BadConfigWithBackendTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigWithBackendTest, NamesWhatIsWrong) {
  std::string text = std::string("backends { name: \"a\" ") + kSim + " }\n" + GetParam().text;
  auto c = ParseServerConfig(text, "bad.pbtxt");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadConfigWithBackendTest,
    ::testing::Values(
        BadConfig{"backends { name: \"a\" }", "backends[1].name: duplicate \"a\""},
        BadConfig{"default_backend: \"zzz\"", "default_backend: no backend named \"zzz\""},
        BadConfig{"pricing { backend: \"nobody\" }", "pricing[0].backend"},
        BadConfig{"pricing { backend: \"a\" input_usd_per_mtok: -1 }",
                  "pricing[0].input_usd_per_mtok"},
        BadConfig{"pricing { backend: \"a\" }\npricing { backend: \"a\" }",
                  "pricing[1]: duplicate"},
        BadConfig{"limits { default_max_tokens: 100 max_tokens_per_chain: 50 }",
                  "limits.default_max_tokens"},
        BadConfig{"metrics_listen: \"127.0.0.1:99999\"", "metrics_listen"},
        BadConfig{"tenants { name: \"t\" api_key_sha256: \"sk-plain-key\" }",
                  "tenants[0].api_key_sha256[0]: not a SHA-256 digest"},
        BadConfig{"tenants { name: \"t\" api_key_sha256: "
                  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
                  "allowed_backends: \"zzz\" }",
                  "tenants[0].allowed_backends[0]: no backend named \"zzz\""},
        BadConfig{"admission { max_queue_wait_ms: 99999999 }", "admission.max_queue_wait_ms"}));

TEST(ConfigTest, ShippedExampleConfigIsValid) {
  auto c = LoadServerConfigFile(PTC_SOURCE_DIR "/deploy/config/example.pbtxt");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backends_size(), 2);
}

TEST(ConfigTest, MissingFileIsNotFound) {
  auto c = LoadServerConfigFile("/nonexistent/ptc.pbtxt");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
}

// TLS files are checked in tests/service/tls_test.cc; these need none.
TEST(ConfigTest, EmptyTlsIsPlaintextWithTheReloadDefault) {
  auto c = ParseServerConfig(std::string("backends { name: \"sim\" ") + kSim + " }\ntls {}",
                             "tls.pbtxt");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls().reload_interval_s(), 60u);
}

TEST(ConfigTest, TlsErrorsNameTheField) {
  const std::string backend = std::string("backends { name: \"sim\" ") + kSim + " }\n";
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"tls { key_file: \"/k.pem\" }", "tls.cert_file: required"},
           {"tls { cert_file: \"/c.pem\" }", "tls.key_file: required"},
           {"tls { client_ca_file: \"/ca.pem\" }", "tls.cert_file: required"},
           {"tls { cert_file: \"/nonexistent/c.pem\" key_file: \"/nonexistent/k.pem\" }",
            "tls.cert_file: cannot read \"/nonexistent/c.pem\": No such file or directory"},
           {"tls { cert_file: \"/c\" key_file: \"/k\" reload_interval_s: 100000 }",
            "tls.reload_interval_s: must be in [1, 86400]"}}) {
    auto c = ParseServerConfig(backend + text, "tls.pbtxt");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_THAT(std::string(c.status().message()), HasSubstr(message));
  }
}

}  // namespace
}  // namespace ptc
