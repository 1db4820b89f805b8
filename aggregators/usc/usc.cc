#include "aggregators/usc/usc.h"

#include "absl/strings/str_cat.h"
#include "aggregators/majority/majority.h"
#include "aggregators/usc/usc_prompt.h"

namespace ptc {
namespace {}  // namespace

absl::StatusOr<std::unique_ptr<Aggregator>> UscAggregator::Create(
    const v1::UniversalSelfConsistency& config) {
  UscSettings s;
  s.backend = config.backend();
  s.model = config.model();
  s.max_tokens = config.max_tokens();
  s.max_responses = config.max_responses() == 0 ? kDefaultUscResponses : config.max_responses();
  if (s.max_responses > kMaxUscResponses) {
    return absl::InvalidArgumentError(
        absl::StrCat("aggregation.usc.max_responses: must be at most ", kMaxUscResponses));
  }
  s.response_bytes =
      config.response_bytes() == 0 ? kDefaultUscResponseBytes : config.response_bytes();
  if (s.response_bytes > kMaxUscResponseBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("aggregation.usc.response_bytes: must be at most ", kMaxUscResponseBytes));
  }
  return std::make_unique<UscAggregator>(std::move(s));
}

Selection UscAggregator::Select(const SelectionInput& input) const {
  const std::vector<Tally::Entry> ranked = input.tally.RankedByVotes();
  if (ranked.empty()) {
    Selection s;
    s.rule = "usc: no parseable answer";
    return s;
  }
  if (ranked.size() == 1) {
    Selection s = MajorityAggregator().Select(input);
    s.rule = "usc: one candidate, nothing to select";
    return s;
  }
  const UscOutcome* u = input.usc;
  if (u == nullptr) return MajorityFallback(input, "usc", "not run");
  if (!u->skipped.empty())
    return MajorityFallback(input, "usc", absl::StrCat("skipped: ", u->skipped));
  if (!u->selected.has_value() || *u->selected >= u->response_chains.size()) {
    return MajorityFallback(input, "usc",
                            absl::StrCat("failed: ", u->error.empty() ? "no selection" : u->error));
  }
  const uint32_t k = *u->selected;
  const uint32_t chain = u->response_chains[k];
  const v1::ChainRecord* chosen = nullptr;
  for (const v1::ChainRecord* r : input.chains) {
    if (r->index() == chain) chosen = r;
  }
  const Tally::Entry* winner = nullptr;
  if (chosen != nullptr && chosen->status() == v1::CHAIN_STATUS_OK && chosen->parseable()) {
    for (const Tally::Entry& e : ranked) {
      if (e.answer == chosen->answer()) winner = &e;
    }
  }
  if (winner == nullptr) {
    return MajorityFallback(
        input, "usc",
        absl::StrCat("failed: Response ", k + 1, " (chain ", chain, ") has no counted answer"));
  }

  Selection s;
  const double total = input.tally.parseable();
  auto add = [&](const Tally::Entry& e) {
    v1::Candidate& c = s.candidates.emplace_back();
    c.set_answer(e.answer);
    c.set_votes(e.votes);
    c.set_share(total > 0 ? e.votes / total : 0);
    c.set_weight(e.votes);
    c.set_score(c.share());
  };
  add(*winner);
  for (const Tally::Entry& e : ranked) {
    if (&e != winner) add(e);
  }
  s.answered = true;
  s.answer = winner->answer;
  s.confidence = s.candidates.front().share();
  s.rule = absl::StrCat(
      "usc: the selector (", u->selector, ") chose Response ", k + 1, " of ",
      u->response_chains.size(), " (chain ", chain, ") as the most consistent with the others; ",
      winner == &ranked.front()
          ? "majority vote agrees"
          : absl::StrCat("majority vote would have chosen ", ranked.front().answer, " (",
                         ranked.front().votes, " votes against ", winner->votes, ")"));
  return s;
}

PTC_REGISTER_AGGREGATOR(v1::UniversalSelfConsistency, &UscAggregator::Create);

}  // namespace ptc
