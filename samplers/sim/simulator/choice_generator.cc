#include "samplers/sim/simulator/choice_generator.h"

#include <algorithm>
#include <string_view>

namespace ptc::sim {
namespace {

// Stand-ins for the tokens the simulated model did not pick.
constexpr std::string_view kAlternatives[] = {
    "the", "a",  "this", "that", "so",  "and", "we", "it", "which", "then", "now",
    "one", "of", "to",   "in",   "for", "as",  "is", "be", "with",  "its",  "not",
};

}  // namespace

std::vector<std::string> SplitTokens(const std::string& text) {
  std::vector<std::string> out;
  std::string_view rest = text;
  if (rest.starts_with("\n\n")) {
    out.emplace_back("\n\n");
    rest.remove_prefix(2);
  }
  size_t start = 0;
  for (size_t i = 1; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == ' ') {
      out.emplace_back(rest.substr(start, i - start));
      start = i;
    }
  }
  return out;
}

ChoiceGenerator::ChoiceGenerator(const ChainPlan& plan, uint32_t top_k, uint32_t reported_top)
    : plan_(plan), top_k_(top_k), reported_top_(std::min(reported_top, top_k)), gen_(plan, top_k) {}

bool ChoiceGenerator::Next(uint32_t max_tokens, Piece* piece) {
  *piece = Piece();
  if (done_) return false;
  logprobs_.clear();
  top_logprobs_.clear();
  const uint32_t n =
      gen_.NextBody(std::max(max_tokens, 1u), &piece->text, &logprobs_, &top_logprobs_);
  if (n > 0) {
    piece->tokens = n;
    tokens_ += n;
    if (top_k_ > 0 && logprobs_.size() == n && top_logprobs_.size() == size_t{n} * top_k_) {
      std::vector<std::string> tokens = SplitTokens(piece->text);
      if (tokens.size() != n) {  // never expected: keep one entry per token regardless
        tokens.assign(n, "");
        tokens[0] = piece->text;
      }
      AddLogprobs(tokens, logprobs_.data(), top_logprobs_.data(), &piece->logprobs);
    }
    return true;
  }
  uint32_t closing_tokens = 0;
  piece->text = gen_.Closing(&closing_tokens);
  piece->tokens = closing_tokens;
  piece->closing = true;
  tokens_ += closing_tokens;
  done_ = true;
  if (top_k_ > 0 && !piece->text.empty()) {
    // The closing has no drawn log-probabilities: use the chain's confidence level, noise-free.
    const std::vector<std::string> tokens = SplitTokens(piece->text);
    std::vector<float> top;
    for (uint32_t j = 1; j <= top_k_; ++j) {
      top.push_back(static_cast<float>(-plan_.confidence * 2.0 * j / (top_k_ + 1)));
    }
    for (const std::string& t : tokens) {
      AddLogprobs({t}, top.data(), top.data(), &piece->logprobs);
    }
  }
  return true;
}

void ChoiceGenerator::AddLogprobs(const std::vector<std::string>& tokens, const float* logprobs,
                                  const float* top, std::vector<TokenLogprob>* out) const {
  for (size_t t = 0; t < tokens.size(); ++t) {
    TokenLogprob lp;
    lp.token = tokens[t];
    lp.logprob = logprobs[t];
    if (reported_top_ > 0) {
      lp.top.emplace_back(lp.token, top[t * top_k_]);
      const std::string_view prefix = lp.token.starts_with(' ') ? " " : "";
      for (size_t a = 0; lp.top.size() < reported_top_ && a < std::size(kAlternatives); ++a) {
        std::string alt = std::string(prefix) + std::string(kAlternatives[a]);
        if (alt == lp.token) continue;
        const float value = top[t * top_k_ + lp.top.size()];
        lp.top.emplace_back(std::move(alt), value);
      }
    }
    out->push_back(std::move(lp));
  }
}

}  // namespace ptc::sim
