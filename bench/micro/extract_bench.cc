// Answer extraction: building an extractor (RE2 compilation, done per request today) and reading
// a chain's answer; baseline: one memchr pass over the same text.
#include <cstring>
#include <string>

#include "aggregators/extract/answer_extractor.h"
#include "bench/micro/micro_inputs.h"
#include "benchmark/benchmark.h"

namespace ptc::micro {
namespace {

void BM_Baseline_ScanText(benchmark::State& state) {
  const std::string text = ChainText();
  for (auto _ : state) {
    const void* p = std::memchr(text.data(), '\x01', text.size());
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Baseline_ScanText);

void BM_ExtractMultipleChoice(benchmark::State& state) {
  auto extractor = AnswerExtractor::Create(v1::AnswerFormat());
  const std::string text = ChainText();
  for (auto _ : state) benchmark::DoNotOptimize((*extractor)->Extract(text));
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ExtractMultipleChoice);

void BM_ExtractNumber(benchmark::State& state) {
  v1::AnswerFormat format;
  format.mutable_number();
  auto extractor = AnswerExtractor::Create(format);
  const std::string text = ChainText() + "\n\nSo the value is \\boxed{-0.7}.";
  for (auto _ : state) benchmark::DoNotOptimize((*extractor)->Extract(text));
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ExtractNumber);

// What every Solve pays before its first chain starts (service/request_plan.cc builds one per
// request).
void BM_CreateMultipleChoiceExtractor(benchmark::State& state) {
  const v1::AnswerFormat format;
  for (auto _ : state) benchmark::DoNotOptimize(AnswerExtractor::Create(format));
}
BENCHMARK(BM_CreateMultipleChoiceExtractor);

}  // namespace
}  // namespace ptc::micro
