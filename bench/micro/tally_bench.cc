// Voting and stop rules per finished chain: the tally of 16 and 256 chains with a ranking, and a
// stop rule's check as a 40-chain plan-order prefix grows (one check per chain, as the Run asks).
#include <span>
#include <string>
#include <vector>

#include "aggregators/stop_rule.h"
#include "aggregators/tally.h"
#include "benchmark/benchmark.h"

namespace ptc::micro {
namespace {

const char* Answer(int i) {
  static const char* kAnswers[] = {"B", "B", "A", "B", "C", "B", "D", "B"};
  return kAnswers[i % 8];
}

void BM_TallyAddAndRank(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> answers;
  for (int i = 0; i < n; ++i) answers.push_back(Answer(i));
  for (auto _ : state) {
    Tally tally;
    for (int i = 0; i < n; ++i) tally.Add(i, answers[i]);
    benchmark::DoNotOptimize(tally.RankedByVotes());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_TallyAddAndRank)->Arg(16)->Arg(256);

void StopRuleChecks(benchmark::State& state, const v1::StopRule& config) {
  auto rule = CreateStopRule(config);
  if (!rule.ok()) {
    state.SkipWithError("cannot create the rule");
    return;
  }
  constexpr int kChains = 40;
  std::vector<ChainVote> votes(kChains);
  for (int i = 0; i < kChains; ++i) {
    votes[i].finished = true;
    votes[i].voted = true;
    votes[i].answer = Answer(i);
  }
  for (auto _ : state) {
    Tally tally;
    for (int i = 0; i < kChains; ++i) {
      tally.Add(i, votes[i].answer);
      benchmark::DoNotOptimize(
          (*rule)->Check(tally, std::span<const ChainVote>(votes.data(), i + 1)));
    }
  }
  state.SetItemsProcessed(state.iterations() * kChains);
}

void BM_StopFixed(benchmark::State& state) { StopRuleChecks(state, v1::StopRule()); }
BENCHMARK(BM_StopFixed);

void BM_StopAdaptiveConsistency(benchmark::State& state) {
  v1::StopRule config;
  config.mutable_adaptive_consistency();
  StopRuleChecks(state, config);
}
BENCHMARK(BM_StopAdaptiveConsistency);

void BM_StopEsc(benchmark::State& state) {
  v1::StopRule config;
  config.mutable_esc();
  StopRuleChecks(state, config);
}
BENCHMARK(BM_StopEsc);

}  // namespace
}  // namespace ptc::micro
