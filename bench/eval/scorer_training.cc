#include "bench/eval/scorer_training.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aggregators/tally.h"

namespace ptc::eval {
namespace {

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  // Finalise (splitmix64) so that nearby ids spread over the whole range.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

std::vector<uint32_t> PrefixSizes(const std::vector<uint32_t>& ns, uint32_t record_n) {
  std::set<uint32_t> out;
  if (ns.empty()) {
    for (uint32_t n = 2; n < record_n; n *= 2) out.insert(n);
    out.insert(record_n);
  } else {
    for (uint32_t n : ns) {
      if (n >= 1 && n <= record_n) out.insert(n);
    }
  }
  return {out.begin(), out.end()};
}

Decision MakeDecision(const Record& r, uint32_t n) {
  std::vector<v1::ChainRecord> chains;
  Tally tally;
  for (const ChainFeatures& c : r.chains) {  // by plan index
    if (c.index >= n) continue;
    chains.push_back(ToChainRecord(c));
    if (c.status != "ok") continue;
    if (c.parseable) {
      tally.Add(c.index, c.answer);
    } else {
      tally.AddUnparseable();
    }
  }
  // The verifier graded the full call's candidates; keep those this prefix has.
  std::set<std::string> answers;
  for (const Tally::Entry& e : tally.RankedByVotes()) answers.insert(e.answer);
  VerificationOutcome verification;
  for (const VerifierGrade& g : r.verification) {
    if (answers.count(g.answer)) verification.grades.push_back({g.answer, 0, g.score, ""});
  }
  SelectionInput input{tally, {}};
  for (const v1::ChainRecord& c : chains) input.chains.push_back(&c);
  if (!r.verification.empty()) input.verification = &verification;

  Decision d;
  d.question_id = r.id;
  d.question = r.question;
  d.repeat = r.repeat;
  d.n = n;
  d.candidates = learned::ComputeFeatures(input);
  for (const learned::CandidateFeatures& c : d.candidates) {
    d.labels.push_back(c.answer == r.reference ? 1.0f : 0.0f);
  }
  return d;
}

void Append(const Decision& d, std::vector<float>& rows, std::vector<float>& labels) {
  const std::vector<float> r = learned::FeatureRows(d.candidates);
  rows.insert(rows.end(), r.begin(), r.end());
  labels.insert(labels.end(), d.labels.begin(), d.labels.end());
}

}  // namespace

bool HeldOut(const std::string& id, double fraction, uint64_t seed) {
  const double u = (Fnv1a64(absl::StrCat(seed, ":", id)) >> 11) * 0x1.0p-53;
  return u < fraction;
}

absl::StatusOr<Dataset> BuildDataset(const std::vector<Record>& records,
                                     const std::vector<uint32_t>& ns) {
  Dataset data;
  // The record to use for each draw: the one with the largest N.
  using Draw = std::tuple<std::string, uint64_t, std::string, std::string, uint32_t>;
  std::map<Draw, const Record*> draws;
  for (const Record& r : records) {
    if (!r.ok || r.reference.empty() || r.stop != "fixed" || r.chains.empty()) {
      ++data.records_skipped;
      continue;
    }
    const Draw key{r.id, r.seed, r.backend, r.model, r.thinking_budget};
    auto [it, inserted] = draws.emplace(key, &r);
    if (!inserted) {
      ++data.records_skipped;
      if (r.n > it->second->n) it->second = &r;
    }
  }
  std::set<uint32_t> windows;
  std::vector<const Record*> used;
  for (const Record& r : records) {  // in file order, for a deterministic dataset
    auto it = draws.find(Draw{r.id, r.seed, r.backend, r.model, r.thinking_budget});
    if (it == draws.end() || it->second != &r) continue;
    used.push_back(&r);
    for (const ChainFeatures& c : r.chains) {
      if (c.confidence.has_value() && c.confidence->tokens() > 0) {
        windows.insert(c.confidence->window_tokens());
      }
    }
  }
  if (windows.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("the records mix confidence windows (",
                                                   *windows.begin(), " and ", *windows.rbegin(),
                                                   " tokens): train on the records of one window"));
  }
  data.confidence_window = windows.empty() ? 0 : *windows.begin();
  data.records_used = used.size();
  for (const Record* r : used) {
    for (uint32_t n : PrefixSizes(ns, r->n)) data.decisions.push_back(MakeDecision(*r, n));
  }
  if (data.decisions.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no usable record (", data.records_skipped,
                     " skipped: each needs ok, a reference, the fixed stop rule and chains)"));
  }
  return data;
}

absl::StatusOr<Evaluation> Evaluate(const learned::ScorerModel& model,
                                    const std::vector<const Decision*>& decisions) {
  Evaluation e;
  std::set<std::string> questions;
  double loss = 0;
  size_t right = 0, majority_right = 0;
  for (const Decision* d : decisions) {
    questions.insert(d->question_id);
    DecisionOutcome& o = e.outcomes.emplace_back();
    o.decision = d;
    if (d->candidates.empty()) continue;
    auto p = model.Predict(learned::FeatureRows(d->candidates));
    if (!p.ok()) return p.status();
    for (size_t i = 0; i < p->size(); ++i) {
      const double q = std::clamp((*p)[i], 1e-7, 1 - 1e-7);
      loss -= d->labels[i] > 0.5f ? std::log(q) : std::log(1 - q);
    }
    e.candidates += p->size();
    o.model_correct = d->labels[learned::RankByProbability(d->candidates, *p).front()] > 0.5f;
    o.majority_correct = d->labels.front() > 0.5f;
    right += o.model_correct;
    majority_right += o.majority_correct;
  }
  e.questions = questions.size();
  e.selections = decisions.size();
  e.log_loss = e.candidates > 0 ? loss / e.candidates : 0;
  e.accuracy = e.selections > 0 ? static_cast<double>(right) / e.selections : 0;
  e.majority_accuracy = e.selections > 0 ? static_cast<double>(majority_right) / e.selections : 0;
  return e;
}

absl::StatusOr<TrainedScorer> TrainScorer(const std::vector<Record>& records,
                                          const std::string& records_name,
                                          const ScorerTrainingOptions& options) {
  if (!(options.holdout_fraction >= 0 && options.holdout_fraction < 1)) {
    return absl::InvalidArgumentError("holdout fraction: must be in [0, 1)");
  }
  auto data = BuildDataset(records, options.ns);
  if (!data.ok()) return data.status();
  std::vector<const Decision*> train, holdout;
  for (const Decision& d : data->decisions) {
    (HeldOut(d.question_id, options.holdout_fraction, options.split_seed) ? holdout : train)
        .push_back(&d);
  }
  std::vector<float> rows, labels;
  for (const Decision* d : train) Append(*d, rows, labels);
  const size_t columns = learned::FeatureNames().size();
  const size_t positives = std::count(labels.begin(), labels.end(), 1.0f);
  if (positives == 0 || positives == labels.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the training side has ", labels.size(), " candidates, ", positives,
        " of them correct: a scorer needs correct and wrong candidates (more records, or a "
        "smaller holdout fraction)"));
  }

  std::unique_ptr<learned::LogisticModel> logistic;
  std::unique_ptr<learned::XgboostModel> xgboost;
  if (options.kind == learned::ModelKind::kLogistic) {
    auto m = learned::LogisticModel::Train(rows, columns, labels, options.logistic);
    if (!m.ok()) return m.status();
    logistic = std::make_unique<learned::LogisticModel>(*std::move(m));
  } else {
    auto m = learned::XgboostModel::Train(rows, columns, labels, options.xgboost);
    if (!m.ok()) return m.status();
    xgboost = *std::move(m);
  }
  TrainedScorer out;
  const uint32_t window = data->confidence_window;
  out.data = *std::move(data);  // moves the decisions' buffer: the pointers stay valid
  out.model = std::make_shared<learned::ScorerModel>(
      options.kind, window, learned::TrainingSummary{}, std::move(logistic), std::move(xgboost));
  auto train_eval = Evaluate(*out.model, train);
  if (!train_eval.ok()) return train_eval.status();
  auto holdout_eval = Evaluate(*out.model, holdout);
  if (!holdout_eval.ok()) return holdout_eval.status();
  out.train = *std::move(train_eval);
  out.holdout = *std::move(holdout_eval);

  learned::TrainingSummary t;
  t.records = records_name;
  std::set<uint32_t> ns;
  for (const Decision& d : out.data.decisions) ns.insert(d.n);
  t.ns.assign(ns.begin(), ns.end());
  t.holdout_fraction = options.holdout_fraction;
  t.split_seed = options.split_seed;
  t.train_questions = out.train.questions;
  t.holdout_questions = out.holdout.questions;
  t.train_selections = out.train.selections;
  t.holdout_selections = out.holdout.selections;
  t.train_candidates = out.train.candidates;
  t.holdout_candidates = out.holdout.candidates;
  t.train_log_loss = out.train.log_loss;
  t.holdout_log_loss = out.holdout.log_loss;
  t.train_accuracy = out.train.accuracy;
  t.holdout_accuracy = out.holdout.accuracy;
  t.train_majority_accuracy = out.train.majority_accuracy;
  t.holdout_majority_accuracy = out.holdout.majority_accuracy;
  out.model->set_training(std::move(t));
  auto file = out.model->Serialize();
  if (!file.ok()) return file.status();
  out.file = *std::move(file);
  return out;
}

}  // namespace ptc::eval
