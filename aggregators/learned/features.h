// The per-candidate features of the learned scorer. One function computes them from a
// SelectionInput, both when serving (the Run's tally and ChainRecords) and when training (`ptc
// train-scorer` rebuilds the same SelectionInput from the records `ptc eval` writes), so training
// and serving cannot drift apart.
//
// A candidate is a distinct parseable answer of the tally. Its chains are the counted chains that
// finished OK with that answer; the voters are all counted chains that finished OK with a
// parseable answer. Every feature is a float; NaN means missing (no confidence statistics, no
// verifier score), which XGBoost treats as missing and logistic regression as the training mean.
//
// | name | what |
// | --- | --- |
// | vote_share | votes / parseable votes |
// | votes | the candidate's votes |
// | log2_chains | log2 of the counted chains (the N the vote saw) |
// | rank | 0 for the leader by votes (ties to the earliest chain), 1 for the next, ... |
// | share_margin | share minus the largest other candidate's share (the share alone if none) |
// | candidates | distinct parseable answers |
// | conf_coverage | fraction of its chains with confidence statistics |
// | conf_lowest_mean, conf_lowest_max | mean and max lowest group confidence of its chains |
// | conf_lowest_rel, conf_bottom10_rel, conf_tail_rel, conf_mean_rel | mean over its chains minus
// mean over the voters, for lowest group, bottom-10%, tail, mean token | | conf_weighted_share |
// its share of the voters' summed lowest group confidence (weighted vote) | | conf_top_half_share |
// its share of the more confident half of the voters (filtered vote) | | output_tokens_rel | log of
// its chains' mean completion + reasoning tokens over the voters' | | reasoning_tokens_log | log(1
// + its chains' mean reasoning tokens) | | completion_tokens_rel | log of its chains' mean
// completion (visible) tokens over the voters' | | answer_chars | length of the answer text | |
// truncated_frac | fraction of its chains that finished for length (length, max_tokens) | |
// unparseable_frac | counted chains that finished OK without an answer / counted chains | |
// failed_frac | counted chains that did not finish OK / counted chains | | backend_agreement |
// distinct backend/model pairs among its chains / among the voters | | verifier_present | 1 when
// the candidate has a verifier score, else 0 | | verifier_score | its verifier score in [0, 1]
// (missing without one) | | verifier_rel | its verifier score minus the mean of the scores given
// (missing without one) |
//
// Changing the list or a definition changes kFeatureVersion: a model file names the version and
// the features it was trained on, and loading refuses a mismatch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aggregators/aggregator.h"

namespace ptc::learned {

inline constexpr int kFeatureVersion = 1;

// The feature names, in column order.
const std::vector<std::string>& FeatureNames();

struct CandidateFeatures {
  std::string answer;
  uint32_t votes = 0;
  uint32_t first_chain = 0;        // lowest plan index that gave the answer
  std::optional<double> verifier;  // the candidate's verifier score, when it had one
  std::vector<float> values;       // FeatureNames().size() values
};

// The candidates of `input.tally`, ranked by votes (ties to the earliest chain), with their
// features. Empty when no chain gave a parseable answer.
std::vector<CandidateFeatures> ComputeFeatures(const SelectionInput& input);

// The candidates' features as rows (row-major), for ScorerModel::Predict.
std::vector<float> FeatureRows(const std::vector<CandidateFeatures>& candidates);

// The learned strategy's ranking of ComputeFeatures' candidates given each one's probability of
// being correct: by probability, descending; ties to more votes, then to the earliest chain.
// Returns indices into `candidates`; the first is the selection.
std::vector<size_t> RankByProbability(const std::vector<CandidateFeatures>& candidates,
                                      const std::vector<double>& probability);

}  // namespace ptc::learned
