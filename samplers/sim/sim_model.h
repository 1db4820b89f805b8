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
// Extended thinking (ChainSpec::thinking_budget B > 0) helps on multiple choice: a known
// question's p becomes p + (1 - p) * thinking_gain * (1 - exp(-B / thinking_scale)) (defaults
// 0.35 and 2048 tokens: at B = 4096 a question's gap to certainty shrinks by 30%). It costs: the
// reasoning runs min(B, L) tokens with L = (0.5 * B + 0.5 * mean_completion_tokens) times a
// mean-one log-normal factor (sigma 0.45), then the visible text is a short answer of about
// kThinkingAnswerTokens words before the "Answer: X" line. The reasoning length and the
// answer's length are drawn from their own generator, so with B = 0 every draw is as it was
// without thinking; with B > 0 the other draws (fail, unparseable, the answer's uniform, the
// nominal length, timing, confidence, text seed) are the same as with B = 0.
//
// Instruction items (McqQuestion::Kind::kInstruction; IFEval-style, graded by checking their
// constraints, aggregators/extract/constraints.h), where thinking hurts: a prompt is matched to
// the item by its instruction text. Per item and constraint the model draws (from the config
// seed and the item's id) a compliance probability from Beta with mean instruction_compliance
// (0.9) and alpha + beta = compliance_concentration (10); with thinking each is multiplied by
// 1 - thinking_harm * (1 - exp(-B / thinking_scale)) (thinking_harm 0.3). A chain decides per
// constraint whether it complies, then writes a response from the chain-of-thought sentences
// (about 60 words) built to satisfy exactly the constraints it complies with: breaking
// lowercase capitalises words, breaking max_words / min_words writes 1 to 8 words past the
// limit, breaking end_with / start_with ends or starts with other words, breaking no_commas
// keeps a comma, breaking include_keyword leaves the word out. The response is the whole visible
// text (no answer line; unparseable_rate does not apply); without thinking there is no
// chain of thought, with thinking the reasoning is as for a question. Constraints that
// contradict each other (start_with "Dear Sir" and lowercase, max_words below min_words, a
// phrase with a comma and no_commas, a phrase holding the banned keyword) cannot all be honoured:
// the response then follows the plan as far as it can, and datasets should avoid them.
//
// As a verifier: a prompt with the markers of aggregators/verifier/verify_prompt.h ("=== Question
// ===", "=== Proposed answer ===", each with its end line) is a request to grade the proposed
// answer. The question part is matched as above; the proposed answer is correct when it is the
// letter of the correct choice. The reply is a chain of verify_completion_tokens (mean) ending in
// "Score: P" with P = Phi(x), x ~ N(+d/2, 1) for a correct candidate and N(-d/2, 1) for a wrong
// one, d = sqrt(2) Phi^-1(AUC), so that a correct candidate outscores a wrong one with
// probability AUC (verifier_auc, or "auc=X" in the model name); x ~ N(0, 1) when the question or
// the answer is not recognised. The draw is seeded by the config seed, the question, the
// candidate and the call's seed, and independent of the question's difficulty. Failures and
// unparseable replies happen at the configured rates, as for any chain.
//
// As a universal self-consistency selector: a prompt with the numbered response markers of
// aggregators/usc/usc_prompt.h ("=== Response k ===", each with its end line) asks which
// response is most consistent with the others. The model reads each response's answer (the rest
// of the line after its last "Answer:", trimmed, '*' stripped, ASCII lower-cased; none when
// absent) and picks the first response whose answer is the most frequent (ties: the answer seen
// first), as a majority vote over the responses shown would; with probability
// SelectorErrorRate ("err=X" in the model name, X in [0, 1]; default 0) it picks instead,
// uniformly, one of the responses with another answer (when there is one). The reply is a chain
// of verify_completion_tokens (mean) ending in "Answer: Response k". The draw is seeded by the
// config seed, the prompt and the call's seed.
//
// Thread-safe: immutable after Create.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
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

// Mean words of the visible answer after a thinking chain's reasoning.
inline constexpr double kThinkingAnswerTokens = 40;
// Mean words of an instruction item's response, before its word-count constraints.
inline constexpr double kInstructionResponseWords = 60;

struct LatentParams {
  double p_correct = 0;
  std::vector<double> wrong;  // over McqQuestion::incorrect_answers; sums to 1
  // An instruction item: the probability of complying with each of its constraints, without
  // thinking.
  std::vector<double> comply;
};

// An instruction item's response: words of the chain-of-thought sentences arranged to comply
// with exactly the constraints marked in `comply` (see the header comment).
std::string InstructionResponse(const std::vector<InstructionConstraint>& constraints,
                                const std::vector<bool>& comply, std::mt19937_64& rng);

// The config below must have its defaults filled in (WithDefaults).
// The probability of a correct answer with thinking budget B (B = 0: p unchanged).
double ThinkingAccuracy(const v1::SimBackendConfig& config, double p, uint32_t thinking_budget);
// The compliance probability with thinking budget B (B = 0: p unchanged).
double ThinkingCompliance(const v1::SimBackendConfig& config, double p, uint32_t thinking_budget);

// What a prompt is asking, as far as the model can tell.
struct PromptMatch {
  int question = -1;    // index into questions(), or -1 when unknown
  std::string letters;  // the letters shown, in order
  // For each letter, -1 for the correct answer, else the index into incorrect_answers; empty
  // when the question is unknown.
  std::vector<int> choice_source;
  uint64_t prompt_hash = 0;
  // A verifier prompt: the question is the one matched above, `candidate` the proposed answer
  // and `candidate_correct` whether it is right (empty when that is not known).
  bool verify = false;
  std::string candidate;
  std::optional<bool> candidate_correct;
  // A usc selector prompt: each response's answer as read (empty when it has none), in order.
  bool usc = false;
  std::vector<std::string> response_answers;
};

// One chain as the model will produce it, decided up front from the seed.
struct ChainPlan {
  bool fail = false;      // the chain errors out after its first token delay
  bool parseable = true;  // ends with "Answer: X"
  bool correct = false;   // only meaningful when the question is known (an instruction item:
                          // every constraint complied with)
  char letter = 'A';
  // An instruction item: its constraints and, for each, whether the response complies.
  bool instruction = false;
  std::vector<InstructionConstraint> constraints;
  std::vector<bool> comply;
  std::string response;  // the whole visible text (cut to max_tokens when truncated)
  // Words of the visible answer before the answer line (thinking chains; 0 otherwise).
  uint32_t answer_tokens = 0;
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
  bool verify = false;        // a verifier reply: ends "Score: <score>" instead of an answer
  double score = 0;           // in (0, 1)
  uint32_t usc_response = 0;  // a usc selector reply: ends "Answer: Response <k>" (1-based)
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
  PromptMatch MatchQuestion(std::string_view text) const;

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
  // The closing text after the body: "\n\nAnswer: X" (or a non-answer), after a thinking
  // chain's reasoning its short visible answer and "\n\nAnswer: X", for an instruction item the
  // whole response; and its token count.
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

// The verifier AUC of a call: "auc=X" in the model name when X is in (0, 1), else the config's.
double VerifierAuc(const v1::SimBackendConfig& config, std::string_view model);

// The usc selector's error rate of a call: "err=X" in the model name when X is in [0, 1], else 0.
double SelectorErrorRate(std::string_view model);

}  // namespace ptc::sim
