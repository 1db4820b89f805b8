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
  v1::StopRule fixed, ac, esc, deepconf;
  ac.mutable_adaptive_consistency();
  esc.mutable_esc();
  // DeepConf online sized for N = 40: a warm-up of 4, groups of 32 tokens (the simulated chains
  // are a few hundred tokens long), 90% weighted consensus. The simulated model's confidence
  // signal is on (sim.proto confidence_gap).
  auto* d = deepconf.mutable_deepconf_online();
  d->set_warmup(4);
  d->set_window_tokens(32);
  d->set_consensus(0.9);
  const NStats f = run(fixed), a = run(ac), e = run(esc), c = run(deepconf);
  (*server)->Shutdown();
  std::printf(
      "fixed: accuracy %.4f tokens %.0f\nadaptive_consistency: accuracy %.4f tokens %.0f "
      "(%.2fx fewer)\nesc: accuracy %.4f tokens %.0f (%.2fx fewer)\ndeepconf_online: accuracy "
      "%.4f tokens %.0f (%.2fx fewer)\n",
      f.accuracy, f.mean_tokens, a.accuracy, a.mean_tokens, f.mean_tokens / a.mean_tokens,
      e.accuracy, e.mean_tokens, f.mean_tokens / e.mean_tokens, c.accuracy, c.mean_tokens,
      f.mean_tokens / c.mean_tokens);
  EXPECT_EQ(f.requests, 3 * static_cast<int>(questions->size()));
  EXPECT_DOUBLE_EQ(f.mean_chains, 40);
  // Adaptive-Consistency: within 0.5 points of fixed N = 40, at least 2.5x fewer tokens.
  EXPECT_GE(a.accuracy, f.accuracy - 0.005);
  EXPECT_GE(f.mean_tokens / a.mean_tokens, 2.5);
  // ESC: as accurate, at least 2x fewer tokens.
  EXPECT_GE(e.accuracy, f.accuracy - 0.005);
  EXPECT_GE(f.mean_tokens / e.mean_tokens, 2.0);
  // DeepConf online: equal or better accuracy, at least 3x fewer tokens.
  EXPECT_GE(c.accuracy, f.accuracy);
  EXPECT_GE(f.mean_tokens / c.mean_tokens, 3.0);
}

}  // namespace
}  // namespace ptc::eval
