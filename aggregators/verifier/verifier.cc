#include "aggregators/verifier/verifier.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aggregators/majority/majority.h"
#include "common/status_macros.h"

namespace ptc {
namespace {

struct Scored {
  const Tally::Entry* entry;
  std::optional<double> own;  // the verifier's score, when the candidate had one
  double weight = 0;
};

}  // namespace

absl::StatusOr<VerifySettings> VerifySettingsFromConfig(const v1::VerifierVote& config,
                                                        absl::string_view field) {
  VerifySettings s;
  s.backend = config.backend();
  s.model = config.model();
  s.max_candidates =
      config.max_candidates() == 0 ? kDefaultVerifyCandidates : config.max_candidates();
  if (s.max_candidates > kMaxVerifyCandidates) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".max_candidates: must be at most ", kMaxVerifyCandidates));
  }
  s.max_tokens = config.max_tokens();
  s.evidence_bytes = config.evidence_bytes() == 0 ? kDefaultEvidenceBytes : config.evidence_bytes();
  if (s.evidence_bytes > kMaxEvidenceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".evidence_bytes: must be at most ", kMaxEvidenceBytes));
  }
  return s;
}

absl::StatusOr<std::unique_ptr<Aggregator>> VerifierAggregator::Create(
    const v1::VerifierVote& config) {
  ASSIGN_OR_RETURN(VerifySettings s, VerifySettingsFromConfig(config, "aggregation.verifier"));
  const double alpha = config.has_vote_exponent() ? config.vote_exponent() : 1.0;
  if (!(alpha >= 0 && alpha <= kMaxVoteExponent)) {  // also rejects NaN
    return absl::InvalidArgumentError(absl::StrCat(
        "aggregation.verifier.vote_exponent: must be in [0, ", kMaxVoteExponent, "] (unset = 1)"));
  }
  return std::make_unique<VerifierAggregator>(std::move(s), alpha);
}

Selection VerifierAggregator::Select(const SelectionInput& input) const {
  const std::vector<Tally::Entry> ranked = input.tally.RankedByVotes();
  if (ranked.empty()) {
    Selection s;
    s.rule = "verifier: no parseable answer";
    return s;
  }
  const VerificationOutcome* v = input.verification;
  if (ranked.size() == 1) {
    Selection s = MajorityAggregator().Select(input);
    s.rule = "verifier: one candidate, nothing to grade";
    return s;
  }
  if (v == nullptr) return MajorityFallback(input, "verifier", "not run");
  if (!v->skipped.empty())
    return MajorityFallback(input, "verifier", absl::StrCat("skipped: ", v->skipped));

  double sum = 0;
  uint32_t scored = 0;
  std::string first_error;
  for (const CandidateGrade& g : v->grades) {
    if (g.score.has_value()) {
      sum += *g.score;
      ++scored;
    } else if (first_error.empty()) {
      first_error = absl::StrCat("candidate ", g.answer, ": ", g.error);
    }
  }
  if (scored == 0) {
    return MajorityFallback(
        input, "verifier",
        absl::StrCat("failed: no call gave a score",
                     first_error.empty() ? "" : absl::StrCat(" (", first_error, ")")));
  }
  const double fill = sum / scored;

  const double total_votes = input.tally.parseable();
  std::vector<Scored> cands;
  cands.reserve(ranked.size());
  double total_weight = 0;
  for (const Tally::Entry& e : ranked) {
    Scored c{&e, std::nullopt};
    for (const CandidateGrade& g : v->grades) {
      if (g.answer == e.answer && g.score.has_value()) c.own = g.score;
    }
    const double share = e.votes / total_votes;
    c.weight = std::pow(share, vote_exponent_) * c.own.value_or(fill);
    total_weight += c.weight;
    cands.push_back(c);
  }
  // By weight; ties to more votes, then to the earliest chain (stable on the vote ranking).
  std::stable_sort(cands.begin(), cands.end(),
                   [](const Scored& a, const Scored& b) { return a.weight > b.weight; });

  Selection s;
  for (const Scored& c : cands) {
    v1::Candidate& out = s.candidates.emplace_back();
    out.set_answer(c.entry->answer);
    out.set_votes(c.entry->votes);
    out.set_share(c.entry->votes / total_votes);
    out.set_weight(c.weight);
    out.set_score(total_weight > 0 ? c.weight / total_weight : 0);
    if (c.own.has_value()) out.set_verifier_score(*c.own);
  }
  s.answered = true;
  s.answer = s.candidates.front().answer();
  s.confidence = s.candidates.front().score();
  s.rule = absl::StrCat("verifier: weight = vote share^", absl::StrFormat("%g", vote_exponent_),
                        " x verifier score (", v->verifier, "); ", scored, " of ", ranked.size(),
                        " candidates scored");
  if (scored < ranked.size()) absl::StrAppend(&s.rule, ", the others took the mean score");
  absl::StrAppend(&s.rule, "; ties to more votes, then the earliest chain in the plan");
  return s;
}

PTC_REGISTER_AGGREGATOR(v1::VerifierVote, &VerifierAggregator::Create);

}  // namespace ptc
