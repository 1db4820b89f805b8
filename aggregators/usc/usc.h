// Universal self-consistency (Chen et al. 2023): a selector model reads the responses and names
// the one most consistent with the others; that response's answer wins. It needs no answer
// matching of its own, so it suits free-form answers whose wordings split the vote (the
// free-text format's grouping, aggregators/extract/free_text.h, still names the candidates).
//
// The Run makes one selector call after the last counted chain (service/verification.h): the
// prompt (usc_prompt.h) shows the counted chains that finished OK with an answer, in plan order,
// the first max_responses, each cut to the last response_bytes of its text; the reply is read by
// ParseUscSelection. Select then:
//   - no parseable answer: no answer;
//   - one candidate: that candidate (no call ran: there is nothing to choose);
//   - the call was skipped (no room in the caps, quorum not met, cancelled, draining), failed,
//     or its reply named no response shown: majority vote, and Selection.fallback says why
//     (selection_rule "usc skipped: ...; majority ..." or "usc failed: ...; majority ...");
//   - else the chosen response's answer (its group's, for free text).
// Candidates are listed by votes with the winner first; weight is the votes, score the vote
// share, and confidence the winner's vote share. The rule says which response (and chain) the
// selector chose and whether majority vote would have agreed.
#pragma once

#include "aggregators/aggregator.h"

namespace ptc {

class UscAggregator : public Aggregator {
 public:
  // INVALID_ARGUMENT naming the field (aggregation.usc.*) for a value out of range. The backend
  // and max_tokens are checked by the request plan, which knows the server's.
  static absl::StatusOr<std::unique_ptr<Aggregator>> Create(
      const v1::UniversalSelfConsistency& config);
  explicit UscAggregator(UscSettings settings) : settings_(std::move(settings)) {}

  std::string name() const override { return "usc"; }
  const UscSettings* usc_settings() const override { return &settings_; }
  Selection Select(const SelectionInput& input) const override;

 private:
  const UscSettings settings_;
};

}  // namespace ptc
