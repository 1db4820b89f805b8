#include "aggregators/learned/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace ptc::learned {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

enum Column {
  kVoteShare,
  kVotes,
  kLog2Chains,
  kRank,
  kShareMargin,
  kCandidates,
  kConfCoverage,
  kConfLowestMean,
  kConfLowestMax,
  kConfLowestRel,
  kConfBottom10Rel,
  kConfTailRel,
  kConfMeanRel,
  kConfWeightedShare,
  kConfTopHalfShare,
  kOutputTokensRel,
  kReasoningTokensLog,
  kCompletionTokensRel,
  kAnswerChars,
  kTruncatedFrac,
  kUnparseableFrac,
  kFailedFrac,
  kBackendAgreement,
  kVerifierPresent,
  kVerifierScore,
  kVerifierRel,
  kColumns
};

bool HasConfidence(const v1::ChainRecord& r) {
  return r.has_confidence() && r.confidence().tokens() > 0;
}

bool Truncated(const std::string& finish_reason) {
  return finish_reason == "length" || finish_reason == "max_tokens";
}

// Running means of the confidence statistics and token counts over a set of chains.
struct Sums {
  uint32_t chains = 0;
  uint32_t with_conf = 0;
  uint32_t truncated = 0;
  double lowest = 0, bottom10 = 0, tail = 0, mean_token = 0;
  double lowest_max = -std::numeric_limits<double>::infinity();
  double completion = 0, reasoning = 0;
  std::set<std::string> backends;

  void Add(const v1::ChainRecord& r) {
    ++chains;
    if (Truncated(r.finish_reason())) ++truncated;
    completion += r.usage().completion_tokens();
    reasoning += r.usage().reasoning_tokens();
    backends.insert(absl::StrCat(r.backend(), "/", r.model()));
    if (!HasConfidence(r)) return;
    const v1::ChainConfidence& c = r.confidence();
    ++with_conf;
    lowest += c.lowest_group();
    bottom10 += c.bottom_10();
    tail += c.tail();
    mean_token += c.mean_token();
    lowest_max = std::max(lowest_max, c.lowest_group());
  }
  double ConfMean(double sum) const { return with_conf > 0 ? sum / with_conf : NAN; }
  double TokensMean(double sum) const { return chains > 0 ? sum / chains : NAN; }
};

float Rel(double candidate, double voters) {
  if (std::isnan(candidate) || std::isnan(voters)) return kMissing;
  return static_cast<float>(candidate - voters);
}

float LogRatio(double candidate, double voters) {
  if (std::isnan(candidate) || std::isnan(voters)) return kMissing;
  return static_cast<float>(std::log((candidate + 1) / (voters + 1)));
}

}  // namespace

const std::vector<std::string>& FeatureNames() {
  static const std::vector<std::string>* names =
      new std::vector<std::string>{"vote_share",           "votes",
                                   "log2_chains",          "rank",
                                   "share_margin",         "candidates",
                                   "conf_coverage",        "conf_lowest_mean",
                                   "conf_lowest_max",      "conf_lowest_rel",
                                   "conf_bottom10_rel",    "conf_tail_rel",
                                   "conf_mean_rel",        "conf_weighted_share",
                                   "conf_top_half_share",  "output_tokens_rel",
                                   "reasoning_tokens_log", "completion_tokens_rel",
                                   "answer_chars",         "truncated_frac",
                                   "unparseable_frac",     "failed_frac",
                                   "backend_agreement",    "verifier_present",
                                   "verifier_score",       "verifier_rel"};
  return *names;
}

std::vector<CandidateFeatures> ComputeFeatures(const SelectionInput& input) {
  const std::vector<Tally::Entry> ranked = input.tally.RankedByVotes();
  std::vector<CandidateFeatures> out;
  if (ranked.empty()) return out;

  // The voters, and each candidate's chains.
  absl::flat_hash_map<std::string, Sums> by_answer;
  Sums voters;
  uint32_t ok_unparseable = 0, not_ok = 0;
  std::vector<const v1::ChainRecord*> confident;  // voters with confidence statistics
  for (const v1::ChainRecord* r : input.chains) {
    if (r->status() != v1::CHAIN_STATUS_OK) {
      ++not_ok;
      continue;
    }
    if (!r->parseable()) {
      ++ok_unparseable;
      continue;
    }
    voters.Add(*r);
    by_answer[r->answer()].Add(*r);
    if (HasConfidence(*r)) confident.push_back(r);
  }
  // Without chain records (a tally alone) the counts come from the tally.
  const bool have_chains = !input.chains.empty();
  const double counted =
      have_chains ? input.chains.size() : input.tally.parseable() + input.tally.unparseable();
  if (!have_chains) ok_unparseable = input.tally.unparseable();

  // DeepConf-style weighted and filtered shares over the voters with statistics.
  double conf_total = 0;
  absl::flat_hash_map<std::string, double> conf_weight;
  for (const v1::ChainRecord* r : confident) {
    const double w = std::max(r->confidence().lowest_group(), 1e-6);
    conf_total += w;
    conf_weight[r->answer()] += w;
  }
  std::stable_sort(confident.begin(), confident.end(),
                   [](const v1::ChainRecord* a, const v1::ChainRecord* b) {
                     return a->confidence().lowest_group() > b->confidence().lowest_group();
                   });
  const size_t top_half = (confident.size() + 1) / 2;
  absl::flat_hash_map<std::string, uint32_t> top_votes;
  for (size_t i = 0; i < top_half; ++i) ++top_votes[confident[i]->answer()];

  // Verifier scores.
  absl::flat_hash_map<std::string, double> verifier;
  double verifier_sum = 0;
  if (input.verification != nullptr) {
    for (const CandidateGrade& g : input.verification->grades) {
      if (!g.score.has_value() || verifier.contains(g.answer)) continue;
      verifier[g.answer] = *g.score;
      verifier_sum += *g.score;
    }
  }
  const double verifier_mean = verifier.empty() ? NAN : verifier_sum / verifier.size();

  const double total_votes = input.tally.parseable();
  const double voters_lowest = voters.ConfMean(voters.lowest);
  const double voters_bottom10 = voters.ConfMean(voters.bottom10);
  const double voters_tail = voters.ConfMean(voters.tail);
  const double voters_mean = voters.ConfMean(voters.mean_token);
  const double voters_output = voters.TokensMean(voters.completion + voters.reasoning);
  const double voters_completion = voters.TokensMean(voters.completion);
  for (size_t rank = 0; rank < ranked.size(); ++rank) {
    const Tally::Entry& e = ranked[rank];
    CandidateFeatures& f = out.emplace_back();
    f.answer = e.answer;
    f.votes = e.votes;
    f.first_chain = e.first_chain;
    std::vector<float>& v = f.values;
    v.assign(kColumns, kMissing);
    const double share = total_votes > 0 ? e.votes / total_votes : 0;
    double best_other = -1;
    for (size_t j = 0; j < ranked.size(); ++j) {
      if (j != rank) best_other = std::max(best_other, ranked[j].votes / total_votes);
    }
    v[kVoteShare] = share;
    v[kVotes] = e.votes;
    v[kLog2Chains] = std::log2(std::max(counted, 1.0));
    v[kRank] = rank;
    v[kShareMargin] = best_other < 0 ? share : share - best_other;
    v[kCandidates] = ranked.size();
    v[kUnparseableFrac] = counted > 0 ? ok_unparseable / counted : 0;
    v[kFailedFrac] = counted > 0 ? not_ok / counted : 0;

    auto it = by_answer.find(e.answer);
    if (it != by_answer.end()) {
      const Sums& c = it->second;
      v[kConfCoverage] = static_cast<float>(c.with_conf) / c.chains;
      if (c.with_conf > 0) {
        v[kConfLowestMean] = c.ConfMean(c.lowest);
        v[kConfLowestMax] = c.lowest_max;
      }
      v[kConfLowestRel] = Rel(c.ConfMean(c.lowest), voters_lowest);
      v[kConfBottom10Rel] = Rel(c.ConfMean(c.bottom10), voters_bottom10);
      v[kConfTailRel] = Rel(c.ConfMean(c.tail), voters_tail);
      v[kConfMeanRel] = Rel(c.ConfMean(c.mean_token), voters_mean);
      v[kOutputTokensRel] = LogRatio(c.TokensMean(c.completion + c.reasoning), voters_output);
      v[kReasoningTokensLog] = std::log1p(c.TokensMean(c.reasoning));
      v[kCompletionTokensRel] = LogRatio(c.TokensMean(c.completion), voters_completion);
      v[kTruncatedFrac] = static_cast<float>(c.truncated) / c.chains;
      v[kBackendAgreement] =
          static_cast<float>(c.backends.size()) / std::max<size_t>(voters.backends.size(), 1);
    }
    if (conf_total > 0) {
      auto w = conf_weight.find(e.answer);
      v[kConfWeightedShare] = (w == conf_weight.end() ? 0 : w->second) / conf_total;
      auto t = top_votes.find(e.answer);
      v[kConfTopHalfShare] = static_cast<float>(t == top_votes.end() ? 0 : t->second) / top_half;
    }
    v[kAnswerChars] = e.answer.size();
    auto s = verifier.find(e.answer);
    v[kVerifierPresent] = s != verifier.end() ? 1 : 0;
    if (s != verifier.end()) {
      f.verifier = s->second;
      v[kVerifierScore] = s->second;
      v[kVerifierRel] = s->second - verifier_mean;
    }
  }
  return out;
}

std::vector<float> FeatureRows(const std::vector<CandidateFeatures>& candidates) {
  std::vector<float> rows;
  rows.reserve(candidates.size() * FeatureNames().size());
  for (const CandidateFeatures& c : candidates) {
    rows.insert(rows.end(), c.values.begin(), c.values.end());
  }
  return rows;
}

std::vector<size_t> RankByProbability(const std::vector<CandidateFeatures>& candidates,
                                      const std::vector<double>& probability) {
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (probability[a] != probability[b]) return probability[a] > probability[b];
    if (candidates[a].votes != candidates[b].votes)
      return candidates[a].votes > candidates[b].votes;
    return candidates[a].first_chain < candidates[b].first_chain;
  });
  return order;
}

}  // namespace ptc::learned
