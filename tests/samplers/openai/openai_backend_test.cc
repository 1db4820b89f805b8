// The OpenAI backend factory through the registry: defaults per flavour, capability overrides,
// and config errors that name the field.
#include "samplers/openai/openai_backend.h"

#include <cstdlib>

#include "boost/asio/io_context.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/openai.pb.h"

namespace ptc::openai {
namespace {

using ::testing::HasSubstr;
using Config = v1::OpenAiBackendConfig;

absl::StatusOr<std::unique_ptr<Backend>> Build(const Config& c) {
  static boost::asio::io_context io;
  BackendDeps deps{io, "test"};
  google::protobuf::Any any;
  any.PackFrom(c);
  return CreateBackend(any, deps);
}

Config Valid(Config::Flavor flavor) {
  Config c;
  c.set_flavor(flavor);
  c.set_default_model("qwen3-8b");
  c.mutable_http()->add_endpoints("http://127.0.0.1:8000/v1");
  return c;
}

TEST(OpenAiBackendTest, BuildsEachFlavourWithItsCapabilities) {
  for (Config::Flavor f :
       {Config::OPENAI, Config::VLLM, Config::SGLANG, Config::LLAMA_CPP, Config::OLLAMA}) {
    auto b = Build(Valid(f));
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ((*b)->default_model(), "qwen3-8b");
    const BackendCapabilities& caps = (*b)->capabilities();
    EXPECT_EQ(caps.native_n, f != Config::LLAMA_CPP && f != Config::OLLAMA) << f;
    EXPECT_EQ(caps.logprobs, f != Config::OLLAMA) << f;
    EXPECT_TRUE(caps.streaming);
  }
}

TEST(OpenAiBackendTest, CapabilityOverridesApply) {
  Config c = Valid(Config::OLLAMA);
  c.mutable_capabilities()->set_logprobs(true);
  c.mutable_capabilities()->set_streaming(false);
  auto b = Build(c);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE((*b)->capabilities().logprobs);
  EXPECT_FALSE((*b)->capabilities().streaming);
}

TEST(OpenAiBackendTest, ConfigErrorsNameTheField) {
  Config c = Valid(Config::VLLM);
  c.clear_default_model();
  EXPECT_THAT(Build(c).status().message(), HasSubstr("default_model"));

  c = Valid(Config::VLLM);
  c.mutable_http()->clear_endpoints();
  EXPECT_THAT(Build(c).status().message(), HasSubstr("http.endpoints"));

  c = Valid(Config::VLLM);
  c.mutable_http()->set_endpoints(0, "ftp://x");
  EXPECT_THAT(Build(c).status().message(), HasSubstr("http.endpoints[0]"));

  c = Valid(Config::LLAMA_CPP);
  c.set_max_n_per_request(4);
  EXPECT_THAT(Build(c).status().message(), HasSubstr("max_n_per_request"));
  c.mutable_capabilities()->set_native_n(true);  // the operator knows better
  EXPECT_TRUE(Build(c).ok());

  c = Valid(Config::OPENAI);
  c.set_max_n_per_request(129);
  EXPECT_THAT(Build(c).status().message(), HasSubstr("max_n_per_request"));

  // api.openai.com without a key.
  c = Valid(Config::OPENAI);
  c.mutable_http()->clear_endpoints();
  EXPECT_THAT(Build(c).status().message(), HasSubstr("api_key"));

  c = Valid(Config::OPENAI);
  c.mutable_http()->set_api_key_env("PTC_OPENAI_TEST_UNSET_KEY_VARIABLE");
  const absl::Status s = Build(c).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("PTC_OPENAI_TEST_UNSET_KEY_VARIABLE"));

  c = Valid(Config::OPENAI);
  c.set_top_k(5);
  EXPECT_THAT(Build(c).status().message(), HasSubstr("top_k"));
}

}  // namespace
}  // namespace ptc::openai
