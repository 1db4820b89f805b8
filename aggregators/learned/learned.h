// The learned strategy: a scorer trained offline (`ptc train-scorer`, from `ptc eval` records)
// gives each candidate answer a probability of being correct from its features
// (features.h: vote share and count, confidence statistics, lengths, finish reasons, agreement
// across backends, verifier score), and the most probable candidate wins; ties go to more votes,
// then to the earliest chain in the plan (RankByProbability).
//
// The model is the request's LearnedScorer.model, a name resolved in the process-wide
// ModelStore (model_store.h: $PTC_SCORER_DIR, loaded on first use, reloaded when its file
// changes). Create takes the store's current model for the whole request, so the window the
// chains' confidence is tracked with (the model's confidence_window) and the model Select uses
// are the same. With LearnedScorer.verifier set, the Run grades the candidates with a verifier
// model first (as the verifier strategy does) and the scores become features.
//
// The response explains the choice: Candidate.weight is the candidate's probability,
// Candidate.score its share of the summed probabilities (the winner's is the confidence),
// Candidate.verifier_score the verifier's score when there was one; selection_rule names the
// model, its kind and version, and says when the model overruled the vote leader;
// SolveResponse.scorer carries name, kind and version.
//
// Degenerate cases: no parseable answer (all unparseable, every chain failed) is no answer; one
// candidate is that candidate (still scored, for the response). When the model could not be
// loaded (a bad file and no earlier version) or cannot score, the selection is majority vote,
// Selection.fallback and the rule say why.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "aggregators/aggregator.h"
#include "aggregators/learned/model_store.h"
#include "aggregators/learned/scorer_model.h"

namespace ptc {

class LearnedAggregator : public Aggregator {
 public:
  // INVALID_ARGUMENT naming aggregation.learned.model for a missing, invalid or unknown model
  // name, or aggregation.learned.verifier.* for a verifier setting out of range.
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::LearnedScorer& config);
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::LearnedScorer& config,
                                                            learned::ModelStore& store);

  // `model` may be null (then `load_error` says why and Select is majority vote).
  LearnedAggregator(std::string model_name, std::shared_ptr<const learned::ScorerModel> model,
                    std::string load_error, std::optional<VerifySettings> verify);

  std::string name() const override { return "learned"; }
  bool wants_logprobs() const override;
  uint32_t confidence_window() const override;
  const VerifySettings* verify_settings() const override { return verify_ ? &*verify_ : nullptr; }
  Selection Select(const SelectionInput& input) const override;

 private:
  Selection Fallback(const SelectionInput& input, const std::string& why) const;
  v1::ScorerInfo Info() const;

  const std::string model_name_;
  const std::shared_ptr<const learned::ScorerModel> model_;
  const std::string load_error_;
  const std::optional<VerifySettings> verify_;
};

}  // namespace ptc
