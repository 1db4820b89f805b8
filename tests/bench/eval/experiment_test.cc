// Sweeps through the real server in-process on loopback (the embedded simulated backend on the
// bundled sample): subsampling equals direct runs, records round-trip, and outputs are
// well-formed.
#include "bench/eval/experiment.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench/eval/records.h"
#include "bench/eval/report.h"
#include "bench/eval/results_writer.h"
#include "common/mcq_dataset.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/config.h"
#include "service/server.h"

namespace ptc::eval {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ExperimentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = Server::Start(LocalServerConfig());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Orchestrator::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
    ASSERT_TRUE(questions.ok()) << questions.status();
    questions_ = *std::move(questions);
    questions_.resize(30);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(5));
  }

  ExperimentOptions Options() {
    ExperimentOptions o;
    Series majority;
    majority.aggregation.mutable_majority();
    o.series = {majority};
    o.ns = {1, 3, 8};
    o.repeats = 2;
    o.base_seed = 17;
    o.max_in_flight = 16;
    o.experiment = "experiment_test";
    return o;
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Orchestrator::Stub> stub_;
  std::vector<McqQuestion> questions_;
};

// The literature's subsampling: smaller N evaluated on prefixes of the largest N's chains give
// exactly what direct runs at those N give (same seeds: chain i gets seed + i).
TEST_F(ExperimentTest, SubsampledMajorityEqualsDirectRuns) {
  ExperimentOptions o = Options();
  auto sub = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(sub.ok()) << sub.status();
  o.subsample = false;
  auto direct = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(sub->calls_made, questions_.size() * 2);  // only N = 8 drawn
  EXPECT_EQ(direct->calls_made, questions_.size() * 2 * 3);
  ASSERT_EQ(sub->cells.size(), 3u);
  ASSERT_EQ(direct->cells.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const NStats& a = sub->cells[i].stats;
    const NStats& b = direct->cells[i].stats;
    SCOPED_TRACE(a.n);
    EXPECT_EQ(sub->cells[i].subsampled, a.n != 8);
    EXPECT_FALSE(direct->cells[i].subsampled);
    EXPECT_EQ(a.requests, b.requests);
    EXPECT_EQ(a.correct, b.correct);
    EXPECT_DOUBLE_EQ(a.mean_chains, b.mean_chains);
    EXPECT_DOUBLE_EQ(a.mean_tokens, b.mean_tokens);
    EXPECT_NEAR(a.mean_cost_usd, b.mean_cost_usd, 1e-9 * b.mean_cost_usd);
    EXPECT_DOUBLE_EQ(a.ci.low, b.ci.low);
    EXPECT_DOUBLE_EQ(a.ci.high, b.ci.high);
  }
  // Accuracy moves with N on this scenario, so the comparison above is not vacuous.
  EXPECT_NE(sub->cells[0].stats.correct, sub->cells[2].stats.correct);
}

TEST_F(ExperimentTest, EarlyStoppingAndNumericAreNotSubsampled) {
  ExperimentOptions o = Options();
  o.series[0].stop_rule.mutable_adaptive_consistency();
  o.series[0].stop = "adaptive_consistency";
  EXPECT_FALSE(o.series[0].Subsamplable());
  questions_.resize(5);
  auto r = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->calls_made, 5u * 2 * 3);
  for (const CellStats& c : r->cells) EXPECT_FALSE(c.subsampled);
}

TEST_F(ExperimentTest, SeriesOfOneRuleWithOtherSettingsStayApartAndDuplicatesAreRefused) {
  v1::StopRule esc, esc8, deepconf;
  esc.mutable_esc();
  esc8.mutable_esc()->set_window(8);
  deepconf.mutable_deepconf_online()->set_warmup(4);
  deepconf.mutable_deepconf_online()->set_consensus(0.9);
  EXPECT_EQ(StopName(v1::StopRule()), "fixed");
  EXPECT_EQ(StopName(esc), "esc");
  EXPECT_EQ(StopName(esc8), "esc window=8");
  EXPECT_EQ(StopName(deepconf), "deepconf_online warmup=4 consensus=0.9");

  ExperimentOptions o = Options();
  o.series[0].stop_rule = esc;
  o.series[0].stop = StopName(esc);
  o.series.push_back(o.series[0]);
  auto r = RunExperiment(*stub_, questions_, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("given twice"));
  o.series[1].stop_rule = esc8;
  o.series[1].stop = StopName(esc8);
  questions_.resize(3);
  o.ns = {8};
  r = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->cells.size(), 2u);
  EXPECT_EQ(r->cells[1].stats.stop, "esc window=8");
}

TEST_F(ExperimentTest, RecordsResumeWithoutRedoingAndRefuseForeignRecords) {
  const std::string dir = ::testing::TempDir() + "/experiment_test_records";
  std::filesystem::remove_all(dir);
  ExperimentOptions o = Options();
  o.records_path = dir + "/records.jsonl";
  auto first = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(first.ok()) << first.status();
  // Every call is one complete line with per-chain features.
  auto records = LoadRecords(o.records_path, false);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), questions_.size() * 2);
  ASSERT_EQ((*records)[0].chains.size(), 8u);
  EXPECT_FALSE((*records)[0].chains[0].finish_reason.empty());
  // A second run without resume refuses to mix.
  EXPECT_EQ(RunExperiment(*stub_, questions_, o).status().code(), absl::StatusCode::kAlreadyExists);
  // Resuming a finished run makes no calls and gives the same table.
  o.resume = true;
  auto again = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->calls_made, 0u);
  EXPECT_EQ(again->calls_resumed, questions_.size() * 2);
  for (size_t i = 0; i < first->cells.size(); ++i) {
    EXPECT_EQ(again->cells[i].stats.correct, first->cells[i].stats.correct);
    EXPECT_DOUBLE_EQ(again->cells[i].stats.mean_tokens, first->cells[i].stats.mean_tokens);
  }
  // Another seed is another experiment.
  o.base_seed = 18;
  EXPECT_EQ(RunExperiment(*stub_, questions_, o).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ExperimentTest, CancelStopsCleanlyAndResumeCompletes) {
  const std::string dir = ::testing::TempDir() + "/experiment_test_cancel";
  std::filesystem::remove_all(dir);
  ExperimentOptions o = Options();
  o.subsample = false;
  o.max_in_flight = 2;
  o.records_path = dir + "/records.jsonl";
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  o.on_progress = [&](const Progress& p) {
    if (p.done >= 20) cancel.store(true);
  };
  auto part = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_TRUE(part->cancelled);
  const size_t total = questions_.size() * 2 * 3;
  EXPECT_LT(part->calls_made, total);
  auto kept = LoadRecords(o.records_path, false);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_GE(kept->size(), 20u);
  for (const Record& r : *kept) EXPECT_TRUE(r.ok) << r.error;  // no cancelled call recorded

  cancel.store(false);
  o.on_progress = nullptr;
  o.max_in_flight = 16;
  o.resume = true;
  auto rest = RunExperiment(*stub_, questions_, o);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_FALSE(rest->cancelled);
  EXPECT_EQ(rest->calls_resumed, kept->size());
  EXPECT_EQ(rest->calls_resumed + rest->calls_made, total);

  ExperimentOptions whole = Options();
  whole.subsample = false;
  auto full = RunExperiment(*stub_, questions_, whole);
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->cells.size(), rest->cells.size());
  for (size_t i = 0; i < full->cells.size(); ++i) {
    EXPECT_EQ(rest->cells[i].stats.correct, full->cells[i].stats.correct);
    EXPECT_DOUBLE_EQ(rest->cells[i].stats.mean_tokens, full->cells[i].stats.mean_tokens);
  }
}

TEST(RecordsTest, PrefixMajorityTiesGoToTheEarliestChain) {
  Record r;
  r.ok = true;
  r.n = 5;
  r.reference = "B";
  r.latency_s = 1.0;
  r.duration_s = 0.9;
  const char* answers[] = {"A", "B", "B", "A", "A"};
  for (uint32_t i = 0; i < 5; ++i) {
    ChainFeatures c;
    c.index = i;
    c.status = "ok";
    c.parseable = true;
    c.answer = answers[i];
    c.prompt_tokens = 10;
    c.completion_tokens = 5;
    c.cost_usd = 0.5;
    c.started_at_s = 0;
    c.duration_s = 0.1 * (i + 1);
    r.chains.push_back(c);
  }
  EXPECT_FALSE(PrefixResult(r, 1).correct);  // A
  EXPECT_FALSE(PrefixResult(r, 2).correct);  // A 1, B 1: A came first
  EXPECT_TRUE(PrefixResult(r, 3).correct);   // B 2
  EXPECT_FALSE(PrefixResult(r, 5).correct);  // the record's own answer (correct = false)
  const RequestResult p = PrefixResult(r, 3);
  EXPECT_EQ(p.chains, 3u);
  EXPECT_EQ(p.tokens, 45u);
  EXPECT_DOUBLE_EQ(p.cost_usd, 1.5);
  EXPECT_NEAR(p.latency_s, 0.1 + 0.3, 1e-12);
  // An unparseable chain does not vote.
  r.chains[0].parseable = false;
  EXPECT_TRUE(PrefixResult(r, 2).correct);
}

TEST(RecordsTest, RoundTripAndACrashCutLastLine) {
  const std::string path = ::testing::TempDir() + "/records_test.jsonl";
  std::filesystem::remove(path);
  Record r;
  r.series = "majority|fixed|0||";
  r.id = "q\"1\n";
  r.ok = true;
  r.n = 2;
  ChainFeatures c;
  c.index = 1;
  c.status = "ok";
  c.has_confidence = true;
  c.mean_token_confidence = 0.25;
  r.chains = {c};
  {
    auto w = RecordWriter::Open(path);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(w->Append(r).ok());
    ASSERT_TRUE(w->Append(r).ok());
  }
  const size_t good = std::filesystem::file_size(path);
  std::ofstream(path, std::ios::app) << "{\"series\": \"maj";  // killed mid-write
  auto loaded = LoadRecords(path, /*repair=*/true);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].id, r.id);
  ASSERT_EQ((*loaded)[0].chains.size(), 1u);
  EXPECT_TRUE((*loaded)[0].chains[0].has_confidence);
  EXPECT_DOUBLE_EQ((*loaded)[0].chains[0].mean_token_confidence, 0.25);
  EXPECT_EQ(std::filesystem::file_size(path), good);  // truncated back to whole lines
  // A bad line in the middle is an error naming it.
  std::ofstream(path, std::ios::app) << "garbage\n" << RecordToJson(r) << "\n";
  auto bad = LoadRecords(path, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("records_test.jsonl:3: "));
}

TEST(ReportTest, FilesAreWellFormed) {
  NStats a;
  a.n = 1;
  a.accuracy = 0.7;
  a.ci = {0.6, 0.8};
  a.mean_cost_usd = 0.01;
  a.subsampled = true;
  NStats b = a;
  b.n = 4;
  b.accuracy = 0.8;
  b.mean_cost_usd = 0.04;
  b.subsampled = false;
  NStats c = b;
  c.strategy = "weighted";
  ReportInfo info;
  info.experiment = "report_test";
  info.questions = 10;
  info.simulated_note = "SIMULATED: test";
  const std::string dir = ::testing::TempDir() + "/report_test";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteReport(dir, info, {a, b, c}).ok());
  nlohmann::json j = nlohmann::json::parse(ReadAll(dir + "/results.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["cells"].size(), 3u);
  EXPECT_EQ(j["cells"][0]["subsampled"], true);
  EXPECT_EQ(j["simulated"], true);
  EXPECT_TRUE(j["cells"][0]["p50_latency_s"].is_number());
  const std::string md = ReadAll(dir + "/report.md");
  EXPECT_THAT(md, HasSubstr("**SIMULATED: test**"));
  EXPECT_THAT(md, HasSubstr("## majority"));
  EXPECT_THAT(md, HasSubstr("## weighted"));
  EXPECT_THAT(md, HasSubstr("**Subsampled**"));
  for (const char* name : {"accuracy_vs_cost", "accuracy_vs_n"}) {
    const std::string png = ReadAll(dir + "/" + name + ".png");
    ASSERT_GT(png.size(), 1000u) << name;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
    const std::string svg = ReadAll(dir + "/" + name + ".svg");
    EXPECT_THAT(svg, HasSubstr("<svg")) << name;
    EXPECT_THAT(svg, HasSubstr("weighted")) << name;  // the legend
  }
}

}  // namespace
}  // namespace ptc::eval
