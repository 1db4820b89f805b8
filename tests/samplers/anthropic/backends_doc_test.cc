// docs/backends.md cannot rot: every ```pbtxt block in it is a whole server config that must
// parse and validate with the server's own parser, and every backend in it must build.
//
// Validation does not read API keys (the server reads them when it builds its backends), so the
// build step sets each api_key_env variable to a dummy key first, and checks that a missing
// api_key_file is reported by name before building again with a temporary key file.
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/anthropic.pb.h"
#include "ptc/v1/backends/openai.pb.h"
#include "samplers/backend_registry.h"
#include "service/config.h"

namespace ptc {
namespace {

using ::testing::HasSubstr;

std::string ReadDoc() {
  std::ifstream in(std::string(PTC_SOURCE_DIR) + "/docs/backends.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The contents of every fenced block opened with ```pbtxt.
std::vector<std::string> PbtxtBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```pbtxt") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_FALSE(inside) << "an unterminated ```pbtxt block";
  return blocks;
}

// The HttpConfig of a backend of an HTTP kind; nullptr for the others.
const v1::HttpConfig* HttpOf(const google::protobuf::Any& any, v1::OpenAiBackendConfig& openai,
                             v1::AnthropicBackendConfig& anthropic) {
  if (any.Is<v1::OpenAiBackendConfig>() && any.UnpackTo(&openai)) return &openai.http();
  if (any.Is<v1::AnthropicBackendConfig>() && any.UnpackTo(&anthropic)) return &anthropic.http();
  return nullptr;
}

TEST(BackendsDocTest, HasASnippetForEveryKind) {
  const std::vector<std::string> blocks = PbtxtBlocks(ReadDoc());
  ASSERT_GE(blocks.size(), 6u);
  std::string all;
  for (const std::string& b : blocks) all += b;
  for (const char* needle :
       {"flavor: VLLM", "flavor: SGLANG", "flavor: LLAMA_CPP", "flavor: OLLAMA", "flavor: OPENAI",
        "ptc.v1.AnthropicBackendConfig", "thinking_mode: ADAPTIVE", "api_key_env", "api_key_file",
        "cached_input_usd_per_mtok"}) {
    EXPECT_THAT(all, HasSubstr(needle));
  }
}

TEST(BackendsDocTest, EverySnippetParsesAndValidates) {
  const std::vector<std::string> blocks = PbtxtBlocks(ReadDoc());
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto config = ParseServerConfig(blocks[i], "docs/backends.md block " + std::to_string(i));
    EXPECT_TRUE(config.ok()) << "block " << i << ": " << config.status() << "\n" << blocks[i];
  }
}

TEST(BackendsDocTest, EveryBackendBuilds) {
  const std::vector<std::string> blocks = PbtxtBlocks(ReadDoc());
  boost::asio::io_context io;
  const std::string key_file = ::testing::TempDir() + "/backends_doc_test_key";
  std::ofstream(key_file) << "doc-test-key-from-file\n";
  size_t built = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto config = ParseServerConfig(blocks[i], "block");
    if (!config.ok()) {
      ADD_FAILURE() << "block " << i << ": " << config.status();
      continue;
    }
    for (const v1::BackendConfig& b : config->backends()) {
      SCOPED_TRACE("block " + std::to_string(i) + " backend " + b.name());
      BackendDeps deps{io, b.name()};
      google::protobuf::Any any = b.config();
      v1::OpenAiBackendConfig openai;
      v1::AnthropicBackendConfig anthropic;
      const v1::HttpConfig* http = HttpOf(any, openai, anthropic);
      if (http != nullptr && !http->api_key_env().empty()) {
        // Unset, the variable stops the build, naming it; validation above did not look.
        unsetenv(http->api_key_env().c_str());
        auto missing = CreateBackend(any, deps);
        EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_THAT(missing.status().message(), HasSubstr(http->api_key_env()));
        setenv(http->api_key_env().c_str(), "doc-test-key", 1);
      }
      if (http != nullptr && !http->api_key_file().empty()) {
        // The documented path does not exist here: the failure names it; then build with a
        // real file in its place.
        auto missing = CreateBackend(any, deps);
        EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_THAT(missing.status().message(), HasSubstr(http->api_key_file()));
        if (any.Is<v1::AnthropicBackendConfig>()) {
          anthropic.mutable_http()->set_api_key_file(key_file);
          any.PackFrom(anthropic);
        } else {
          openai.mutable_http()->set_api_key_file(key_file);
          any.PackFrom(openai);
        }
      }
      auto backend = CreateBackend(any, deps);
      EXPECT_TRUE(backend.ok()) << backend.status();
      if (backend.ok()) ++built;
      if (http != nullptr && !http->api_key_env().empty()) {
        unsetenv(http->api_key_env().c_str());
      }
    }
  }
  EXPECT_GE(built, 7u);
}

}  // namespace
}  // namespace ptc
