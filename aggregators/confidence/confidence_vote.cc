#include "aggregators/confidence/confidence_vote.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "aggregators/confidence/confidence_tracker.h"

namespace ptc {
namespace {

struct Voter {
  size_t pos;  // in input.chains
  uint32_t index;
  double value;
};

// One candidate per entry, ranked as given; shares over `voters`, scores over the total weight.
void SetCandidates(const std::vector<Tally::Entry>& ranked, uint32_t voters, Selection* s) {
  double total = 0;
  for (const Tally::Entry& e : ranked) total += e.weight;
  for (const Tally::Entry& e : ranked) {
    v1::Candidate& c = s->candidates.emplace_back();
    c.set_answer(e.answer);
    c.set_votes(e.votes);
    c.set_share(voters > 0 ? static_cast<double>(e.votes) / voters : 0);
    c.set_weight(e.weight);
    c.set_score(total > 0 ? e.weight / total : 0);
  }
  if (!s->candidates.empty()) {
    s->answered = true;
    s->answer = s->candidates.front().answer();
    s->confidence = s->candidates.front().score();
  }
}

}  // namespace

Selection ConfidenceVote(const SelectionInput& input, const ConfidenceVoteOptions& options) {
  Selection s;
  s.chain_weights.assign(input.chains.size(), 0);
  std::vector<Voter> voters;
  double known_sum = 0;
  uint32_t known = 0;
  for (size_t i = 0; i < input.chains.size(); ++i) {
    const v1::ChainRecord& r = *input.chains[i];
    if (r.status() != v1::CHAIN_STATUS_OK || !r.parseable()) continue;
    double value = NAN;
    if (r.has_confidence()) {
      value = ConfidenceValue(r.confidence(), options.measure);
      known_sum += value;
      ++known;
    }
    voters.push_back(Voter{i, r.index(), value});
  }
  const std::string measure = ConfidenceMeasureName(options.measure);

  if (known == 0) {  // no log-probabilities anywhere: a plain vote
    Tally plain;
    for (const Voter& v : voters) {
      plain.Add(v.index, input.chains[v.pos]->answer());
      s.chain_weights[v.pos] = 1;
    }
    SetCandidates(plain.RankedByVotes(), static_cast<uint32_t>(voters.size()), &s);
    s.rule = absl::StrCat(options.strategy,
                          ": no chain had log-probabilities, so a plain vote (most votes; ties to "
                          "the earliest chain in the plan)");
    return s;
  }

  const double fill = known_sum / known;
  for (Voter& v : voters) {
    if (std::isnan(v.value)) v.value = fill;
  }
  size_t keep = voters.size();
  if (options.keep_percent < 100 && !voters.empty()) {
    const double want = options.keep_percent / 100.0 * static_cast<double>(voters.size());
    keep = std::clamp<size_t>(static_cast<size_t>(std::ceil(want - 1e-9)), 1, voters.size());
    std::stable_sort(voters.begin(), voters.end(), [](const Voter& a, const Voter& b) {
      if (a.value != b.value) return a.value > b.value;
      return a.index < b.index;
    });
  }
  Tally weighted;
  for (size_t k = 0; k < keep; ++k) {
    const Voter& v = voters[k];
    const double w = std::max(v.value, kMinVoteWeight);
    weighted.Add(v.index, input.chains[v.pos]->answer(), w);
    s.chain_weights[v.pos] = w;
  }
  SetCandidates(weighted.RankedByWeight(), static_cast<uint32_t>(keep), &s);
  const std::string vote =
      absl::StrCat("vote weighted by ", measure, " confidence (window ", options.window_tokens,
                   " tokens); ties to the earliest chain in the plan");
  if (options.keep_percent < 100) {
    s.rule = absl::StrCat(options.strategy, ": kept the ", keep, " of ", voters.size(),
                          " answering chains with the highest ", measure, " confidence (top ",
                          options.keep_percent, "%), then a ", vote);
  } else {
    s.rule = absl::StrCat(options.strategy, ": ", vote);
  }
  if (known < voters.size()) {
    absl::StrAppend(&s.rule, "; ", voters.size() - known,
                    " chains without log-probabilities took the mean confidence");
  }
  return s;
}

}  // namespace ptc
