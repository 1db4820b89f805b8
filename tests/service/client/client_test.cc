// The `ptc` client's commands: option parsing, the solve request and report, and both commands
// end to end against an in-process server.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/mcq_dataset.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/client/arg_parsing.h"
#include "service/client/eval_command.h"
#include "service/client/progress.h"
#include "service/client/solve_command.h"
#include "service/config.h"
#include "service/server.h"

namespace ptc::client {
namespace {

using ::testing::HasSubstr;

const std::string kDataset = std::string(PTC_SOURCE_DIR) + "/bench/data/gpqa_sample.jsonl";

TEST(ArgParsingTest, PositiveIntegers) {
  EXPECT_EQ(*ParsePositiveUint32("n", "16"), 16u);
  for (const char* bad : {"0", "-1", "", "1.5", "x", "+3", " 3", "99999999999"}) {
    auto v = ParsePositiveUint32("n", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().message(), std::string("--n: \"") + bad + "\" is not a positive integer");
  }
}

TEST(ArgParsingTest, NList) {
  auto ns = ParseNList("n", "1, 4,16 ,64");
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(*ns, (std::vector<uint32_t>{1, 4, 16, 64}));
  EXPECT_EQ(ParseNList("n", "1,0,4").status().message(), "--n: \"0\" is not a positive integer");
  EXPECT_EQ(ParseNList("n", "1,,4").status().message(), "--n: \"\" is not a positive integer");
  EXPECT_EQ(ParseNList("n", "4,4").status().message(), "--n: 4 is given twice");
  EXPECT_FALSE(ParseNList("n", "").ok());
}

TEST(ArgParsingTest, SeedAndTemperature) {
  EXPECT_EQ(*ParseUint64("seed", "18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(ParseUint64("seed", "-1").ok());
  EXPECT_FLOAT_EQ(*ParseFloat("temperature", "0.7"), 0.7f);
  EXPECT_FALSE(ParseFloat("temperature", "warm").ok());
  EXPECT_FALSE(ParseFloat("temperature", "inf").ok());
}

TEST(SolveRequestTest, FromArguments) {
  SolveArgs args;
  args.prompt = "What is 2+2?";
  args.n = 5;
  args.seed = 9;
  args.temperature = 0.5f;
  args.format = "number";
  args.reference = "4";
  auto req = BuildSolveRequest(args);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->messages(0).content(), "What is 2+2?");
  EXPECT_TRUE(req->answer_format().has_number());
  EXPECT_EQ(req->sampling(0).n(), 5u);
  EXPECT_EQ(req->sampling(0).seed(), 9u);
  EXPECT_FLOAT_EQ(req->sampling(0).temperature(), 0.5f);
  EXPECT_EQ(req->reference_answer(), "4");

  args.format = "mc";
  args.letters = "ABCDE";
  req = BuildSolveRequest(args);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->answer_format().multiple_choice().letters(), "ABCDE");
  args.format = "text";
  EXPECT_EQ(BuildSolveRequest(args).status().message(), "--letters: only with --format mc");
  args.letters.clear();
  EXPECT_TRUE(BuildSolveRequest(args)->answer_format().has_exact_text());
  args.format = "yaml";
  EXPECT_EQ(BuildSolveRequest(args).status().message(),
            "--format: \"yaml\" is not mc, number or text");
  args.format = "mc";
  args.prompt.clear();
  EXPECT_FALSE(BuildSolveRequest(args).ok());
}

TEST(SolveReportTest, ShowsEverything) {
  v1::SolveResponse r;
  r.set_answer("B");
  r.set_confidence(0.75);
  auto* c = r.add_candidates();
  c->set_answer("B");
  c->set_votes(3);
  c->set_share(0.75);
  c = r.add_candidates();
  c->set_answer("C");
  c->set_votes(1);
  c->set_share(0.25);
  r.set_correct(true);
  r.set_reference_answer("B");
  r.set_unparseable_chains(1);
  r.set_duration_s(0.25);
  auto* l = r.mutable_ledger();
  l->set_chains_planned(5);
  l->set_chains_launched(5);
  l->set_chains_succeeded(5);
  l->mutable_tokens()->set_prompt_tokens(100);
  l->mutable_tokens()->set_completion_tokens(200);
  l->mutable_tokens()->set_reasoning_tokens(300);
  l->set_cost_usd(0.0123);
  const std::string text = FormatSolveResponse(r);
  EXPECT_THAT(text, HasSubstr("B  (confidence 0.750)"));
  EXPECT_THAT(text, HasSubstr("B 3 (75.0%), C 1 (25.0%)"));
  EXPECT_THAT(text, HasSubstr("yes (reference B)"));
  EXPECT_THAT(text, HasSubstr("5 ok, 0 failed, 0 cancelled, 1 unparseable"));
  EXPECT_THAT(text, HasSubstr("100 prompt, 200 completion, 300 reasoning (600 total)"));
  EXPECT_THAT(text, HasSubstr("$0.012300"));
  EXPECT_THAT(text, HasSubstr("0.250 s"));
  const std::string json = SolveResponseJson(r);
  EXPECT_THAT(json, HasSubstr("\"answer\":\"B\""));
  EXPECT_THAT(json, HasSubstr("\"unparseableChains\":1"));
}

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = Server::Start(LocalServerConfig());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(5));
  }
  std::unique_ptr<Server> server_;
};

TEST_F(CommandTest, SolvePrintsTheAnswer) {
  SolveArgs args;
  args.server = server_->address();
  args.prompt = "Pick one.\n\nA) a\nB) b\nC) c\nD) d";
  args.n = 4;
  args.seed = 1;
  std::ostringstream out, err;
  EXPECT_EQ(RunSolveCommand(args, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("answer"));
  EXPECT_THAT(out.str(), HasSubstr("4 launched of 4 planned"));
  EXPECT_EQ(err.str(), "");

  args.json = true;
  out.str("");
  EXPECT_EQ(RunSolveCommand(args, out, err), 0) << err.str();
  EXPECT_TRUE(absl::StartsWith(out.str(), "{")) << out.str();
  EXPECT_THAT(out.str(), HasSubstr("\"ledger\""));
}

TEST_F(CommandTest, SolveReportsRpcErrors) {
  SolveArgs args;
  args.server = server_->address();
  args.prompt = "Pick one.";
  args.backend = "no-such-backend";
  std::ostringstream out, err;
  EXPECT_EQ(RunSolveCommand(args, out, err), 1);
  EXPECT_TRUE(absl::StartsWith(err.str(), "ptc solve: INVALID_ARGUMENT: ")) << err.str();
  EXPECT_EQ(out.str(), "");
}

TEST_F(CommandTest, EvalAgainstAServer) {
  EvalArgs args;
  args.dataset = kDataset;
  args.ns = {1, 3};
  args.limit = 4;
  args.server = server_->address();
  args.out_dir = ::testing::TempDir() + "/client_test_eval";
  std::filesystem::remove_all(args.out_dir);
  std::ostringstream out, err;
  EXPECT_EQ(RunEvalCommand(args, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("N=1 "));
  EXPECT_THAT(out.str(), HasSubstr("N=3 "));
  EXPECT_THAT(out.str(), HasSubstr("95% CI"));
  EXPECT_TRUE(std::filesystem::exists(args.out_dir + "/results.csv"));
}

TEST(EvalCommandTest, InProcessServer) {
  EvalArgs args;
  args.dataset = kDataset;
  args.ns = {2};
  args.limit = 3;
  std::ostringstream out, err;
  EXPECT_EQ(RunEvalCommand(args, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("in-process"));
  EXPECT_THAT(out.str(), HasSubstr("N=2 "));
}

TEST(EvalCommandTest, BadDataset) {
  EvalArgs args;
  args.dataset = "/nonexistent/questions.jsonl";
  std::ostringstream out, err;
  EXPECT_EQ(RunEvalCommand(args, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("ptc eval: --dataset: cannot open dataset "
                                   "/nonexistent/questions.jsonl"));
}

}  // namespace
}  // namespace ptc::client

namespace ptc::client {
namespace {

TEST(ArgParsingTest, StopListNamesRulesAndSettings) {
  auto stops = ParseStopList("stop", "fixed, ac:0.99,esc:8,esc");
  ASSERT_TRUE(stops.ok()) << stops.status();
  ASSERT_EQ(stops->size(), 4u);
  EXPECT_TRUE((*stops)[0].has_fixed());
  EXPECT_NEAR((*stops)[1].adaptive_consistency().threshold(), 0.99, 1e-6);
  EXPECT_EQ((*stops)[2].esc().window(), 8u);
  EXPECT_EQ((*stops)[3].esc().window(), 0u);  // the rule's default
  stops = ParseStopList("stop", "deepconf,deepconf:8,deepconf:8:256,deepconf:4:64:0.9");
  ASSERT_TRUE(stops.ok()) << stops.status();
  EXPECT_EQ((*stops)[0].deepconf_online().warmup(), 0u);
  EXPECT_EQ((*stops)[1].deepconf_online().warmup(), 8u);
  EXPECT_EQ((*stops)[2].deepconf_online().window_tokens(), 256u);
  EXPECT_NEAR((*stops)[3].deepconf_online().consensus(), 0.9, 1e-6);
  for (const char* bad : {"", "sometimes", "esc:0", "ac:x", "fixed:3", "deepconf:0", "deepconf:8:x",
                          "deepconf:1:2:x", "deepconf:1:2:0.9:4"}) {
    auto r = ParseStopList("stop", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("--stop: ")) << bad;
  }
}

TEST(ArgParsingTest, LaunchPolicies) {
  EXPECT_FALSE(ParseLaunch("launch", "")->has_waves());
  EXPECT_TRUE(ParseLaunch("launch", "all")->has_all_at_once());
  auto w = ParseLaunch("launch", "waves:4:8");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->waves().size(), 4u);
  EXPECT_EQ(w->waves().first(), 8u);
  for (const char* bad : {"waves", "waves:0", "waves:1:2:3", "some"}) {
    EXPECT_FALSE(ParseLaunch("launch", bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ptc::client

namespace ptc::client {
namespace {

TEST(SweepArgsTest, ListsAndBadValues) {
  auto budgets = ParseUintList("thinking_budget", "0, 1024,4096");
  ASSERT_TRUE(budgets.ok()) << budgets.status();
  EXPECT_EQ(*budgets, (std::vector<uint32_t>{0, 1024, 4096}));
  EXPECT_THAT(std::string(ParseUintList("thinking_budget", "1,x").status().message()),
              HasSubstr("--thinking_budget: \"x\""));
  EXPECT_FALSE(ParseUintList("thinking_budget", "4,4").ok());
  auto names = ParseNameList("backend", "sim, vllm");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"sim", "vllm"}));
  EXPECT_EQ(*ParseNameList("backend", ""), (std::vector<std::string>{""}));
  EXPECT_FALSE(ParseNameList("backend", "a,,b").ok());
}

TEST(EvalCommandTest, SweepArgumentErrors) {
  std::ostringstream out, err;
  EvalArgs args;
  args.dataset = kDataset;
  args.scenario = "no-such";
  EXPECT_EQ(RunEvalCommand(args, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--scenario"));
  args.scenario = "";
  args.resume = true;
  EXPECT_EQ(RunEvalCommand(args, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--resume: needs --out"));
  args.resume = false;
  args.strategies = {"best-of"};
  EXPECT_EQ(RunEvalCommand(args, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--strategy: \"best-of\" is not a strategy"));
}

TEST(EvalCommandTest, WritesEveryOutput) {
  EvalArgs args;
  args.dataset = kDataset;
  args.ns = {1, 2};
  args.limit = 4;
  args.progress = 0;
  args.out_dir = ::testing::TempDir() + "/client_test_outputs";
  std::filesystem::remove_all(args.out_dir);
  std::ostringstream out, err;
  ASSERT_EQ(RunEvalCommand(args, out, err), 0) << err.str();
  for (const char* f :
       {"results.csv", "results.json", "report.md", "records.jsonl", "accuracy_vs_cost.png",
        "accuracy_vs_cost.svg", "accuracy_vs_n.png", "accuracy_vs_n.svg"}) {
    EXPECT_GT(std::filesystem::file_size(args.out_dir + "/" + f), 0u) << f;
  }
  EXPECT_THAT(err.str(), HasSubstr("progress: 4/4 calls (100%)"));
  EXPECT_THAT(out.str(), HasSubstr("prefix of the largest N"));
}

}  // namespace
}  // namespace ptc::client

namespace ptc::client {
namespace {

TEST(ProgressTest, BarAccuracySpendAndEta) {
  eval::Progress p;
  p.total = 100;
  p.done = 40;
  p.resumed = 20;
  p.correct = 30;
  p.cost_usd = 1.5;
  p.elapsed = absl::Seconds(10);  // 20 fresh calls in 10 s: 60 left take 30 s
  EXPECT_EQ(ProgressPrinter::Format(p, true),
            "[##########..............] 40/100 calls (40%)  acc 0.750  $1.5000  ETA 0:30");
  EXPECT_EQ(ProgressPrinter::Format(p, false), "40/100 calls (40%)  acc 0.750  $1.5000  ETA 0:30");
  // Plain mode prints at most one line per interval, and the final state once.
  std::ostringstream out;
  ProgressPrinter printer(out, /*tty=*/false, absl::Hours(1));
  printer.Update(p);
  p.done = 41;
  printer.Update(p);
  printer.Finish();
  EXPECT_EQ(out.str(),
            "progress: 40/100 calls (40%)  acc 0.750  $1.5000  ETA 0:30\n"
            "progress: 41/100 calls (41%)  acc 0.732  $1.5000  ETA 0:28\n");  // 59 x 10 / 21
}

TEST(EvalCommandTest, GpqaCsvInProcess) {
  // The bundled sample's first questions as the distributed CSV: the in-process simulated model
  // is given them converted, so it knows the questions (accuracy well above chance).
  std::ifstream in(kDataset);
  const std::string csv = ::testing::TempDir() + "/client_test_gpqa.csv";
  std::ofstream out_csv(csv);
  out_csv << "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,"
             "Record ID\n";
  auto questions = LoadMcqJsonl(kDataset);
  ASSERT_TRUE(questions.ok());
  for (int i = 0; i < 12; ++i) {
    const McqQuestion& q = (*questions)[i];
    auto quote = [](const std::string& s) {
      return "\"" + absl::StrReplaceAll(s, {{"\"", "\"\""}}) + "\"";
    };
    out_csv << quote(q.question) << "," << quote(q.correct_answer) << ","
            << quote(q.incorrect_answers[0]) << "," << quote(q.incorrect_answers[1]) << ","
            << quote(q.incorrect_answers[2]) << "," << q.id << "\n";
  }
  out_csv.close();
  EvalArgs args;
  args.dataset = csv;
  args.ns = {8};
  args.progress = 0;
  std::ostringstream out, err;
  ASSERT_EQ(RunEvalCommand(args, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("12 questions"));
  EXPECT_THAT(out.str(), ::testing::Not(HasSubstr("accuracy 0.0")));
}

}  // namespace
}  // namespace ptc::client
