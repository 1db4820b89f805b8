#include "samplers/sim/sim_model.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// The usc selector's pick, 1-based (see the header); 1 when no response has an answer.
uint32_t SelectUscResponse(const std::vector<std::string>& answers, double error_rate,
                           std::mt19937_64& rng) {
  std::unordered_map<std::string, uint32_t> counts;
  uint32_t most = 0;
  for (const std::string& a : answers) {
    if (!a.empty()) most = std::max(most, ++counts[a]);
  }
  const bool err = Uniform(rng) < error_rate;
  if (most == 0) return 1;
  // The first response whose answer has the most votes: ties go to the answer seen first.
  size_t best = 0;
  while (answers[best].empty() || counts[answers[best]] != most) ++best;
  if (err) {
    std::vector<size_t> others;
    for (size_t k = 0; k < answers.size(); ++k) {
      if (answers[k] != answers[best]) others.push_back(k);
    }
    if (!others.empty()) best = others[rng() % others.size()];
  }
  return static_cast<uint32_t>(best + 1);
}

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
constexpr char kScoreMarker[] = "Score: ";

// The verifier prompt's markers (aggregators/verifier/verify_prompt.h).
constexpr std::string_view kQuestionBegin = "=== Question ===\n";
constexpr std::string_view kQuestionEnd = "\n=== End of question ===";
constexpr std::string_view kAnswerBegin = "=== Proposed answer ===\n";
constexpr std::string_view kAnswerEnd = "\n=== End of proposed answer ===";

// The text between `begin` and the next `end` after it; none when either is missing.
std::optional<std::string_view> Section(std::string_view text, std::string_view begin,
                                        std::string_view end) {
  const size_t b = text.find(begin);
  if (b == std::string_view::npos) return std::nullopt;
  const size_t start = b + begin.size();
  const size_t e = text.find(end, start);
  if (e == std::string_view::npos) return std::nullopt;
  return text.substr(start, e - start);
}

// The usc selector prompt's response markers (aggregators/usc/usc_prompt.h).
std::string ResponseBegin(size_t k) { return absl::StrCat("=== Response ", k, " ===\n"); }
std::string ResponseEnd(size_t k) { return absl::StrCat("\n=== End of response ", k, " ==="); }

// A response's answer: the rest of the line after its last "Answer:", trimmed, '*' stripped,
// ASCII lower-cased; empty when there is none.
std::string ResponseAnswer(std::string_view response) {
  const size_t at = response.rfind("Answer:");
  if (at == std::string_view::npos) return "";
  std::string_view rest = response.substr(at + 7);
  rest = rest.substr(0, rest.find('\n'));
  std::string out = absl::AsciiStrToLower(absl::string_view(rest.data(), rest.size()));
  out.erase(std::remove(out.begin(), out.end(), '*'), out.end());
  return std::string(absl::StripAsciiWhitespace(out));
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Phi^-1(p) for p in (0, 1), by bisection (called once per verifier chain).
double NormalQuantile(double p) {
  double lo = -12, hi = 12;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

std::string UserText(const std::vector<ChatMessage>& messages) {
  std::string all;
  for (const auto& m : messages) {
    if (m.role == ChatMessage::Role::kUser) absl::StrAppend(&all, m.content, "\n");
  }
  return all;
}

using ConstraintKind = InstructionConstraint::Kind;

// `n` words of the chain-of-thought sentences, continuing across sentences in a seeded order;
// words that hold the keyword of one of `banned` (include_keyword constraints) are skipped.
std::vector<std::string> SentenceWords(size_t n, std::mt19937_64& rng,
                                       const std::vector<InstructionConstraint>& banned) {
  std::vector<std::string> out;
  std::string_view sentence;
  size_t pos = 0;
  for (size_t guard = 0; out.size() < n && guard < 64 * n + 64; ++guard) {
    if (pos >= sentence.size()) {
      sentence = kSentences[rng() % std::size(kSentences)];
      pos = 0;
    }
    size_t end = sentence.find(' ', pos);
    if (end == std::string_view::npos) end = sentence.size();
    std::string word(sentence.substr(pos, end - pos));
    pos = end + 1;
    bool skip = false;
    for (const InstructionConstraint& b : banned) skip = skip || SatisfiesConstraint(b, word);
    if (!skip) out.push_back(std::move(word));
  }
  return out;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (w.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view w : absl::StrSplit(absl::string_view(text.data(), text.size()),
                                            absl::ByAnyChar(" \t\r\n\f\v"), absl::SkipEmpty())) {
    out.emplace_back(w);
  }
  return out;
}

// The first `n` words of `text`, joined by single spaces.
std::string FirstWords(std::string_view text, size_t n) {
  std::vector<std::string> words = SplitWords(text);
  if (words.size() > n) words.resize(n);
  return JoinWords(words);
}

// 1 - exp(-B / thinking_scale); 0 without thinking.
double ThinkingEffect(const v1::SimBackendConfig& c, uint32_t budget) {
  return budget == 0 ? 0 : 1 - std::exp(-static_cast<double>(budget) / c.thinking_scale());
}

}  // namespace

double ThinkingAccuracy(const v1::SimBackendConfig& config, double p, uint32_t thinking_budget) {
  if (thinking_budget == 0) return p;
  return p + (1 - p) * config.thinking_gain() * ThinkingEffect(config, thinking_budget);
}

double ThinkingCompliance(const v1::SimBackendConfig& config, double p, uint32_t thinking_budget) {
  if (thinking_budget == 0) return p;
  return p * (1 - config.thinking_harm() * ThinkingEffect(config, thinking_budget));
}

std::string InstructionResponse(const std::vector<InstructionConstraint>& constraints,
                                const std::vector<bool>& comply, std::mt19937_64& rng) {
  const InstructionConstraint* start = nullptr;
  const InstructionConstraint* end = nullptr;
  bool start_ok = false, end_ok = false;
  std::optional<bool> lower, no_commas;  // set when constrained: whether the response complies
  std::vector<InstructionConstraint> banned;
  std::vector<std::string> keyword_words;
  uint64_t lo = 1, hi = UINT64_MAX;     // the word counts that comply
  std::optional<uint64_t> over, under;  // a broken max_words / min_words limit
  for (size_t i = 0; i < constraints.size(); ++i) {
    const InstructionConstraint& c = constraints[i];
    const bool ok = i < comply.size() && comply[i];
    switch (c.kind) {
      case ConstraintKind::kLowercase:
        lower = lower.value_or(true) && ok;
        break;
      case ConstraintKind::kNoCommas:
        no_commas = no_commas.value_or(true) && ok;
        break;
      case ConstraintKind::kMaxWords:
        if (ok) {
          hi = std::min<uint64_t>(hi, c.count);
        } else {
          over = std::max<uint64_t>(over.value_or(0), c.count);
        }
        break;
      case ConstraintKind::kMinWords:
        if (ok) {
          lo = std::max<uint64_t>(lo, c.count);
        } else {
          under = std::min<uint64_t>(under.value_or(UINT64_MAX), c.count);
        }
        break;
      case ConstraintKind::kStartWith:
        start = &c;
        start_ok = ok;
        break;
      case ConstraintKind::kEndWith:
        end = &c;
        end_ok = ok;
        break;
      case ConstraintKind::kIncludeKeyword:
        if (ok) {
          for (std::string& w : SplitWords(c.text)) keyword_words.push_back(std::move(w));
        } else {
          banned.push_back(c);
        }
        break;
    }
  }
  // The word count: a natural length, or a few words past a limit it breaks, within the limits
  // it keeps.
  uint64_t words = static_cast<uint64_t>(
      std::max(8.0, std::round(kInstructionResponseWords * LogNormalFactor(0.35, rng))));
  if (over.has_value()) {
    words = *over + 1 + rng() % 8;
    lo = std::max(lo, *over + 1);
  }
  if (under.has_value()) {
    words = *under > 1 ? *under - 1 - rng() % std::min<uint64_t>(8, *under - 1) : 1;
    hi = std::min(hi, *under > 1 ? *under - 1 : uint64_t{1});
  }
  if (lo <= hi) words = std::clamp(words, lo, hi);

  const std::vector<std::string> start_words =
      start != nullptr && start_ok ? SplitWords(start->text) : std::vector<std::string>();
  const std::vector<std::string> end_words =
      end != nullptr && end_ok ? SplitWords(end->text) : std::vector<std::string>();
  const uint64_t fixed = start_words.size() + end_words.size() + keyword_words.size();
  const bool need_body = (start != nullptr && !start_ok) || (end != nullptr && !end_ok) ||
                         lower == std::optional<bool>(false) ||
                         no_commas == std::optional<bool>(false);
  const uint64_t body_size = std::max<uint64_t>(words > fixed ? words - fixed : 0, need_body);
  std::vector<std::string> body = SentenceWords(body_size, rng, banned);
  if (!body.empty() && absl::ascii_isalnum(static_cast<unsigned char>(body.back().back()))) {
    body.back().push_back('.');
  }
  // The start of the body must not pass for a phrase it should not start with, nor its end.
  auto text_of = [&] {
    std::vector<std::string> all = start_words;
    all.insert(all.end(), body.begin(), body.end());
    all.insert(all.end(), end_words.begin(), end_words.end());
    return JoinWords(all);
  };
  if (start != nullptr && !start_ok && !body.empty()) {
    for (const char* alt : {"Well", "So", "Then"}) {
      if (!SatisfiesConstraint(*start, text_of())) break;
      body.front() = alt;
    }
  }
  if (end != nullptr && !end_ok && !body.empty()) {
    for (const char* alt : {"indeed.", "overall.", "then."}) {
      if (!SatisfiesConstraint(*end, text_of())) break;
      body.back() = alt;
    }
  }
  // The keywords it includes, each at a seeded place in the body (not first nor last when the
  // body's ends are pinned by a broken start_with / end_with).
  for (size_t k = 0; k < keyword_words.size(); ++k) {
    const size_t first = start != nullptr && !start_ok && !body.empty() ? 1 : 0;
    const size_t last = end != nullptr && !end_ok && !body.empty() ? body.size() - 1 : body.size();
    const size_t at = first + (last >= first ? rng() % (last - first + 1) : 0);
    body.insert(body.begin() + static_cast<std::ptrdiff_t>(std::min(at, body.size())),
                keyword_words[k]);
  }
  std::vector<std::string> all = start_words;
  const size_t body_begin = all.size();
  all.insert(all.end(), body.begin(), body.end());
  const size_t body_end = all.size();
  all.insert(all.end(), end_words.begin(), end_words.end());

  if (no_commas == std::optional<bool>(true)) {
    for (std::string& w : all) w.erase(std::remove(w.begin(), w.end(), ','), w.end());
  } else if (no_commas == std::optional<bool>(false) &&
             JoinWords(all).find(',') == std::string::npos && body_end > body_begin) {
    // A comma after a body word that is neither the first nor the last one when possible.
    const size_t n = body_end - body_begin;
    const size_t pick = body_begin + (n >= 3 ? 1 + rng() % (n - 2) : 0);
    std::string& w = all[pick];
    if (!w.empty() && w.back() == '.') w.pop_back();
    w.push_back(',');
  }
  if (lower == std::optional<bool>(true)) {
    for (std::string& w : all) absl::AsciiStrToLower(&w);
  } else if (lower == std::optional<bool>(false)) {
    // Some capitalised words: the sentences' own capitals, and at least the body's first word.
    bool upper = false;
    for (const std::string& w : all) {
      for (char ch : w) upper = upper || absl::ascii_isupper(static_cast<unsigned char>(ch));
    }
    for (size_t i = body_begin; !upper && i < all.size(); ++i) {
      for (char& ch : all[i]) {
        if (absl::ascii_islower(static_cast<unsigned char>(ch))) {
          ch = absl::ascii_toupper(static_cast<unsigned char>(ch));
          upper = true;
          break;
        }
      }
    }
  }
  return JoinWords(all);
}

namespace {}  // namespace

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

double VerifierAuc(const v1::SimBackendConfig& config, std::string_view model) {
  const size_t at = model.find("auc=");
  if (at != std::string_view::npos) {
    std::string_view value = model.substr(at + 4);
    value = value.substr(0, value.find_first_not_of("0123456789."));
    double auc = 0;
    if (absl::SimpleAtod(absl::string_view(value.data(), value.size()), &auc) && auc > 0 &&
        auc < 1) {
      return auc;
    }
  }
  return config.verifier_auc();
}

double SelectorErrorRate(std::string_view model) {
  const size_t at = model.find("err=");
  if (at == std::string_view::npos) return 0;
  std::string_view value = model.substr(at + 4);
  value = value.substr(0, value.find_first_not_of("0123456789."));
  double rate = 0;
  if (absl::SimpleAtod(absl::string_view(value.data(), value.size()), &rate) && rate >= 0 &&
      rate <= 1) {
    return rate;
  }
  return 0;
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
  if (c.verifier_auc() == 0) c.set_verifier_auc(0.8);
  if (c.verify_completion_tokens() == 0) c.set_verify_completion_tokens(300);
  if (c.thinking_gain() == 0) c.set_thinking_gain(0.35);
  if (c.thinking_scale() == 0) c.set_thinking_scale(2048);
  if (c.thinking_harm() == 0) c.set_thinking_harm(0.3);
  if (c.instruction_compliance() == 0) c.set_instruction_compliance(0.9);
  if (c.compliance_concentration() == 0) c.set_compliance_concentration(10);
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
  if (!(c.verifier_auc() > 0 && c.verifier_auc() < 1)) {
    return bad("verifier_auc", "must be in (0, 1)");
  }
  if (c.verify_completion_tokens() > 1000000) {
    return bad("verify_completion_tokens", "above 1000000");
  }
  if (!(c.thinking_gain() >= 0 && c.thinking_gain() <= 1)) {
    return bad("thinking_gain", "must be in [0, 1]");
  }
  if (!(c.thinking_scale() > 0 && c.thinking_scale() <= 1e9)) {
    return bad("thinking_scale", "must be in (0, 1e9]");
  }
  if (!(c.thinking_harm() >= 0 && c.thinking_harm() <= 1)) {
    return bad("thinking_harm", "must be in [0, 1]");
  }
  if (!(c.instruction_compliance() > 0 && c.instruction_compliance() < 1)) {
    return bad("instruction_compliance", "must be in (0, 1)");
  }
  if (!(c.compliance_concentration() > 0 && c.compliance_concentration() <= 1e6)) {
    return bad("compliance_concentration", "must be in (0, 1e6]");
  }
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
  // Instruction items take no part in this: the strata are the questions'.
  const double acc = model->config_.target_accuracy();
  const double kappa = model->config_.concentration();
  std::vector<size_t> question_index;
  for (size_t i = 0; i < model->questions_.size(); ++i) {
    if (!model->questions_[i].instruction()) question_index.push_back(i);
  }
  const size_t q = question_index.size();
  constexpr size_t kPerStratum = 64;
  std::mt19937_64 prior_rng(MixSeed(model->config_.seed(), 0x5eed));
  std::vector<double> draws(q * kPerStratum);
  for (double& d : draws) d = SampleBeta(acc * kappa, (1 - acc) * kappa, prior_rng);
  std::sort(draws.begin(), draws.end());
  std::vector<size_t> order(q);
  for (size_t i = 0; i < q; ++i) order[i] = question_index[i];
  for (size_t i = q; i > 1; --i) std::swap(order[i - 1], order[prior_rng() % i]);
  model->params_.resize(model->questions_.size());
  for (size_t i = 0; i < q; ++i) {
    double mean = 0;  // the stratum's mean: its share of the prior
    for (size_t k = 0; k < kPerStratum; ++k) mean += draws[i * kPerStratum + k];
    LatentParams& p = model->params_[order[i]];
    p.p_correct = mean / kPerStratum;
    std::mt19937_64 rng(MixSeed(model->config_.seed(), Fnv1a(model->questions_[order[i]].id)));
    p.wrong = SampleDirichlet(model->questions_[order[i]].incorrect_answers.size(),
                              model->config_.wrong_concentration(), rng);
  }
  // Instruction items: a compliance probability per constraint, from the item's own generator.
  const double comply = model->config_.instruction_compliance();
  const double ckappa = model->config_.compliance_concentration();
  for (size_t i = 0; i < model->questions_.size(); ++i) {
    const McqQuestion& item = model->questions_[i];
    if (!item.instruction()) continue;
    std::mt19937_64 rng(
        MixSeed(model->config_.seed(), Fnv1a(absl::StrCat("instruction:", item.id))));
    for (size_t k = 0; k < item.constraints.size(); ++k) {
      model->params_[i].comply.push_back(SampleBeta(comply * ckappa, (1 - comply) * ckappa, rng));
    }
  }
  return std::shared_ptr<const SimModel>(std::move(model));
}

PromptMatch SimModel::Match(const std::vector<ChatMessage>& messages) const {
  const std::string text = UserText(messages);
  if (Section(text, ResponseBegin(1), ResponseEnd(1)).has_value()) {
    PromptMatch m;
    m.prompt_hash = Fnv1a(text);
    m.letters = "ABCD";
    m.usc = true;
    for (size_t k = 1;; ++k) {
      const std::optional<std::string_view> r = Section(text, ResponseBegin(k), ResponseEnd(k));
      if (!r.has_value()) break;
      m.response_answers.push_back(ResponseAnswer(*r));
    }
    return m;
  }
  const std::optional<std::string_view> question = Section(text, kQuestionBegin, kQuestionEnd);
  const std::optional<std::string_view> answer = Section(text, kAnswerBegin, kAnswerEnd);
  if (!question.has_value() || !answer.has_value()) return MatchQuestion(text);
  PromptMatch m = MatchQuestion(*question);
  m.prompt_hash = Fnv1a(text);
  m.verify = true;
  m.candidate =
      std::string(absl::StripAsciiWhitespace(absl::string_view(answer->data(), answer->size())));
  const size_t letter =
      m.candidate.size() == 1 ? m.letters.find(m.candidate[0]) : std::string::npos;
  if (m.question >= 0 && letter < m.choice_source.size()) {
    m.candidate_correct = m.choice_source[letter] < 0;
  }
  return m;
}

PromptMatch SimModel::MatchQuestion(std::string_view text) const {
  PromptMatch m;
  m.prompt_hash = Fnv1a(text);
  std::vector<absl::string_view> choice_texts;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.size() >= 3 && line[0] >= 'A' && line[0] <= 'Z' && line[1] == ')' && line[2] == ' ') {
      m.letters.push_back(line[0]);
      choice_texts.push_back(absl::StripAsciiWhitespace(line.substr(3)));
    }
  }
  if (m.letters.empty()) m.letters = "ABCD";
  for (size_t qi = 0; qi < questions_.size(); ++qi) {
    const McqQuestion& q = questions_[qi];
    if (text.find(q.question) == std::string_view::npos) continue;
    if (q.instruction()) {  // matched by the instruction alone; no choices
      m.question = static_cast<int>(qi);
      break;
    }
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
  uint64_t key = match.question >= 0 ? Fnv1a(questions_[match.question].id) : match.prompt_hash;
  if (match.verify) key = MixSeed(key, Fnv1a(absl::StrCat("verify:", match.candidate)));
  const uint64_t chain_seed = MixSeed(MixSeed(c.seed(), key), spec.seed);
  std::mt19937_64 rng(chain_seed);
  // Thinking's reasoning length and visible answer, and an instruction item's compliance and
  // response, come from generators of their own: the draws above stay as without thinking.
  std::mt19937_64 think_rng(MixSeed(chain_seed, 0x7417));
  const uint32_t budget = spec.thinking_budget;
  ChainPlan plan;
  plan.fail = Uniform(rng) < c.failure_rate();
  plan.parseable = Uniform(rng) >= c.unparseable_rate();
  const bool instruction = match.question >= 0 && questions_[match.question].instruction();

  if (match.usc) {
    plan.usc_response =
        SelectUscResponse(match.response_answers, SelectorErrorRate(spec.model), rng);
  } else if (match.verify) {
    plan.verify = true;
    plan.correct = match.candidate_correct.value_or(false);
    const double d = std::sqrt(2.0) * NormalQuantile(VerifierAuc(c, spec.model));
    const double mean = !match.candidate_correct.has_value() ? 0 : plan.correct ? d / 2 : -d / 2;
    const double x = mean + std::normal_distribution<double>(0, 1)(rng);
    plan.score = std::clamp(NormalCdf(x), 1e-4, 1 - 1e-4);
  } else if (instruction) {
    const McqQuestion& item = questions_[match.question];
    const LatentParams& lp = params_[match.question];
    std::mt19937_64 comply_rng(MixSeed(chain_seed, 0x1f));
    plan.instruction = true;
    plan.parseable = true;  // any response is an answer
    plan.constraints = item.constraints;
    plan.correct = true;
    for (size_t i = 0; i < item.constraints.size(); ++i) {
      const bool ok = Uniform(comply_rng) < ThinkingCompliance(c, lp.comply[i], budget);
      plan.comply.push_back(ok);
      plan.correct = plan.correct && ok;
    }
  } else if (match.question >= 0) {
    const LatentParams& lp = params_[match.question];
    const double p_correct = ThinkingAccuracy(c, lp.p_correct, budget);
    // Probability of each shown letter.
    std::vector<double> prob(match.letters.size());
    for (size_t i = 0; i < prob.size(); ++i) {
      int s = match.choice_source[i];
      prob[i] = s < 0 ? p_correct : (1 - p_correct) * lp.wrong[s];
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

  const double mean_tokens = std::max<double>(
      plan.verify || match.usc ? c.verify_completion_tokens() : c.mean_completion_tokens(), 1);
  plan.body_tokens =
      static_cast<uint32_t>(std::max(8.0, std::round(mean_tokens * LogNormalFactor(0.45, rng))));
  plan.thinking = budget > 0;
  uint32_t closing_reserve = 8;
  if (plan.thinking) {
    // The reasoning: min(B, L), L log-normal around 0.5 B + 0.5 mean (see the header).
    const double reasoning = std::max(
        8.0, std::round((0.5 * budget + 0.5 * mean_tokens) * LogNormalFactor(0.45, think_rng)));
    plan.body_tokens = static_cast<uint32_t>(std::min<double>(budget, reasoning));
    if (!plan.verify && !match.usc && !plan.instruction) {
      plan.answer_tokens = static_cast<uint32_t>(
          std::max(4.0, std::round(kThinkingAnswerTokens * LogNormalFactor(0.4, think_rng))));
      closing_reserve += plan.answer_tokens;
    }
  } else if (plan.instruction) {
    plan.body_tokens = 0;  // no chain of thought: the visible text is the response
  }
  if (plan.instruction) {
    std::mt19937_64 response_rng(MixSeed(chain_seed, 0x1e5));
    plan.response = InstructionResponse(plan.constraints, plan.comply, response_rng);
    const uint32_t words = static_cast<uint32_t>(CountWords(plan.response));
    if (spec.max_tokens > 0 && plan.body_tokens + words > spec.max_tokens) {
      // Cut: the reasoning to max_tokens, the response to what is left of it.
      plan.truncated = true;
      plan.body_tokens = std::min(plan.body_tokens, spec.max_tokens);
      plan.response = FirstWords(plan.response, spec.max_tokens - plan.body_tokens);
    }
  } else if (spec.max_tokens > 0 && plan.body_tokens + closing_reserve > spec.max_tokens) {
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
  if (dip && gap > 0 && plan.body_tokens > 0) {
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
  if (plan_.instruction) {  // the response, maybe cut (see Plan)
    *tokens = static_cast<uint32_t>(CountWords(plan_.response));
    return plan_.response;
  }
  if (plan_.truncated) {
    *tokens = 0;
    return "";
  }
  if (!plan_.parseable) {
    *tokens = 8;
    return "\n\nI cannot settle between the remaining options.";
  }
  if (plan_.usc_response > 0) {
    *tokens = 4;
    return absl::StrCat(plan_.thinking ? "" : "\n\n", kAnswerMarker, "Response ",
                        plan_.usc_response);
  }
  if (plan_.verify) {
    *tokens = 3;
    return absl::StrCat(plan_.thinking ? "" : "\n\n", kScoreMarker,
                        absl::StrFormat("%.4f", plan_.score));
  }
  if (plan_.answer_tokens > 0) {  // after thinking: a short visible answer, then the line
    std::mt19937_64 rng(MixSeed(plan_.text_seed, 0xa45));
    std::string answer = JoinWords(SentenceWords(plan_.answer_tokens, rng, {}));
    if (!answer.empty() && absl::ascii_isalnum(static_cast<unsigned char>(answer.back()))) {
      answer.push_back('.');
    }
    *tokens = plan_.answer_tokens + 3;
    return absl::StrCat(answer, "\n\n", kAnswerMarker, std::string(1, plan_.letter));
  }
  *tokens = 3;
  return absl::StrCat(plan_.thinking ? "" : "\n\n", kAnswerMarker, std::string(1, plan_.letter));
}

double ChainTextGenerator::MeanConfidence() const {
  return top_k_ > 0 && written_ > 0 ? confidence_sum_ / written_ : 0;
}

}  // namespace ptc::sim
