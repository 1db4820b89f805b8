// Training the learned scorer from records: the records keep everything the features need (and
// give the same features as the response they came from), the dataset and split rules, and
// training on synthetic records with a known signal.
#include "bench/eval/scorer_training.h"

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/eval/experiment.h"
#include "gtest/gtest.h"

namespace ptc::eval {
namespace {

v1::ChainRecord ResponseChain(uint32_t index, const std::string& answer, double lowest) {
  v1::ChainRecord c;
  c.set_index(index);
  c.set_group(index % 2);
  c.set_backend(index % 2 ? "b" : "a");
  c.set_model("m");
  c.set_status(v1::CHAIN_STATUS_OK);
  c.set_parseable(!answer.empty());
  c.set_answer(answer);
  c.set_finish_reason(index == 3 ? "length" : "stop");
  c.mutable_usage()->set_prompt_tokens(100);
  c.mutable_usage()->set_completion_tokens(400 + 37 * index);
  c.mutable_usage()->set_reasoning_tokens(11 * index);
  c.set_seed(1000 + index);
  c.set_mean_token_confidence(lowest + 0.7);
  v1::ChainConfidence* k = c.mutable_confidence();
  k->set_tokens(300 + index);
  k->set_window_tokens(64);
  k->set_mean_token(lowest + 0.7);
  k->set_lowest_group(lowest);
  k->set_bottom_10(lowest + 0.1234567890123);
  k->set_tail(lowest + 0.3);
  return c;
}

v1::SolveResponse Response() {
  v1::SolveResponse r;
  r.set_answer("A");
  r.set_correct(true);
  r.set_reference_answer("A");
  const char* answers[] = {"A", "B", "A", "C", "", "B", "A"};
  for (uint32_t i = 0; i < 7; ++i) *r.add_chains() = ResponseChain(i, answers[i], 1 + 0.1 * i);
  r.mutable_chains(6)->set_status(v1::CHAIN_STATUS_FAILED);
  r.mutable_chains(6)->set_parseable(false);
  r.mutable_chains(6)->clear_answer();
  r.mutable_chains(6)->clear_confidence();
  v1::VerifyCall* call = r.mutable_verification()->add_calls();
  call->set_answer("A");
  call->set_score(0.75);
  r.mutable_verification()->add_calls()->set_answer("B");  // no score
  return r;
}

bool SameFeatures(const std::vector<learned::CandidateFeatures>& a,
                  const std::vector<learned::CandidateFeatures>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].answer != b[i].answer || a[i].values.size() != b[i].values.size()) return false;
    // Bitwise: NaN equals NaN, and nothing is "close enough".
    if (std::memcmp(a[i].values.data(), b[i].values.data(), a[i].values.size() * sizeof(float))) {
      return false;
    }
  }
  return true;
}

TEST(ScorerTrainingTest, FeaturesFromRecordsEqualFeaturesFromTheResponse) {
  const v1::SolveResponse response = Response();
  // As the Run selects: the tally of OK chains, the chains, the verifier's grades.
  Tally tally;
  SelectionInput served{tally, {}};
  for (const v1::ChainRecord& c : response.chains()) {
    served.chains.push_back(&c);
    if (c.status() != v1::CHAIN_STATUS_OK) continue;
    if (c.parseable()) {
      tally.Add(c.index(), c.answer());
    } else {
      tally.AddUnparseable();
    }
  }
  VerificationOutcome grades;
  grades.grades = {{"A", 0, 0.75, ""}, {"B", 1, std::nullopt, "no score"}};
  served.verification = &grades;
  const std::vector<learned::CandidateFeatures> expected = learned::ComputeFeatures(served);

  // As train-scorer does: the record written and read back, then rebuilt.
  Record r;
  r.series = "s";
  r.strategy = "weighted:64";
  r.stop = "fixed";
  r.n = 7;
  r.id = "q1";
  FillFromResponse(response, r);
  auto back = RecordFromJson(RecordToJson(r));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->chains.size(), 7u);
  EXPECT_EQ(back->chains[1].backend, "b");
  EXPECT_EQ(back->chains[1].group, 1u);
  ASSERT_TRUE(back->chains[2].confidence.has_value());
  EXPECT_EQ(back->chains[2].confidence->bottom_10(), response.chains(2).confidence().bottom_10());
  EXPECT_FALSE(back->chains[6].confidence.has_value());
  ASSERT_EQ(back->verification.size(), 2u);
  EXPECT_EQ(back->verification[0].score, 0.75);
  EXPECT_FALSE(back->verification[1].score.has_value());
  auto data = BuildDataset({*back}, {7});
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->decisions.size(), 1u);
  EXPECT_EQ(data->confidence_window, 64u);
  EXPECT_TRUE(SameFeatures(data->decisions[0].candidates, expected));
  EXPECT_EQ(data->decisions[0].labels, (std::vector<float>{1, 0, 0}));  // A, B, C
}

TEST(ScorerTrainingTest, RecordsWithoutTheNewFieldsStillLoad) {
  const std::string old =
      R"({"series":"majority|fixed|0||","strategy":"majority","stop":"fixed","thinking_budget":0,)"
      R"("backend":"","model":"","n":1,"question":0,"id":"q","repeat":0,"seed":1,)"
      R"("reference":"A","ok":true,"error":"","correct":true,"answer":"A","latency_s":0.1,)"
      R"("duration_s":0.1,"chains_launched":1,"tokens":10,"cost_usd":0.0,"chains":[{"index":0,)"
      R"("status":"ok","parseable":true,"answer":"A","correct":true,"finish_reason":"stop",)"
      R"("prompt_tokens":1,"completion_tokens":2,"reasoning_tokens":0,"cost_usd":0.0,)"
      R"("started_at_s":0.0,"duration_s":0.1,"time_to_first_token_s":0.01,"seed":1}]})";
  auto r = RecordFromJson(old);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->chains[0].confidence.has_value());
  EXPECT_TRUE(r->verification.empty());
  const v1::ChainRecord c = ToChainRecord(r->chains[0]);
  EXPECT_EQ(c.status(), v1::CHAIN_STATUS_OK);
  EXPECT_EQ(c.answer(), "A");
  EXPECT_EQ(c.usage().completion_tokens(), 2u);
  EXPECT_FALSE(c.has_confidence());

  auto bad = RecordFromJson(
      absl::StrCat(old.substr(0, old.size() - 3), R"(,"confidence":{"tokens":"x"}}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("confidence: field \"tokens\""), std::string::npos)
      << bad.status();
}

TEST(ScorerTrainingTest, StrategyNames) {
  auto learned = AggregationByName("learned");
  ASSERT_TRUE(learned.ok());
  EXPECT_EQ(learned->learned().model(), "sim-gpqa");
  auto named = AggregationByName("learned:mine");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->learned().model(), "mine");
  auto weighted = AggregationByName("weighted:64");
  ASSERT_TRUE(weighted.ok());
  EXPECT_EQ(weighted->weighted().window_tokens(), 64u);
  auto filtered = AggregationByName("filtered:128");
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->filtered().window_tokens(), 128u);
  for (const char* bad : {"learned:", "weighted:0", "weighted:x", "filtered:70000", "learn"}) {
    EXPECT_FALSE(AggregationByName(bad).ok()) << bad;
  }
}

TEST(ScorerTrainingTest, TheSplitIsByQuestionAndDeterministic) {
  size_t held = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = absl::StrCat("gen-", i);
    EXPECT_EQ(HeldOut(id, 0.3, 5), HeldOut(id, 0.3, 5));
    EXPECT_FALSE(HeldOut(id, 0, 5));
    if (HeldOut(id, 0.3, 5)) ++held;
  }
  EXPECT_GT(held, 500u);
  EXPECT_LT(held, 700u);
}

// A record of question `q`: n chains answering "A" (the reference) or "B", the correct ones more
// confident.
Record Synthetic(int q, int repeat, uint32_t n, std::mt19937_64& rng, uint32_t window = 64) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 0.3);
  const double p = 0.3 + 0.4 * ((q * 37) % 10) / 10.0;  // per question, 0.3 to 0.66
  Record r;
  r.strategy = "weighted:64";
  r.stop = "fixed";
  r.ok = true;
  r.n = n;
  r.question = q;
  r.id = absl::StrCat("q", q);
  r.repeat = repeat;
  r.seed = q * 100 + repeat;
  r.reference = "A";
  for (uint32_t i = 0; i < n; ++i) {
    ChainFeatures c;
    c.index = i;
    c.status = "ok";
    c.parseable = true;
    const bool right = u(rng) < p;
    c.answer = right ? "A" : "B";
    c.finish_reason = "stop";
    c.completion_tokens = 500;
    c.backend = "sim";
    v1::ChainConfidence k;
    k.set_tokens(500);
    k.set_window_tokens(window);
    k.set_lowest_group((right ? 1.5 : 1.0) + noise(rng));
    k.set_bottom_10(k.lowest_group());
    k.set_tail(2);
    k.set_mean_token(2);
    c.confidence = k;
    r.chains.push_back(c);
  }
  return r;
}

TEST(ScorerTrainingTest, DatasetUsesEachDrawOnceAtItsLargestN) {
  std::mt19937_64 rng(1);
  std::vector<Record> records = {Synthetic(0, 0, 8, rng), Synthetic(0, 0, 16, rng),
                                 Synthetic(1, 0, 5, rng)};
  Record failed = Synthetic(2, 0, 4, rng);
  failed.ok = false;
  Record stopped = Synthetic(3, 0, 4, rng);
  stopped.stop = "esc";
  records.push_back(failed);
  records.push_back(stopped);
  auto data = BuildDataset(records, {});
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->records_used, 2u);
  EXPECT_EQ(data->records_skipped, 3u);
  std::multiset<uint32_t> ns;
  for (const Decision& d : data->decisions) ns.insert(d.n);
  // q0 at 16: 2, 4, 8, 16; q1 at 5: 2, 4, 5.
  EXPECT_EQ(ns, (std::multiset<uint32_t>{2, 2, 4, 4, 5, 8, 16}));
  auto some = BuildDataset(records, {4, 32});
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->decisions.size(), 2u);  // N = 4 of each; 32 is more than either has

  records.push_back(Synthetic(4, 0, 4, rng, /*window=*/2048));
  auto mixed = BuildDataset(records, {});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("mix confidence windows (64 and 2048"), std::string::npos)
      << mixed.status();
  EXPECT_FALSE(BuildDataset({failed}, {}).ok());
}

TEST(ScorerTrainingTest, BothKindsLearnTheSignalAndBeatMajorityOnHeldOutQuestions) {
  std::mt19937_64 rng(3);
  std::vector<Record> records;
  for (int q = 0; q < 120; ++q) {
    for (int r = 0; r < 3; ++r) records.push_back(Synthetic(q, r, 16, rng));
  }
  for (learned::ModelKind kind : {learned::ModelKind::kXgboost, learned::ModelKind::kLogistic}) {
    ScorerTrainingOptions o;
    o.kind = kind;
    o.holdout_fraction = 0.4;
    o.xgboost.rounds = 40;
    auto t = TrainScorer(records, "synthetic.jsonl", o);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_GT(t->holdout.questions, 30u);
    EXPECT_EQ(t->train.questions + t->holdout.questions, 120u);
    EXPECT_GT(t->holdout.accuracy, t->holdout.majority_accuracy + 0.05) << KindName(kind);
    EXPECT_LT(t->holdout.log_loss, std::log(2.0));
    const learned::TrainingSummary& s = t->model->training();
    EXPECT_EQ(s.records, "synthetic.jsonl");
    EXPECT_EQ(s.ns, (std::vector<uint32_t>{2, 4, 8, 16}));
    EXPECT_EQ(s.holdout_accuracy, t->holdout.accuracy);
    auto loaded = learned::ScorerModel::Parse(t->file, "trained");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ((*loaded)->version(), t->model->version());
    EXPECT_EQ((*loaded)->confidence_window(), 64u);
  }
  ScorerTrainingOptions bad;
  bad.holdout_fraction = 1;
  EXPECT_FALSE(TrainScorer(records, "x", bad).ok());
}

}  // namespace
}  // namespace ptc::eval
