// The simulated reasoning model: deterministic for a seed, calibrated like a real model on
// GPQA-style multiple-choice questions.
//
// For each question of its dataset the model draws latent parameters once (from the config seed):
// a probability p of answering correctly from Beta(a, b) with a / (a + b) = target_accuracy and
// a + b = concentration (stratified: the questions get the prior's quantiles in a seeded order,
// so the dataset's mean p is the target), and a distribution over the wrong answers from
// Dirichlet(wrong_concentration). A chain answers correctly with probability p, else
// picks a wrong answer from that distribution; so majority vote converges to the mode of the
// question's answer distribution, saturates, and hurts when one wrong answer dominates (see
// ../shared/REFERENCE.md). Wrong answers are keyed by content, so shuffling the choices does not
// change the latent distribution.
//
// A prompt is matched to its question by the question text; the letters are read from the
// "X) choice" lines of the prompt. A prompt that matches no question is answered uniformly at
// random among the letters it shows (A-D if none).
//
// Log-probabilities carry a confidence signal shaped like DeepConf's observation (Fu et al. 2025):
// wrong chains tend to have a low-confidence stretch that the chain's mean hides. A chain's token
// confidence C (-mean of its top-k log-probabilities) is its level, 2 + N(0, 0.25) (shifted by
// +-0.05 * confidence_gap for correct / wrong chains), plus N(0, 0.6) per token, minus a dip over a
// stretch of 10-20% of its body tokens at a random place. A wrong chain has the stretch with
// probability 0.8, depth 1.5 * gap * U(0.5, 1.5); a correct one with probability 0.4, depth
// 1.5 * gap * U(0.3, 1). So the lowest group confidence over a window shorter than the stretch
// separates correct from wrong chains (AUC about 0.77 at the default gap 0.6, with a 64-token
// window on 600-token chains), better than the mean (about 0.63). With confidence_gap = 0 (set
// it to a tiny value: 0 in the config means the default) there is no signal. The stretch is drawn
// from its own generator, so text and answers do not depend on it.
//
// Thread-safe: immutable after Create.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mcq_dataset.h"
#include "ptc/v1/backends/sim.pb.h"
#include "samplers/chain.h"

namespace ptc::sim {

// The config with every default filled in.
v1::SimBackendConfig WithDefaults(const v1::SimBackendConfig& config);

struct LatentParams {
  double p_correct = 0;
  std::vector<double> wrong;  // over McqQuestion::incorrect_answers; sums to 1
};

// What a prompt is asking, as far as the model can tell.
struct PromptMatch {
  int question = -1;    // index into questions(), or -1 when unknown
  std::string letters;  // the letters shown, in order
  // For each letter, -1 for the correct answer, else the index into incorrect_answers; empty
  // when the question is unknown.
  std::vector<int> choice_source;
  uint64_t prompt_hash = 0;
};

// One chain as the model will produce it, decided up front from the seed.
struct ChainPlan {
  bool fail = false;      // the chain errors out after its first token delay
  bool parseable = true;  // ends with "Answer: X"
  bool correct = false;   // only meaningful when the question is known
  char letter = 'A';
  bool thinking = false;     // reasoning goes to ChainResult::reasoning
  uint32_t body_tokens = 0;  // chain-of-thought tokens (reasoning when thinking)
  bool truncated = false;    // hit max_tokens: no answer line, finish_reason "length"
  uint64_t prompt_tokens = 0;
  double ttft_s = 0;
  double token_interval_s = 0;
  double confidence = 0;   // the chain's token confidence level outside its low stretch
  uint64_t text_seed = 0;  // seeds the text and logprob generator
  // A low-confidence stretch of body tokens [dip_start, dip_start + dip_tokens) where token
  // confidence drops by dip_depth (see Plan); dip_tokens = 0 for none.
  uint32_t dip_start = 0;
  uint32_t dip_tokens = 0;
  double dip_depth = 0;
};

class SimModel {
 public:
  static absl::StatusOr<std::shared_ptr<const SimModel>> Create(const v1::SimBackendConfig& config);

  const v1::SimBackendConfig& config() const { return config_; }
  const std::vector<McqQuestion>& questions() const { return questions_; }
  const LatentParams& params(int question) const { return params_[question]; }

  PromptMatch Match(const std::vector<ChatMessage>& messages) const;
  ChainPlan Plan(const PromptMatch& match, const ChainSpec& spec) const;

 private:
  SimModel() = default;

  v1::SimBackendConfig config_;
  std::vector<McqQuestion> questions_;
  std::vector<LatentParams> params_;
};

// Writes a plan's text a chunk at a time, with per-token log-probabilities.
class ChainTextGenerator {
 public:
  ChainTextGenerator(const ChainPlan& plan, uint32_t top_k);

  // Appends up to `tokens` body tokens to *text; fills logprobs (one per token) and top_logprobs
  // (top_k per token) when top_k > 0. Returns how many were written (0 once the body is done).
  uint32_t NextBody(uint32_t tokens, std::string* text, std::vector<float>* logprobs,
                    std::vector<float>* top_logprobs);
  // The closing text after the body: "\n\nAnswer: X" (or a non-answer), and its token count.
  std::string Closing(uint32_t* tokens) const;
  // The mean token confidence so far; 0 when top_k is 0 (no logprobs asked for).
  double MeanConfidence() const;

 private:
  const ChainPlan plan_;
  const uint32_t top_k_;
  std::mt19937_64 rng_;
  uint32_t written_ = 0;
  double confidence_sum_ = 0;
  std::string_view sentence_;  // the sentence being written, and where its next word starts
  size_t word_pos_ = 0;
};

uint64_t Fnv1a(std::string_view s);
uint64_t MixSeed(uint64_t a, uint64_t b);

}  // namespace ptc::sim
