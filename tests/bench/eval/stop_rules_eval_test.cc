// Early stopping on the simulated scenario, end to end through the in-process server: the
// figures issue 5 asks for, with fixed seeds (stop decisions are taken in plan order, so they do
// not depend on timing).
#include <cstdio>

#include "bench/eval/eval_runner.h"
#include "common/mcq_dataset.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::eval {
namespace {

TEST(StopRulesEvalTest, EarlyStoppingMatchesFixedFortyWithFarFewerTokens) {
  auto server = Server::Start(LocalServerConfig());
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::Orchestrator::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
  ASSERT_TRUE(questions.ok()) << questions.status();

  auto run = [&](const v1::StopRule& stop) {
    EvalOptions options;
    options.ns = {40};
    options.repeats = 3;
    options.max_in_flight = 64;
    options.stop = stop;
    auto results = RunEval(*stub, *questions, options);
    EXPECT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(results->errors, 0) << results->first_error;
    return Summarize(40, results->by_n[0]);
  };
  v1::StopRule fixed, ac, esc;
  ac.mutable_adaptive_consistency();
  esc.mutable_esc();
  const NStats f = run(fixed), a = run(ac), e = run(esc);
  (*server)->Shutdown();
  std::printf(
      "fixed: accuracy %.4f tokens %.0f\nadaptive_consistency: accuracy %.4f tokens %.0f "
      "(%.2fx fewer)\nesc: accuracy %.4f tokens %.0f (%.2fx fewer)\n",
      f.accuracy, f.mean_tokens, a.accuracy, a.mean_tokens, f.mean_tokens / a.mean_tokens,
      e.accuracy, e.mean_tokens, f.mean_tokens / e.mean_tokens);
  EXPECT_EQ(f.requests, 3 * static_cast<int>(questions->size()));
  EXPECT_DOUBLE_EQ(f.mean_chains, 40);
  // Adaptive-Consistency: within 0.5 points of fixed N = 40, at least 2.5x fewer tokens.
  EXPECT_GE(a.accuracy, f.accuracy - 0.005);
  EXPECT_GE(f.mean_tokens / a.mean_tokens, 2.5);
  // ESC: as accurate, at least 2x fewer tokens.
  EXPECT_GE(e.accuracy, f.accuracy - 0.005);
  EXPECT_GE(f.mean_tokens / e.mean_tokens, 2.0);
}

}  // namespace
}  // namespace ptc::eval
