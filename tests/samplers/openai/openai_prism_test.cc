// The OpenAI backend (HttpBackend + OpenAiProtocol) against a Prism mock server made from the
// OpenAI OpenAPI document. Run by openapi_conformance_test.sh, which starts Prism and passes its
// URL in PTC_PRISM_URL; skipped without it.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "gtest/gtest.h"
#include "ptc/v1/backends/openai.pb.h"
#include "samplers/backend_registry.h"

namespace ptc::openai {
namespace {

class Observer : public ChainObserver {
 public:
  void OnDelta(const ChainDelta& d) override { text.append(d.text.data(), d.text.size()); }
  void OnDone(ChainResult r) override {
    result = std::move(r);
    done.Notify();
  }
  std::string text;
  ChainResult result;
  absl::Notification done;
};

TEST(OpenAiPrismTest, ChainsThroughHttpBackendDecodeTheMockAnswers) {
  const char* url = std::getenv("PTC_PRISM_URL");
  if (url == nullptr) GTEST_SKIP() << "PTC_PRISM_URL not set (run by openapi_conformance_test.sh)";
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });

  v1::OpenAiBackendConfig c;
  c.set_default_model("gpt-4o-mini");
  c.mutable_http()->add_endpoints(url);
  c.mutable_http()->set_api_key_env("PTC_PRISM_TEST_KEY");
  // The documented example answer (not a random one), as one JSON body: Prism does not stream.
  (*c.mutable_http()->mutable_headers())["prefer"] = "dynamic=false";
  c.mutable_capabilities()->set_streaming(false);
  c.mutable_http()->mutable_retry()->set_max_attempts(1);
  setenv("PTC_PRISM_TEST_KEY", "sk-prism-test", 1);
  google::protobuf::Any any;
  any.PackFrom(c);
  BackendDeps deps{io, "prism"};
  auto backend = CreateBackend(any, deps);
  ASSERT_TRUE(backend.ok()) << backend.status();

  std::vector<std::shared_ptr<Observer>> observers;
  std::vector<std::unique_ptr<ChainHandle>> handles;
  for (int i = 0; i < 4; ++i) {
    ChainSpec s;
    s.model = "gpt-4o-mini";
    s.messages = std::make_shared<const std::vector<ChatMessage>>(
        std::vector<ChatMessage>{{ChatMessage::Role::kUser, "Which is larger? A) 3 B) 4"}});
    s.seed = i;
    s.max_tokens = 100;
    s.top_logprobs = i % 2 == 0 ? 0 : 3;
    s.reasoning_effort = i == 3 ? "low" : "";
    observers.push_back(std::make_shared<Observer>());
    handles.push_back((*backend)->Start(s, observers.back()));
  }
  for (auto& o : observers) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(120)));
    EXPECT_EQ(o->result.status, ChainStatus::kOk) << o->result.error;
    // The document's example answer: content "string", finish_reason "stop", counts 0.
    EXPECT_EQ(o->result.text, "string");
    EXPECT_EQ(o->text, "string");
    EXPECT_EQ(o->result.finish_reason, "stop");
  }
  backend->reset();
  work.reset();
  thread.join();
}

}  // namespace
}  // namespace ptc::openai
