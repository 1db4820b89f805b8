#include "aggregators/learned/learned.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregators/confidence/confidence_tracker.h"
#include "aggregators/learned/features.h"
#include "aggregators/majority/majority.h"
#include "aggregators/verifier/verifier.h"

namespace ptc {
namespace {}  // namespace

absl::StatusOr<std::unique_ptr<Aggregator>> LearnedAggregator::Create(
    const v1::LearnedScorer& config) {
  return Create(config, learned::ModelStore::Default());
}

absl::StatusOr<std::unique_ptr<Aggregator>> LearnedAggregator::Create(
    const v1::LearnedScorer& config, learned::ModelStore& store) {
  constexpr char kField[] = "aggregation.learned.model";
  if (config.model().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kField, ": required: the name of a scorer model in ", store.dir()));
  }
  auto lookup = store.Get(config.model());
  if (!lookup.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kField, ": ", lookup.status().message()));
  }
  std::optional<VerifySettings> verify;
  if (config.has_verifier()) {
    auto s = VerifySettingsFromConfig(config.verifier(), "aggregation.learned.verifier");
    if (!s.ok()) return s.status();
    verify = *std::move(s);
  }
  return std::make_unique<LearnedAggregator>(config.model(), std::move(lookup->model),
                                             std::move(lookup->error), std::move(verify));
}

LearnedAggregator::LearnedAggregator(std::string model_name,
                                     std::shared_ptr<const learned::ScorerModel> model,
                                     std::string load_error, std::optional<VerifySettings> verify)
    : model_name_(std::move(model_name)),
      model_(std::move(model)),
      load_error_(std::move(load_error)),
      verify_(std::move(verify)) {}

bool LearnedAggregator::wants_logprobs() const {
  return model_ != nullptr && model_->confidence_window() > 0;
}

uint32_t LearnedAggregator::confidence_window() const {
  return wants_logprobs() ? model_->confidence_window() : kDefaultConfidenceWindow;
}

v1::ScorerInfo LearnedAggregator::Info() const {
  v1::ScorerInfo info;
  info.set_name(model_name_);
  if (model_ != nullptr) {
    info.set_kind(learned::KindName(model_->kind()));
    info.set_version(model_->version());
  }
  return info;
}

Selection LearnedAggregator::Fallback(const SelectionInput& input, const std::string& why) const {
  Selection s =
      MajorityFallback(input, absl::StrCat("learned scorer ", model_name_, " unavailable:"), why);
  s.scorer = Info();
  s.scorer->set_fallback(why);
  return s;
}

Selection LearnedAggregator::Select(const SelectionInput& input) const {
  if (model_ == nullptr) {
    return Fallback(input, load_error_.empty() ? "no model loaded" : load_error_);
  }
  const std::vector<learned::CandidateFeatures> candidates = learned::ComputeFeatures(input);
  if (candidates.empty()) {
    Selection s;
    s.rule = "learned: no parseable answer";
    s.scorer = Info();
    return s;
  }
  auto probability = model_->Predict(learned::FeatureRows(candidates));
  if (!probability.ok()) return Fallback(input, std::string(probability.status().message()));
  double total = 0;
  for (double p : *probability) {
    if (!std::isfinite(p)) return Fallback(input, "the model gave a non-finite probability");
    total += p;
  }
  const std::vector<size_t> order = learned::RankByProbability(candidates, *probability);

  Selection s;
  const double votes = input.tally.parseable();
  for (size_t i : order) {
    const learned::CandidateFeatures& c = candidates[i];
    v1::Candidate& out = s.candidates.emplace_back();
    out.set_answer(c.answer);
    out.set_votes(c.votes);
    out.set_share(votes > 0 ? c.votes / votes : 0);
    out.set_weight((*probability)[i]);
    out.set_score(total > 0 ? (*probability)[i] / total : 1.0 / candidates.size());
    if (c.verifier.has_value()) out.set_verifier_score(*c.verifier);
  }
  s.answered = true;
  s.answer = s.candidates.front().answer();
  s.confidence = s.candidates.front().score();
  s.scorer = Info();
  s.rule = absl::StrCat("learned: P(correct) from the ", learned::KindName(model_->kind()),
                        " scorer ", model_name_, "@", model_->version(), "; ");
  if (candidates.size() == 1) {
    absl::StrAppend(&s.rule, "one candidate");
  } else {
    absl::StrAppend(&s.rule, "the most probable wins",
                    order.front() == 0
                        ? ", the vote leader"
                        : absl::StrCat(" over the vote leader ", candidates[0].answer, " (",
                                       absl::StrFormat("%.3f", (*probability)[order.front()]),
                                       " > ", absl::StrFormat("%.3f", (*probability)[0]), ")"),
                    "; ties to more votes, then the earliest chain in the plan");
  }
  return s;
}

PTC_REGISTER_AGGREGATOR(v1::LearnedScorer, &LearnedAggregator::Create);

}  // namespace ptc
