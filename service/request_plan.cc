#include "service/request_plan.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "aggregators/extract/extractor_cache.h"
#include "aggregators/stop/auto/auto_compute.h"
#include "aggregators/usc/usc_prompt.h"
#include "aggregators/verifier/verify_prompt.h"
#include "common/status_macros.h"
#include "re2/re2.h"
#include "samplers/thinking_levels.h"
#include "service/compute/auto_compute.h"

namespace ptc {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::StatusOr<std::shared_ptr<const std::vector<ChatMessage>>> CheckMessages(
    const v1::SolveRequest& r, const v1::ServerLimits& limits, uint64_t* prompt_bytes) {
  if (r.messages_size() == 0) return Invalid("messages", "at least one message is required");
  if (static_cast<uint32_t>(r.messages_size()) > limits.max_messages()) {
    return Invalid("messages", absl::StrCat(r.messages_size(), " messages, above the limit of ",
                                            limits.max_messages()));
  }
  auto out = std::make_shared<std::vector<ChatMessage>>();
  bool has_user = false;
  *prompt_bytes = 0;
  for (int i = 0; i < r.messages_size(); ++i) {
    const v1::Message& m = r.messages(i);
    ChatMessage cm;
    switch (m.role()) {
      case v1::Message::ROLE_SYSTEM:
        cm.role = ChatMessage::Role::kSystem;
        break;
      case v1::Message::ROLE_USER:
        cm.role = ChatMessage::Role::kUser;
        has_user = true;
        break;
      case v1::Message::ROLE_ASSISTANT:
        cm.role = ChatMessage::Role::kAssistant;
        break;
      default:
        return Invalid(absl::StrCat("messages[", i, "].role"), "must be system, user or assistant");
    }
    *prompt_bytes += m.content().size();
    if (*prompt_bytes > limits.max_prompt_bytes()) {
      return Invalid("messages", absl::StrCat("prompt is over the limit of ",
                                              limits.max_prompt_bytes(), " bytes"));
    }
    cm.content = m.content();
    out->push_back(std::move(cm));
  }
  if (!has_user) return Invalid("messages", "no user message");
  return std::shared_ptr<const std::vector<ChatMessage>>(std::move(out));
}

absl::Status CheckLabel(absl::string_view field, const std::string& value, uint32_t max_bytes) {
  if (value.size() > max_bytes) {
    return Invalid(field, absl::StrCat(value.size(), " bytes, above the limit of ", max_bytes));
  }
  return absl::OkStatus();
}

// What a group's chains are given: a budget, an effort level, or neither.
struct Thinking {
  uint32_t budget = 0;
  std::string effort;
};

// Converts the group's thinking_budget or reasoning_effort to what the backend takes
// (samplers/thinking_levels.h). `max_tokens` is the group's (0 = unset): a budget mapped from a
// level is cut to fit below it, or below the server's per-chain limit.
absl::StatusOr<Thinking> PlanThinking(const v1::SamplingGroup& group, const std::string& field,
                                      const std::string& backend_name, ThinkingStyle style,
                                      const v1::ServerLimits& limits, uint32_t max_tokens) {
  Thinking t;
  if (group.reasoning_effort().empty()) {
    if (group.thinking_budget() == 0) return t;
    if (style == ThinkingStyle::kNone) {
      return Invalid(field + ".thinking_budget",
                     absl::StrCat("backend \"", backend_name, "\" has no extended thinking"));
    }
    t.budget = group.thinking_budget();
    if (style == ThinkingStyle::kEffortLevels) t.effort = EffortForBudget(t.budget);
    return t;
  }
  const std::string efield = field + ".reasoning_effort";
  if (group.thinking_budget() > 0) {
    return Invalid(efield, "give thinking_budget or reasoning_effort, not both");
  }
  const std::optional<uint32_t> budget = BudgetForEffort(group.reasoning_effort());
  if (!budget.has_value()) {
    return Invalid(
        efield,
        absl::StrCat("unknown level \"", absl::CHexEscape(group.reasoning_effort()), "\" (known: ",
                     absl::StrJoin(EffortLevels(), ", ",
                                   [](std::string* out, std::string_view l) { out->append(l); }),
                     ")"));
  }
  if (*budget == 0) return t;  // "none": thinking off
  switch (style) {
    case ThinkingStyle::kNone:
      return Invalid(efield,
                     absl::StrCat("backend \"", backend_name, "\" has no extended thinking"));
    case ThinkingStyle::kEffortLevels:
      t.effort = group.reasoning_effort();
      return t;
    case ThinkingStyle::kBudgetTokens:
    case ThinkingStyle::kOnOffSwitch: {
      const uint32_t cap = max_tokens > 0 ? max_tokens : limits.max_tokens_per_chain();
      t.budget = std::min(*budget, cap > 1 ? cap - 1 : 0);
      return t;
    }
  }
  return t;
}

// Every chain of a group gets these: its thinking, max_tokens and worst case.
struct ChainSizing {
  Thinking thinking;
  uint32_t max_tokens = 0;
  uint64_t worst_tokens = 0;
  double worst_usd = 0;
};

absl::StatusOr<ChainSizing> SizeChains(const v1::SamplingGroup& group, const std::string& field,
                                       const std::string& backend_name, const Backend& backend,
                                       const std::string& model, const v1::ServerLimits& limits,
                                       const PriceTable& prices, uint64_t prompt_token_bound) {
  ChainSizing z;
  z.max_tokens = group.max_tokens();
  ASSIGN_OR_RETURN(z.thinking, PlanThinking(group, field, backend_name,
                                            backend.capabilities().thinking, limits, z.max_tokens));
  if (z.thinking.budget > 0 && z.max_tokens == 0) {
    z.max_tokens = std::min<uint64_t>(uint64_t{z.thinking.budget} + limits.default_max_tokens(),
                                      limits.max_tokens_per_chain());
  }
  if (z.thinking.budget > 0 && z.thinking.budget >= z.max_tokens) {
    return Invalid(
        field + (group.thinking_budget() > 0 ? ".thinking_budget" : ".reasoning_effort"),
        absl::StrCat(group.thinking_budget() > 0 ? "" : "its budget of ", z.thinking.budget,
                     " must be below max_tokens (", z.max_tokens, ")"));
  }
  if (z.max_tokens == 0) z.max_tokens = limits.default_max_tokens();
  const v1::ModelPrice& price = prices.Find(backend_name, model);
  z.worst_tokens = prompt_token_bound + z.max_tokens;
  z.worst_usd = (prompt_token_bound * price.input_usd_per_mtok() +
                 static_cast<double>(z.max_tokens) * price.output_usd_per_mtok()) /
                1e6;
  return z;
}

// What a strategy's calls after the chains have in common, whatever they are for.
struct CallSettings {
  std::string field;  // "aggregation.verifier", "aggregation.usc"
  std::string what;   // "a verifier call", "the selector call", for the skip reason
  std::string backend;
  std::string model;
  uint32_t max_tokens = 0;
  uint32_t max_calls = 0;
  uint64_t max_prompt_bytes = 0;  // the largest prompt a call can have
};

// Validates the calls' backend, model and max_tokens, then reserves the worst case of as many
// calls (up to max_calls) as the caps leave room for after the chains.
absl::StatusOr<SelectionCallPlan> PlanSelectionCalls(const CallSettings& v,
                                                     const BackendSet& backends,
                                                     const v1::ServerLimits& limits,
                                                     const PriceTable& prices, double cost_cap,
                                                     uint64_t token_cap, RequestPlan& plan) {
  SelectionCallPlan out;
  out.backend_name = v.backend.empty() ? backends.default_name() : v.backend;
  out.backend = backends.Find(out.backend_name);
  if (out.backend == nullptr) {
    return Invalid(v.field + ".backend", absl::StrCat("unknown backend \"", v.backend,
                                                      "\" (configured: ", backends.Names(), ")"));
  }
  if (v.model.size() > limits.max_label_bytes()) return Invalid(v.field + ".model", "too long");
  if (v.max_tokens > limits.max_tokens_per_chain()) {
    return Invalid(v.field + ".max_tokens",
                   absl::StrCat("above the limit of ", limits.max_tokens_per_chain()));
  }
  out.spec.model = v.model.empty() ? std::string(out.backend->default_model()) : v.model;
  out.spec.max_tokens = v.max_tokens > 0 ? v.max_tokens : limits.default_max_tokens();
  // One user message: the prompt, counted like a chain's (bytes as tokens, +8 per message).
  const uint64_t prompt_tokens = v.max_prompt_bytes + 8;
  const uint64_t worst_tokens = prompt_tokens + out.spec.max_tokens;
  const v1::ModelPrice& price = prices.Find(out.backend_name, out.spec.model);
  out.reserved_usd_per_call =
      (prompt_tokens * price.input_usd_per_mtok() +
       static_cast<double>(out.spec.max_tokens) * price.output_usd_per_mtok()) /
      1e6;
  while (out.calls < v.max_calls && plan.reserved_usd + out.reserved_usd_per_call <= cost_cap &&
         (token_cap == 0 || plan.reserved_tokens + worst_tokens <= token_cap)) {
    ++out.calls;
    plan.reserved_usd += out.reserved_usd_per_call;
    plan.reserved_tokens += worst_tokens;
  }
  if (out.calls == 0) {
    out.skipped =
        absl::StrCat("no room for ", v.what, " (worst case $",
                     absl::StrFormat("%.4f", out.reserved_usd_per_call), ", ", worst_tokens,
                     " tokens) in the cost cap of $", absl::StrFormat("%.4f", cost_cap),
                     token_cap > 0 ? absl::StrCat(" and the token cap of ", token_cap) : "",
                     " after the chains");
  }
  return out;
}

}  // namespace

absl::StatusOr<RequestPlan> PlanRequest(const v1::SolveRequest& r, const v1::ServerLimits& limits,
                                        const BackendSet& backends, const PriceTable& prices,
                                        double extra_cost_cap) {
  RequestPlan plan;
  uint64_t prompt_bytes = 0;
  ASSIGN_OR_RETURN(auto messages, CheckMessages(r, limits, &prompt_bytes));

  RETURN_IF_ERROR(CheckLabel("reference_answer", r.reference_answer(), limits.max_label_bytes()));
  RETURN_IF_ERROR(CheckLabel("request_id", r.request_id(), limits.max_label_bytes()));
  RETURN_IF_ERROR(CheckLabel("experiment", r.experiment(), limits.max_label_bytes()));
  static const RE2 kLabel("[A-Za-z0-9_.:/-]*");
  if (!RE2::FullMatch(r.experiment(), kLabel)) {
    return Invalid("experiment", "may hold only letters, digits and _ . : / -");
  }
  if (r.answer_format().has_regex() &&
      r.answer_format().regex().pattern().size() > limits.max_pattern_bytes()) {
    return Invalid("answer_format.regex.pattern",
                   absl::StrCat("above the limit of ", limits.max_pattern_bytes(), " bytes"));
  }
  ASSIGN_OR_RETURN(plan.extractor, SharedAnswerExtractor(r.answer_format()));
  if (!r.reference_answer().empty()) {
    auto ref = plan.extractor->NormalizeReference(r.reference_answer());
    if (!ref.ok()) return Invalid("reference_answer", ref.status().message());
    plan.reference = *ref;
  }
  ASSIGN_OR_RETURN(plan.aggregator, CreateAggregator(r.aggregation()));
  ASSIGN_OR_RETURN(plan.stop_rule, CreateStopRule(r.stop()));
  ASSIGN_OR_RETURN(const std::optional<compute::AutoCompute> auto_compute,
                   compute::PlanAutoCompute(r, *messages, limits, compute::PolicyStore::Default()));
  if (auto_compute) {
    plan.stop_rule = std::make_unique<AutoComputeRule>(auto_compute->probe, auto_compute->settled,
                                                       std::move(plan.stop_rule));
  }
  if (r.launch().has_waves()) {
    const v1::LaunchPolicy::Waves& w = r.launch().waves();
    if (w.size() == 0) return Invalid("launch.waves.size", "must be at least 1");
    plan.wave_size = w.size();
    plan.first_wave = w.first() > 0 ? w.first() : w.size();
  } else if (!r.launch().has_all_at_once()) {
    plan.wave_size = plan.first_wave = plan.stop_rule->default_wave_size();
    if (plan.stop_rule->default_first_wave() > 0) {
      plan.first_wave = plan.stop_rule->default_first_wave();
    }
  }
  // One confidence tracker per chain: the rule's window, or the strategy's.
  const uint32_t rule_window = plan.stop_rule->confidence_window();
  if (rule_window > 0 && plan.aggregator->wants_logprobs() &&
      rule_window != plan.aggregator->confidence_window()) {
    return Invalid(absl::StrCat("stop.", plan.stop_rule->name(), ".window_tokens"),
                   absl::StrCat(rule_window, " differs from the aggregation's window_tokens (",
                                plan.aggregator->confidence_window(), "); they must be equal"));
  }
  plan.confidence_window =
      rule_window > 0
          ? rule_window
          : (plan.aggregator->wants_logprobs() ? plan.aggregator->confidence_window() : 0);

  if (r.sampling_size() == 0) return Invalid("sampling", "at least one group is required");
  if (static_cast<uint32_t>(r.sampling_size()) > limits.max_groups()) {
    return Invalid("sampling", absl::StrCat(r.sampling_size(), " groups, above the limit of ",
                                            limits.max_groups()));
  }
  const double max_cost = r.limits().max_cost_usd();
  if (!(max_cost >= 0) || std::isinf(max_cost)) {
    return Invalid("limits.max_cost_usd", "must be a finite number >= 0");
  }
  const double cost_cap =
      std::min(extra_cost_cap, max_cost > 0 ? std::min(max_cost, limits.max_cost_usd_per_request())
                                            : limits.max_cost_usd_per_request());
  const uint32_t chain_cap = r.limits().max_chains() > 0 ? std::min(r.limits().max_chains(),
                                                                    limits.max_chains_per_request())
                                                         : limits.max_chains_per_request();
  const uint64_t prompt_token_bound = prompt_bytes + 8 * messages->size();
  const uint64_t token_cap = r.limits().max_total_tokens();
  // Seeds for chains the request leaves unseeded: one engine per thread, seeded once from the
  // system's entropy (opening std::random_device per request cost ~1% of the server's CPU).
  thread_local std::mt19937_64 seeds = [] {
    std::random_device entropy;
    return std::mt19937_64((static_cast<uint64_t>(entropy()) << 32) ^ entropy());
  }();

  uint64_t total = 0;
  for (int g = 0; g < r.sampling_size(); ++g) {
    const v1::SamplingGroup& group = r.sampling(g);
    const std::string field = absl::StrCat("sampling[", g, "]");
    const std::string backend_name =
        group.backend().empty() ? backends.default_name() : group.backend();
    Backend* backend = backends.Find(backend_name);
    if (backend == nullptr) {
      return Invalid(field + ".backend", absl::StrCat("unknown backend \"", group.backend(),
                                                      "\" (configured: ", backends.Names(), ")"));
    }
    if (group.n() == 0) return Invalid(field + ".n", "must be at least 1");
    total += group.n();
    if (total > chain_cap) {
      return Invalid(field + ".n",
                     absl::StrCat("the plan has ", total, " chains or more, above the ",
                                  r.limits().max_chains() > 0 &&
                                          r.limits().max_chains() < limits.max_chains_per_request()
                                      ? "request's limits.max_chains of "
                                      : "server's limit of ",
                                  chain_cap));
    }
    if (group.model().size() > limits.max_label_bytes()) {
      return Invalid(field + ".model", "too long");
    }
    if (rule_window > 0 && !backend->capabilities().logprobs) {
      return Invalid(field + ".backend", absl::StrCat("stop rule ", plan.stop_rule->name(),
                                                      " needs log-probabilities and backend \"",
                                                      backend_name, "\" gives none"));
    }
    if (group.has_temperature()) {
      if (!(group.temperature() >= 0 && group.temperature() <= 2)) {
        return Invalid(field + ".temperature", "must be in [0, 2]");
      }
      if (!backend->capabilities().temperature) {
        return Invalid(field + ".temperature",
                       absl::StrCat("backend \"", backend_name, "\" does not take a temperature"));
      }
    }
    if (group.has_top_p() && !(group.top_p() > 0 && group.top_p() <= 1)) {
      return Invalid(field + ".top_p", "must be in (0, 1]");
    }
    if (group.max_tokens() > limits.max_tokens_per_chain()) {
      return Invalid(field + ".max_tokens",
                     absl::StrCat("above the limit of ", limits.max_tokens_per_chain()));
    }
    const std::string model =
        group.model().empty() ? std::string(backend->default_model()) : group.model();
    if (auto_compute && auto_compute->thinking_budget.value_or(0) > 0 &&
        backend->capabilities().thinking == ThinkingStyle::kNone) {
      return Invalid("compute.auto.thinking_model",
                     absl::StrCat("the policy turned thinking on and backend \"", backend_name,
                                  "\" (", field, ") has no extended thinking"));
    }
    ASSIGN_OR_RETURN(
        const ChainSizing base,
        SizeChains(compute::WithThinking(
                       group, auto_compute ? auto_compute->thinking_budget : std::nullopt),
                   field, backend_name, *backend, model, limits, prices, prompt_token_bound));
    // The auto policy's chains after the probe may think longer.
    ChainSizing escalated = base;
    if (auto_compute && auto_compute->escalate_thinking_budget > 0) {
      auto z = SizeChains(compute::WithThinking(group, auto_compute->escalate_thinking_budget),
                          field, backend_name, *backend, model, limits, prices, prompt_token_bound);
      if (!z.ok()) return Invalid("compute.auto.escalate_thinking_budget", z.status().message());
      escalated = *z;
    }
    for (uint32_t i = 0; i < group.n(); ++i) {
      const ChainSizing& z =
          auto_compute && plan.chains.size() >= auto_compute->probe ? escalated : base;
      const uint64_t worst_tokens = z.worst_tokens;
      const double worst = z.worst_usd;
      ++plan.planned;
      if (plan.reserved_usd + worst > cost_cap ||
          (token_cap > 0 && plan.reserved_tokens + worst_tokens > token_cap)) {
        ++plan.dropped_for_budget;
        continue;
      }
      PlannedChain c;
      c.spec.index = static_cast<uint32_t>(plan.chains.size());
      c.spec.group = static_cast<uint32_t>(g);
      c.spec.model = model;
      c.spec.messages = messages;
      if (group.has_temperature()) c.spec.temperature = group.temperature();
      if (group.has_top_p()) c.spec.top_p = group.top_p();
      c.spec.max_tokens = z.max_tokens;
      c.spec.thinking_budget = z.thinking.budget;
      c.spec.reasoning_effort = z.thinking.effort;
      c.spec.seed = group.has_seed() ? group.seed() + i : seeds();
      c.spec.top_logprobs = plan.confidence_window > 0 && backend->capabilities().logprobs ? 5 : 0;
      c.backend = backend;
      c.backend_name = backend_name;
      c.reserved_usd = worst;
      plan.reserved_usd += worst;
      plan.reserved_tokens += worst_tokens;
      plan.chains.push_back(std::move(c));
    }
  }
  uint64_t question_bytes = 0;
  for (const ChatMessage& m : *messages) question_bytes += m.content.size() + 2;
  if (const VerifySettings* v = plan.aggregator->verify_settings()) {
    const CallSettings calls{"aggregation.verifier",
                             "a verifier call",
                             v->backend,
                             v->model,
                             v->max_tokens,
                             v->max_candidates,
                             MaxVerifyPromptBytes(question_bytes, v->evidence_bytes)};
    ASSIGN_OR_RETURN(plan.verify, PlanSelectionCalls(calls, backends, limits, prices, cost_cap,
                                                     token_cap, plan));
    plan.verify->evidence_bytes = v->evidence_bytes;
  }
  if (const UscSettings* u = plan.aggregator->usc_settings()) {
    const CallSettings calls{
        "aggregation.usc",
        "the selector call",
        u->backend,
        u->model,
        u->max_tokens,
        1,
        MaxUscPromptBytes(question_bytes, u->max_responses, u->response_bytes)};
    ASSIGN_OR_RETURN(
        plan.usc, PlanSelectionCalls(calls, backends, limits, prices, cost_cap, token_cap, plan));
    plan.usc->max_responses = u->max_responses;
    plan.usc->response_bytes = u->response_bytes;
  }
  plan.auto_compute = auto_compute;
  plan.min_ok_chains = std::max<uint32_t>(1, r.limits().min_ok_chains());
  if (plan.min_ok_chains > plan.planned) {
    return Invalid("limits.min_ok_chains",
                   absl::StrCat(r.limits().min_ok_chains(), " is more than the ", plan.planned,
                                " chains the request plans"));
  }
  if (plan.chains.size() < plan.min_ok_chains) {
    return absl::ResourceExhaustedError(
        absl::StrCat("limits: ",
                     plan.chains.empty() ? "not even one chain fits"
                                         : absl::StrCat("only ", plan.chains.size(), " chains fit"),
                     " the cost cap of $", absl::StrFormat("%.4f", cost_cap),
                     token_cap > 0 ? absl::StrCat(" and the token cap of ", token_cap) : "",
                     " (worst case per chain: prompt bytes as tokens plus max_tokens)",
                     plan.min_ok_chains > 1
                         ? absl::StrCat("; the quorum limits.min_ok_chains is ", plan.min_ok_chains)
                         : ""));
  }
  return plan;
}

}  // namespace ptc
