// The experiment runner against the real server in-process on loopback (default config: the
// embedded simulated backend on the bundled sample).
#include "bench/eval/eval_runner.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "bench/eval/eval_stats.h"
#include "bench/eval/results_writer.h"
#include "common/mcq_dataset.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::eval {
namespace {

class EvalRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = Server::Start(LocalServerConfig());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Orchestrator::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    auto questions = LoadMcqJsonl(std::string(PTC_SOURCE_DIR) + "/bench/data/gpqa_sample.jsonl");
    ASSERT_TRUE(questions.ok()) << questions.status();
    questions_ = *std::move(questions);
    if (questions_.size() > 20) questions_.resize(20);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(5));
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
  std::vector<McqQuestion> questions_;
};

TEST_F(EvalRunnerTest, RunsEveryQuestionForEveryN) {
  EvalOptions options;
  options.ns = {1, 8};
  options.base_seed = 7;
  options.experiment = "eval_runner_test";
  std::vector<uint32_t> finished;
  options.on_n_done = [&](uint32_t n, const std::vector<RequestResult>& results) {
    finished.push_back(n);
    EXPECT_EQ(results.size(), questions_.size());
  };
  auto results = RunEval(*stub_, questions_, options);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->errors, 0) << results->first_error;
  ASSERT_EQ(results->by_n.size(), 2u);
  EXPECT_EQ(finished.size(), 2u);

  std::vector<NStats> rows;
  for (size_t i = 0; i < options.ns.size(); ++i) {
    const uint32_t n = options.ns[i];
    const std::vector<RequestResult>& by_n = results->by_n[i];
    ASSERT_EQ(by_n.size(), questions_.size());
    for (size_t q = 0; q < by_n.size(); ++q) {
      const RequestResult& r = by_n[q];
      EXPECT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.question, static_cast<int>(q));
      EXPECT_EQ(r.n, n);
      EXPECT_EQ(r.chains, n);
      EXPECT_GT(r.tokens, 0u);
      EXPECT_GT(r.cost_usd, 0);
      EXPECT_GT(r.latency_s, 0);
    }
    NStats s = Summarize(n, by_n);
    EXPECT_EQ(s.questions, static_cast<int>(questions_.size()));
    EXPECT_GE(s.accuracy, 0);
    EXPECT_LE(s.accuracy, 1);
    EXPECT_LE(s.ci.low, s.accuracy);
    EXPECT_GE(s.ci.high, s.accuracy);
    EXPECT_DOUBLE_EQ(s.mean_chains, n);
    EXPECT_GT(s.mean_cost_usd, 0);
    rows.push_back(s);
  }
  // More chains cost more.
  EXPECT_GT(rows[1].mean_cost_usd, rows[0].mean_cost_usd);

  const std::string dir = ::testing::TempDir() + "/eval_runner_test_out/nested";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteResultsCsv(dir, rows).ok());
  std::ifstream in(dir + "/results.csv");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(ss.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], kResultsCsvHeader);
  EXPECT_TRUE(absl::StartsWith(lines[1], "majority,fixed,1,0,20,")) << lines[1];
  EXPECT_TRUE(absl::StartsWith(lines[2], "majority,fixed,8,0,20,")) << lines[2];
}

TEST_F(EvalRunnerTest, IsReproducible) {
  EvalOptions options;
  options.ns = {4};
  options.base_seed = 3;
  options.max_in_flight = 3;
  questions_.resize(6);
  auto a = RunEval(*stub_, questions_, options);
  auto b = RunEval(*stub_, questions_, options);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t q = 0; q < questions_.size(); ++q) {
    EXPECT_EQ(a->by_n[0][q].correct, b->by_n[0][q].correct);
    EXPECT_EQ(a->by_n[0][q].tokens, b->by_n[0][q].tokens);
  }
}

TEST_F(EvalRunnerTest, ReportsFailedCalls) {
  EvalOptions options;
  options.ns = {2};
  options.backend = "no-such-backend";
  questions_.resize(3);
  auto results = RunEval(*stub_, questions_, options);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->errors, 3);
  EXPECT_TRUE(absl::StartsWith(results->first_error, "INVALID_ARGUMENT: ")) << results->first_error;
  NStats s = Summarize(2, results->by_n[0]);
  EXPECT_EQ(s.errors, 3);
  EXPECT_EQ(s.accuracy, 0);
  EXPECT_EQ(s.first_error, results->first_error);
}

TEST_F(EvalRunnerTest, RejectsBadOptions) {
  EvalOptions options;
  EXPECT_FALSE(RunEval(*stub_, questions_, options).ok());  // no N
  options.ns = {0};
  EXPECT_FALSE(RunEval(*stub_, questions_, options).ok());
  options.ns = {1};
  options.max_in_flight = 0;
  EXPECT_FALSE(RunEval(*stub_, questions_, options).ok());
  options.max_in_flight = 1;
  EXPECT_FALSE(RunEval(*stub_, {}, options).ok());
}

TEST(BuildRequestTest, SameSeedForEveryNAndGradedOnTheShuffledLetter) {
  McqQuestion q;
  q.id = "q1";
  q.question = "Which?";
  q.correct_answer = "right";
  q.incorrect_answers = {"w1", "w2", "w3"};
  EvalOptions options;
  options.base_seed = 11;
  options.experiment = "label";
  options.backend = "sim";
  options.max_tokens = 512;
  const uint64_t seed = QuestionSeed(11, 5, 2);
  EXPECT_NE(seed, QuestionSeed(11, 5, 3));
  EXPECT_NE(seed, QuestionSeed(12, 5, 2));
  const McqPrompt prompt = FormatMcqPrompt(q, seed);
  for (uint32_t n : {1u, 64u}) {
    v1::SolveRequest r = BuildRequest(q, 5, 2, n, options);
    ASSERT_EQ(r.messages_size(), 1);
    EXPECT_EQ(r.messages(0).role(), v1::Message::ROLE_USER);
    EXPECT_EQ(r.messages(0).content(), prompt.text);
    EXPECT_EQ(r.answer_format().multiple_choice().letters(), "ABCD");
    ASSERT_EQ(r.sampling_size(), 1);
    EXPECT_EQ(r.sampling(0).n(), n);
    EXPECT_EQ(r.sampling(0).seed(), seed);
    EXPECT_EQ(r.sampling(0).backend(), "sim");
    EXPECT_EQ(r.sampling(0).max_tokens(), 512u);
    EXPECT_EQ(r.reference_answer(), std::string(1, prompt.correct_letter));
    EXPECT_EQ(r.experiment(), "label");
  }
}

}  // namespace
}  // namespace ptc::eval
