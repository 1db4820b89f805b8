#include "service/compute/auto_compute.h"

#include "absl/strings/str_cat.h"

namespace ptc::compute {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("compute.auto.", field, ": ", what));
}

}  // namespace

absl::StatusOr<std::optional<AutoCompute>> PlanAutoCompute(const v1::SolveRequest& request,
                                                           const std::vector<ChatMessage>& messages,
                                                           const v1::ServerLimits& limits,
                                                           PolicyStore& policies) {
  if (!request.compute().has_auto_()) return std::nullopt;
  const v1::ComputePolicy::Auto& a = request.compute().auto_();
  if (request.launch().policy_case() != v1::LaunchPolicy::POLICY_NOT_SET) {
    return absl::InvalidArgumentError(
        "launch: the auto compute policy launches its probe, then the stop rule's waves; leave "
        "launch unset");
  }
  AutoCompute out;
  out.probe = a.probe() == 0 ? kDefaultProbe : a.probe();
  out.settled = a.settled_agreement() == 0 ? 1.0 : a.settled_agreement();
  if (!(out.settled > 0.5 && out.settled <= 1)) {
    return Invalid("settled_agreement", "must be in (0.5, 1]");
  }
  if (a.escalate_thinking_budget() > limits.max_tokens_per_chain()) {
    return Invalid("escalate_thinking_budget",
                   absl::StrCat("above the limit of ", limits.max_tokens_per_chain()));
  }
  out.escalate_thinking_budget = a.escalate_thinking_budget();
  const uint32_t budget = a.thinking_budget() == 0 ? kDefaultThinkingBudget : a.thinking_budget();
  if (budget > limits.max_tokens_per_chain()) {
    return Invalid("thinking_budget",
                   absl::StrCat("above the limit of ", limits.max_tokens_per_chain()));
  }
  v1::ComputeDecision& d = out.decision;
  d.set_policy("auto");
  d.set_probe(out.probe);
  d.set_escalate_thinking_budget(out.escalate_thinking_budget);
  if (!a.thinking_model().empty()) {
    auto policy = policies.Get(a.thinking_model());
    if (!policy.ok()) return Invalid("thinking_model", policy.status().message());
    const double p = (*policy)->Probability(messages);
    const bool think = (*policy)->Think(p);
    // Unless the request says, the budget the policy was trained with.
    const auto trained = (*policy)->training().find("think_budget");
    const uint32_t on = a.thinking_budget() == 0 && trained != (*policy)->training().end() &&
                                trained->second >= 1 &&
                                trained->second <= limits.max_tokens_per_chain()
                            ? static_cast<uint32_t>(trained->second)
                            : budget;
    out.thinking_budget = think ? on : 0;
    if (!think) out.escalate_thinking_budget = 0;  // the policy says thinking does not help here
    d.set_thinking(think);
    d.set_thinking_probability(p);
    d.set_thinking_model(absl::StrCat(a.thinking_model(), "@", (*policy)->version()));
  }
  return out;
}

v1::SamplingGroup WithThinking(const v1::SamplingGroup& group, std::optional<uint32_t> budget) {
  v1::SamplingGroup g = group;
  if (budget.has_value()) {
    g.set_thinking_budget(*budget);
    g.clear_reasoning_effort();
  }
  return g;
}

}  // namespace ptc::compute
