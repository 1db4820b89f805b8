#include "aggregators/majority/majority.h"

#include "absl/strings/str_cat.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<Aggregator>> MajorityAggregator::Create(const v1::MajorityVote&) {
  return std::make_unique<MajorityAggregator>();
}

Selection MajorityAggregator::Select(const SelectionInput& input) const {
  const Tally& tally = input.tally;
  Selection s;
  s.rule = "majority: most votes; ties to the earliest chain in the plan";
  const double total = tally.parseable();
  for (const Tally::Entry& e : tally.RankedByVotes()) {
    v1::Candidate& c = s.candidates.emplace_back();
    c.set_answer(e.answer);
    c.set_votes(e.votes);
    c.set_share(total > 0 ? e.votes / total : 0);
    c.set_weight(e.votes);
    c.set_score(c.share());
  }
  if (!s.candidates.empty()) {
    s.answered = true;
    s.answer = s.candidates.front().answer();
    s.confidence = s.candidates.front().share();
  }
  return s;
}

Selection MajorityFallback(const SelectionInput& input, const std::string& prefix,
                           const std::string& why) {
  Selection s = MajorityAggregator().Select(input);
  s.fallback = why;
  s.rule = absl::StrCat(prefix, " ", why,
                        "; majority (most votes; ties to the earliest chain in the plan)");
  return s;
}

PTC_REGISTER_AGGREGATOR(v1::MajorityVote, &MajorityAggregator::Create);

}  // namespace ptc
