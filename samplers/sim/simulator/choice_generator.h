// One choice of a simulated chat completion, written piece by piece as an OpenAI-compatible
// server reports it: text, token counts and per-token log-probabilities with their tokens.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "samplers/sim/sim_model.h"

namespace ptc::sim {

struct TokenLogprob {
  std::string token;
  float logprob = 0;
  // The most likely tokens at this position, most likely first (the sampled token leads).
  std::vector<std::pair<std::string, float>> top;
};

struct Piece {
  std::string text;
  uint32_t tokens = 0;
  std::vector<TokenLogprob> logprobs;  // one per token, when log-probabilities were asked for
  bool closing = false;                // the closing text (maybe empty): the choice is complete
};

class ChoiceGenerator {
 public:
  // top_k: log-probabilities drawn per token, 0 for none (as SimBackend does with
  // ChainSpec::top_logprobs; the text depends on whether it is 0). reported_top: how many of
  // them to report as alternatives per token (<= top_k).
  ChoiceGenerator(const ChainPlan& plan, uint32_t top_k, uint32_t reported_top);

  // The next piece: up to max_tokens body tokens, then the closing text. False once complete.
  bool Next(uint32_t max_tokens, Piece* piece);

  bool done() const { return done_; }
  uint32_t tokens() const { return tokens_; }  // completion tokens so far
  const ChainPlan& plan() const { return plan_; }
  const char* finish_reason() const { return plan_.truncated ? "length" : "stop"; }

 private:
  void AddLogprobs(const std::vector<std::string>& tokens, const float* logprobs, const float* top,
                   std::vector<TokenLogprob>* out) const;

  const ChainPlan plan_;
  const uint32_t top_k_;
  const uint32_t reported_top_;
  ChainTextGenerator gen_;
  uint32_t tokens_ = 0;
  bool done_ = false;
  std::vector<float> logprobs_, top_logprobs_;
};

// Splits generated text into its tokens: a leading "\n\n" is one token, then one token per word
// with its leading space.
std::vector<std::string> SplitTokens(const std::string& text);

}  // namespace ptc::sim
