// The verifier strategy: a verifier model grades the distinct candidate answers, and the grade
// and the votes combine (Cobbe et al. 2021 for verifiers; the pointwise "model as judge" form).
//
// The Run grades the top max_candidates candidates by votes (service/verification.h): one call
// each, with the text of the earliest chain that gave the candidate as evidence; each reply's
// score is read by ParseVerifierScore (verify_prompt.h). Select then combines, for every
// candidate c of the tally:
//
//   weight(c) = share(c)^alpha * s(c)
//
// where share(c) is c's share of the parseable votes, alpha is vote_exponent (default 1), and
// s(c) is c's verifier score, or, for a candidate without one (not among the graded, or its call
// failed or gave no score), the mean score of the candidates with one. The candidate with the
// largest weight wins; ties go to more votes, then to the earliest chain in the plan. Candidates
// are listed by weight; Candidate.weight is weight(c), Candidate.score weight(c) / sum of weights,
// Candidate.verifier_score s(c) when c had a score of its own; confidence is the winner's
// Candidate.score.
//
// Why a product: both factors are probabilities, so they need no common scale; alpha sets how
// much the votes count against the verifier; and the share keeps a noisy verifier from lifting a
// one-vote outlier over a clear majority. In a Monte Carlo of the simulated GPQA scenario (N = 32,
// AUC 0.8) alpha = 1 did as well as the best of alpha in {0.5, 1.5, 2, 3} and of the log-linear
// log share + beta logit(s) with beta in {1, 2}, and 4 points better than majority.
//
// Fallback: when no candidate has a score (every call failed or was unreadable, or no call ran:
// verification skipped for budget, quorum or cancel), Select is majority vote and
// Selection.fallback says why. With a single candidate no call runs and the answer is that
// candidate (not a fallback: there is nothing to choose). No parseable answer: no answer.
//
// A pairwise tournament over the top k is not implemented.
#pragma once

#include "aggregators/aggregator.h"

namespace ptc {

inline constexpr uint32_t kDefaultVerifyCandidates = 4;
inline constexpr uint32_t kMaxVerifyCandidates = 32;
inline constexpr uint32_t kDefaultEvidenceBytes = 4096;
inline constexpr uint32_t kMaxEvidenceBytes = 65536;
inline constexpr double kMaxVoteExponent = 8;

// The verifier calls' settings from a VerifierVote message, defaults applied; errors name the field
// under `field` (e.g. "aggregation.verifier").
absl::StatusOr<VerifySettings> VerifySettingsFromConfig(const v1::VerifierVote& config,
                                                        absl::string_view field);

class VerifierAggregator : public Aggregator {
 public:
  // INVALID_ARGUMENT naming the field (aggregation.verifier.*) for a value out of range. The
  // backend and max_tokens are checked by the request plan, which knows the server's.
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(const v1::VerifierVote& config);
  VerifierAggregator(VerifySettings settings, double vote_exponent)
      : settings_(std::move(settings)), vote_exponent_(vote_exponent) {}

  std::string name() const override { return "verifier"; }
  const VerifySettings* verify_settings() const override { return &settings_; }
  Selection Select(const SelectionInput& input) const override;

 private:
  const VerifySettings settings_;
  const double vote_exponent_;
};

}  // namespace ptc
