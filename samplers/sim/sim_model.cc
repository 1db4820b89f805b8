#include "samplers/sim/sim_model.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace ptc::sim {
namespace {

// Beta(a, b) from two gamma draws.
double SampleBeta(double a, double b, std::mt19937_64& rng) {
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  double x = ga(rng), y = gb(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

std::vector<double> SampleDirichlet(size_t k, double alpha, std::mt19937_64& rng) {
  std::gamma_distribution<double> g(alpha, 1.0);
  std::vector<double> v(k);
  double sum = 0;
  for (auto& x : v) sum += (x = g(rng));
  for (auto& x : v) x = sum > 0 ? x / sum : 1.0 / k;
  return v;
}

double Uniform(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0, 1)(rng); }

// A mean-preserving log-normal multiplier.
double LogNormalFactor(double sigma, std::mt19937_64& rng) {
  return std::lognormal_distribution<double>(-sigma * sigma / 2, sigma)(rng);
}

// Fragments of chain-of-thought text; one word is one token in the simulated tokenizer.
constexpr std::string_view kSentences[] = {
    "Let me restate what the question is asking before computing anything.",
    "The key quantity here depends on the ratio of the two given parameters.",
    "First I will write down the governing relation and check its units.",
    "Substituting the numbers gives an intermediate value that looks reasonable.",
    "I should double check whether a factor of two was dropped along the way.",
    "Considering the boundary conditions rules out one of the naive readings.",
    "This is consistent with the order of magnitude expected for such a system.",
    "Now compare each option against the derived expression.",
    "One option matches the magnitude but has the wrong dependence on the parameter.",
    "Another option would follow if the square had been forgotten.",
    "Wait, the sign convention matters here, so let me redo that step carefully.",
    "Using conservation arguments gives the same result by a second route.",
    "The limiting case where the parameter goes to zero behaves correctly.",
    "Converting units carefully, the result is expressed in the requested form.",
    "Hmm, that contradicts the earlier estimate, so one assumption must be wrong.",
    "Re-examining the setup, the earlier assumption about equilibrium holds.",
    "The mechanism proceeds through the more stable intermediate.",
    "Counting the distinct environments gives the expected number of signals.",
    "The cross produces the ratios predicted by independent assortment.",
    "So the remaining candidates differ only in a numerical prefactor.",
};

constexpr char kAnswerMarker[] = "Answer: ";

std::string UserText(const std::vector<ChatMessage>& messages) {
  std::string all;
  for (const auto& m : messages) {
    if (m.role == ChatMessage::Role::kUser) absl::StrAppend(&all, m.content, "\n");
  }
  return all;
}

}  // namespace

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t MixSeed(uint64_t a, uint64_t b) {
  // splitmix64 of a combined value: well spread for nearby inputs.
  uint64_t z = a + 0x9e3779b97f4a7c15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

v1::SimBackendConfig WithDefaults(const v1::SimBackendConfig& in) {
  v1::SimBackendConfig c = in;
  if (c.dataset().empty()) c.set_dataset(DefaultSampleDatasetPath());
  if (c.default_model().empty()) c.set_default_model("sim-reasoner");
  if (c.seed() == 0) c.set_seed(1);
  if (c.target_accuracy() == 0) c.set_target_accuracy(0.782);
  if (c.concentration() == 0) c.set_concentration(1.0);
  if (c.wrong_concentration() == 0) c.set_wrong_concentration(0.3);
  if (c.unparseable_rate() == 0) c.set_unparseable_rate(0.01);
  if (c.confidence_gap() == 0) c.set_confidence_gap(0.6);
  if (c.mean_completion_tokens() == 0) c.set_mean_completion_tokens(600);
  if (c.time_to_first_token_s() == 0) c.set_time_to_first_token_s(0.05);
  if (c.tokens_per_second() == 0) c.set_tokens_per_second(8000);
  if (c.stream_chunk_tokens() == 0) c.set_stream_chunk_tokens(32);
  if (c.top_logprobs() == 0) c.set_top_logprobs(5);
  return c;
}

namespace {

absl::Status Validate(const v1::SimBackendConfig& c) {
  auto bad = [](absl::string_view field, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("SimBackendConfig.", field, ": ", why));
  };
  if (c.dataset().empty()) return bad("dataset", "empty and the bundled sample was not found");
  if (!(c.target_accuracy() > 0 && c.target_accuracy() < 1)) {
    return bad("target_accuracy", "must be in (0, 1)");
  }
  if (!(c.concentration() > 0)) return bad("concentration", "must be > 0");
  if (!(c.wrong_concentration() > 0)) return bad("wrong_concentration", "must be > 0");
  if (c.unparseable_rate() < 0 || c.unparseable_rate() > 1) {
    return bad("unparseable_rate", "must be in [0, 1]");
  }
  if (c.failure_rate() < 0 || c.failure_rate() > 1) return bad("failure_rate", "must be in [0, 1]");
  if (c.confidence_gap() < 0 || c.confidence_gap() > 4) {
    return bad("confidence_gap", "must be in [0, 4]");
  }
  if (c.time_to_first_token_s() < 0 || c.time_to_first_token_s() > 600) {
    return bad("time_to_first_token_s", "must be in [0, 600]");
  }
  if (!(c.tokens_per_second() > 0)) return bad("tokens_per_second", "must be > 0");
  if (c.mean_completion_tokens() > 1000000) return bad("mean_completion_tokens", "above 1000000");
  if (c.top_logprobs() > 20) return bad("top_logprobs", "must be at most 20");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SimModel>> SimModel::Create(
    const v1::SimBackendConfig& config) {
  auto model = std::shared_ptr<SimModel>(new SimModel());
  model->config_ = WithDefaults(config);
  RETURN_IF_ERROR(Validate(model->config_));
  ASSIGN_OR_RETURN(model->questions_, LoadMcqJsonl(model->config_.dataset()));
  // Stratified draws: p_correct takes the quantiles of the Beta prior (estimated from many
  // seeded draws), dealt to the questions in a seeded order, so that a dataset's mean difficulty
  // matches target_accuracy rather than straying by the luck of a few hundred draws.
  const double acc = model->config_.target_accuracy();
  const double kappa = model->config_.concentration();
  const size_t q = model->questions_.size();
  constexpr size_t kPerStratum = 64;
  std::mt19937_64 prior_rng(MixSeed(model->config_.seed(), 0x5eed));
  std::vector<double> draws(q * kPerStratum);
  for (double& d : draws) d = SampleBeta(acc * kappa, (1 - acc) * kappa, prior_rng);
  std::sort(draws.begin(), draws.end());
  std::vector<size_t> order(q);
  for (size_t i = 0; i < q; ++i) order[i] = i;
  for (size_t i = q; i > 1; --i) std::swap(order[i - 1], order[prior_rng() % i]);
  model->params_.resize(q);
  for (size_t i = 0; i < q; ++i) {
    double mean = 0;  // the stratum's mean: its share of the prior
    for (size_t k = 0; k < kPerStratum; ++k) mean += draws[i * kPerStratum + k];
    LatentParams& p = model->params_[order[i]];
    p.p_correct = mean / kPerStratum;
    std::mt19937_64 rng(MixSeed(model->config_.seed(), Fnv1a(model->questions_[order[i]].id)));
    p.wrong = SampleDirichlet(model->questions_[order[i]].incorrect_answers.size(),
                              model->config_.wrong_concentration(), rng);
  }
  return std::shared_ptr<const SimModel>(std::move(model));
}

PromptMatch SimModel::Match(const std::vector<ChatMessage>& messages) const {
  PromptMatch m;
  const std::string text = UserText(messages);
  m.prompt_hash = Fnv1a(text);
  std::vector<absl::string_view> choice_texts;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.size() >= 3 && line[0] >= 'A' && line[0] <= 'Z' && line[1] == ')' && line[2] == ' ') {
      m.letters.push_back(line[0]);
      choice_texts.push_back(absl::StripAsciiWhitespace(line.substr(3)));
    }
  }
  if (m.letters.empty()) m.letters = "ABCD";
  for (size_t qi = 0; qi < questions_.size(); ++qi) {
    const McqQuestion& q = questions_[qi];
    if (text.find(q.question) == std::string::npos) continue;
    if (choice_texts.size() != q.incorrect_answers.size() + 1) continue;
    std::vector<int> source;
    for (absl::string_view c : choice_texts) {
      int s = -2;
      if (c == absl::string_view(q.correct_answer)) s = -1;
      for (size_t i = 0; i < q.incorrect_answers.size() && s == -2; ++i) {
        if (c == absl::string_view(q.incorrect_answers[i])) s = static_cast<int>(i);
      }
      if (s == -2) break;
      source.push_back(s);
    }
    if (source.size() != choice_texts.size()) continue;
    m.question = static_cast<int>(qi);
    m.choice_source = std::move(source);
    break;
  }
  return m;
}

ChainPlan SimModel::Plan(const PromptMatch& match, const ChainSpec& spec) const {
  const v1::SimBackendConfig& c = config_;
  const uint64_t key =
      match.question >= 0 ? Fnv1a(questions_[match.question].id) : match.prompt_hash;
  std::mt19937_64 rng(MixSeed(MixSeed(c.seed(), key), spec.seed));
  ChainPlan plan;
  plan.fail = Uniform(rng) < c.failure_rate();
  plan.parseable = Uniform(rng) >= c.unparseable_rate();

  if (match.question >= 0) {
    const LatentParams& lp = params_[match.question];
    // Probability of each shown letter.
    std::vector<double> prob(match.letters.size());
    for (size_t i = 0; i < prob.size(); ++i) {
      int s = match.choice_source[i];
      prob[i] = s < 0 ? lp.p_correct : (1 - lp.p_correct) * lp.wrong[s];
    }
    size_t pick = 0;
    if (spec.temperature.has_value() && *spec.temperature == 0) {
      pick = std::max_element(prob.begin(), prob.end()) - prob.begin();  // greedy: the mode
    } else {
      double u = Uniform(rng), acc = 0;
      pick = prob.size() - 1;
      for (size_t i = 0; i < prob.size(); ++i) {
        acc += prob[i];
        if (u < acc) {
          pick = i;
          break;
        }
      }
    }
    plan.letter = match.letters[pick];
    plan.correct = match.choice_source[pick] < 0;
  } else {
    plan.letter = match.letters[rng() % match.letters.size()];
  }

  const double mean_tokens = std::max<double>(c.mean_completion_tokens(), 1);
  plan.body_tokens =
      static_cast<uint32_t>(std::max(8.0, std::round(mean_tokens * LogNormalFactor(0.45, rng))));
  plan.thinking = spec.thinking_budget > 0;
  const uint32_t closing_reserve = 8;
  if (plan.thinking) {
    plan.body_tokens = std::min(plan.body_tokens, spec.thinking_budget);
  }
  if (spec.max_tokens > 0 && plan.body_tokens + closing_reserve > spec.max_tokens) {
    plan.body_tokens = spec.max_tokens;
    plan.truncated = true;
    plan.parseable = false;
  }
  uint64_t prompt_bytes = 0;
  for (const auto& m : *spec.messages) prompt_bytes += m.content.size() + 16;
  plan.prompt_tokens = (prompt_bytes + 3) / 4;
  plan.ttft_s = c.time_to_first_token_s() * LogNormalFactor(0.3, rng);
  plan.token_interval_s = 1.0 / c.tokens_per_second();
  std::normal_distribution<double> noise(0, 0.25);
  const double gap = c.confidence_gap();
  plan.confidence = std::max(0.5, 2.0 + (plan.correct ? 0.05 : -0.05) * gap + noise(rng));
  plan.text_seed = rng();
  // The low-confidence stretch, from its own generator (see the header).
  std::mt19937_64 dip_rng(MixSeed(plan.text_seed, 0xd1f));
  const bool dip = Uniform(dip_rng) < (plan.correct ? 0.4 : 0.8);
  const double depth = plan.correct ? 0.3 + 0.7 * Uniform(dip_rng) : 0.5 + Uniform(dip_rng);
  const double length = 0.1 + 0.1 * Uniform(dip_rng);
  const double where = Uniform(dip_rng);
  if (dip && gap > 0) {
    plan.dip_tokens = std::max<uint32_t>(1, static_cast<uint32_t>(length * plan.body_tokens));
    plan.dip_start = static_cast<uint32_t>(where * (plan.body_tokens - plan.dip_tokens + 1));
    plan.dip_start = std::min(plan.dip_start, plan.body_tokens - plan.dip_tokens);
    plan.dip_depth = 1.5 * gap * depth;
  }
  return plan;
}

ChainTextGenerator::ChainTextGenerator(const ChainPlan& plan, uint32_t top_k)
    : plan_(plan), top_k_(top_k), rng_(plan.text_seed) {}

uint32_t ChainTextGenerator::NextBody(uint32_t tokens, std::string* text,
                                      std::vector<float>* logprobs,
                                      std::vector<float>* top_logprobs) {
  tokens = std::min(tokens, plan_.body_tokens - written_);
  std::normal_distribution<double> token_noise(0, 0.6);
  for (uint32_t t = 0; t < tokens; ++t) {
    // Word t of the body: sentences repeat in a seeded order.
    if (word_pos_ >= sentence_.size()) {
      sentence_ = kSentences[rng_() % std::size(kSentences)];
      word_pos_ = 0;
    }
    size_t end = sentence_.find(' ', word_pos_);
    if (end == std::string_view::npos) end = sentence_.size();
    if (written_ + t > 0) text->push_back(' ');
    text->append(sentence_.substr(word_pos_, end - word_pos_));
    word_pos_ = end + 1;
    // Token confidence C = -mean(top-k logprobs); drawn whether or not logprobs are wanted, so
    // the text does not depend on that choice. The top-k spread linearly around C.
    const uint32_t pos = written_ + t;
    const bool in_dip = pos >= plan_.dip_start && pos - plan_.dip_start < plan_.dip_tokens;
    const double conf =
        std::max(0.05, plan_.confidence + token_noise(rng_) - (in_dip ? plan_.dip_depth : 0));
    confidence_sum_ += conf;
    if (top_k_ > 0) {
      for (uint32_t j = 1; j <= top_k_; ++j) {
        top_logprobs->push_back(static_cast<float>(-conf * 2.0 * j / (top_k_ + 1)));
      }
      logprobs->push_back(static_cast<float>(-conf * 2.0 / (top_k_ + 1)));
    }
  }
  written_ += tokens;
  return tokens;
}

std::string ChainTextGenerator::Closing(uint32_t* tokens) const {
  if (plan_.truncated) {
    *tokens = 0;
    return "";
  }
  if (!plan_.parseable) {
    *tokens = 8;
    return "\n\nI cannot settle between the remaining options.";
  }
  *tokens = 3;
  return absl::StrCat(plan_.thinking ? "" : "\n\n", kAnswerMarker, std::string(1, plan_.letter));
}

double ChainTextGenerator::MeanConfidence() const {
  return top_k_ > 0 && written_ > 0 ? confidence_sum_ / written_ : 0;
}

}  // namespace ptc::sim
