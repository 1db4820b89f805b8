#include "samplers/sim/simulator/completion_run.h"

#include <algorithm>
#include <limits>

namespace ptc::sim {

CompletionRun::CompletionRun(const SimModel& model, ChatRequest request, CompletionHeader header,
                             uint64_t random_seed)
    : request_(std::move(request)),
      header_(std::move(header)),
      chunk_tokens_(std::max(model.config().stream_chunk_tokens(), 1u)) {
  // As SimBackend: ChainSpec::top_logprobs is the top-k the model draws; logprobs without
  // top_logprobs report the sampled token only, drawn with the configured top-k.
  const uint32_t top_k =
      !request_.logprobs ? 0
                         : (request_.top_logprobs > 0
                                ? request_.top_logprobs
                                : std::clamp(model.config().top_logprobs(), 1u, kMaxTopLogprobs));
  const PromptMatch match = model.Match(*request_.messages);
  const uint64_t base = request_.seed ? static_cast<uint64_t>(*request_.seed) : random_seed;
  choices_.reserve(request_.n);
  for (uint32_t i = 0; i < request_.n; ++i) {
    ChainSpec spec;
    spec.index = i;
    spec.model = header_.model;
    spec.messages = request_.messages;
    spec.temperature = request_.temperature;
    spec.top_p = request_.top_p;
    spec.max_tokens = request_.max_tokens;
    spec.seed = base + i;
    spec.top_logprobs = top_k;
    const ChainPlan plan = model.Plan(match, spec);
    if (plan.fail) {
      failure_after_s_ = std::min(failure_after_s_.value_or(plan.ttft_s), plan.ttft_s);
    }
    choices_.push_back(Choice{ChoiceGenerator(plan, top_k, request_.top_logprobs), plan.ttft_s});
  }
}

Usage CompletionRun::usage() const {
  Usage u;
  if (!choices_.empty()) u.prompt = choices_[0].gen.plan().prompt_tokens;
  for (const Choice& c : choices_) u.completion += c.gen.tokens();
  return u;
}

double CompletionRun::latency_s() const {
  double latency = 0;
  for (const Choice& c : choices_) {
    const ChainPlan& p = c.gen.plan();
    latency = std::max(latency, p.ttft_s + p.body_tokens * p.token_interval_s);
  }
  return latency;
}

std::string CompletionRun::ResponseBody() {
  std::vector<ChoiceOutput> outputs;
  outputs.reserve(choices_.size());
  for (Choice& c : choices_) {
    ChoiceOutput out;
    Piece piece;
    while (c.gen.Next(std::numeric_limits<uint32_t>::max(), &piece)) {
      out.text += piece.text;
      for (TokenLogprob& lp : piece.logprobs) out.logprobs.push_back(std::move(lp));
    }
    out.finish_reason = c.gen.finish_reason();
    outputs.push_back(std::move(out));
  }
  return CompletionBody(header_, outputs, request_.logprobs, usage());
}

std::optional<double> CompletionRun::next_event_s() const {
  if (stream_done_) return std::nullopt;
  double next = std::numeric_limits<double>::infinity();
  for (const Choice& c : choices_) {
    if (!c.gen.done()) next = std::min(next, c.next_s);
  }
  return next == std::numeric_limits<double>::infinity() ? 0.0 : next;  // 0: only the end left
}

void CompletionRun::AppendDueEvents(double elapsed_s, std::string* out) {
  auto event = [out](const std::string& data) {
    out->append("data: ").append(data).append("\n\n");
  };
  while (!stream_done_) {
    Choice* next = nullptr;
    for (Choice& c : choices_) {
      if (!c.gen.done() && (next == nullptr || c.next_s < next->next_s)) next = &c;
    }
    if (next == nullptr) {
      if (request_.include_usage) event(UsageChunkBody(header_, usage()));
      out->append("data: [DONE]\n\n");
      stream_done_ = true;
      break;
    }
    if (next->next_s > elapsed_s) break;
    const uint32_t index = static_cast<uint32_t>(next - choices_.data());
    Piece piece;
    next->gen.Next(chunk_tokens_, &piece);
    const std::vector<TokenLogprob>* logprobs = request_.logprobs ? &piece.logprobs : nullptr;
    if (!piece.text.empty()) {
      event(ChunkBody(header_, index, !next->role_sent, &piece.text, logprobs, nullptr));
      next->role_sent = true;
    }
    if (piece.closing) {
      event(
          ChunkBody(header_, index, !next->role_sent, nullptr, nullptr, next->gen.finish_reason()));
      next->role_sent = true;
    } else {
      next->next_s += piece.tokens * next->gen.plan().token_interval_s;
    }
  }
}

}  // namespace ptc::sim
