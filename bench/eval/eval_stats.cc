#include "bench/eval/eval_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "common/quantile.h"

namespace ptc::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

}  // namespace

Interval BootstrapMeanCi(const std::vector<double>& values, double level, int resamples,
                         uint64_t seed) {
  if (values.empty()) return {kNaN, kNaN};
  const double mean = Mean(values);
  if (values.size() == 1 ||
      std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); })) {
    return {mean, mean};
  }
  const uint64_t n = values.size();
  // Our own index draw (not std::uniform_int_distribution) so that the interval is the same with
  // every standard library; the modulo bias is below 2^-50 for any realistic n.
  std::mt19937_64 rng(seed);
  std::vector<double> means;
  means.reserve(std::max(resamples, 1));
  for (int r = 0; r < std::max(resamples, 1); ++r) {
    double sum = 0;
    for (uint64_t i = 0; i < n; ++i) sum += values[rng() % n];
    means.push_back(sum / static_cast<double>(n));
  }
  const double tail = (1 - std::clamp(level, 0.0, 1.0)) / 2;
  return {Quantile(means, tail), Quantile(means, 1 - tail)};
}

NStats Summarize(uint32_t n, const std::vector<RequestResult>& results) {
  NStats s;
  s.n = n;
  s.requests = static_cast<int>(results.size());
  // Per question: correct answers and requests, for the cluster bootstrap.
  std::map<int, std::pair<int, int>> by_question;
  std::vector<double> latencies;
  double chains = 0, tokens = 0, cost = 0;
  int ok = 0;
  for (const RequestResult& r : results) {
    auto& q = by_question[r.question];
    q.second++;
    if (r.correct) {
      q.first++;
      s.correct++;
    }
    if (!r.ok) {
      if (s.errors++ == 0) s.first_error = r.error;
      continue;
    }
    ok++;
    chains += r.chains;
    tokens += static_cast<double>(r.tokens);
    cost += r.cost_usd;
    latencies.push_back(r.latency_s);
  }
  s.questions = static_cast<int>(by_question.size());
  std::vector<double> scores;
  scores.reserve(by_question.size());
  for (const auto& [question, counts] : by_question) {
    scores.push_back(static_cast<double>(counts.first) / counts.second);
  }
  s.accuracy = s.requests > 0 ? static_cast<double>(s.correct) / s.requests : kNaN;
  s.ci = BootstrapMeanCi(scores);
  s.mean_chains = ok > 0 ? chains / ok : kNaN;
  s.mean_tokens = ok > 0 ? tokens / ok : kNaN;
  s.mean_cost_usd = ok > 0 ? cost / ok : kNaN;
  s.cost_per_correct_usd = s.correct > 0 ? cost / s.correct : kNaN;
  s.p50_latency_s = Quantile(latencies, 0.50);
  s.p95_latency_s = Quantile(latencies, 0.95);
  return s;
}

}  // namespace ptc::eval
