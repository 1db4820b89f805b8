// The incremental SSE parser over a streamed completion of 16 tokens, whole and in 512-byte reads,
// and of 600 tokens in 512-byte reads;
// baseline: finding the same lines with memchr.
#include <cstring>
#include <string>
#include <string_view>

#include "bench/micro/micro_inputs.h"
#include "benchmark/benchmark.h"
#include "samplers/http/sse_parser.h"

namespace ptc::micro {
namespace {

void BM_Baseline_SplitLines(benchmark::State& state) {
  const std::string body = StreamBody(16);
  for (auto _ : state) {
    size_t lines = 0;
    const char* p = body.data();
    const char* end = p + body.size();
    while (const void* nl = std::memchr(p, '\n', end - p)) {
      ++lines;
      p = static_cast<const char*>(nl) + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_Baseline_SplitLines);

// range(0): bytes per read (0: the whole body at once).
void SseParse(benchmark::State& state, int tokens) {
  const std::string body = StreamBody(tokens);
  const size_t read = state.range(0) == 0 ? body.size() : state.range(0);
  size_t events = 0;
  for (auto _ : state) {
    http::SseParser parser;
    for (size_t at = 0; at < body.size(); at += read) {
      (void)parser.Feed(std::string_view(body).substr(at, read),
                        [&](const http::SseEvent& e) { events += e.data.size() > 0; });
    }
  }
  benchmark::DoNotOptimize(events);
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["events"] = static_cast<double>(events) / state.iterations();
}
void BM_SseParse(benchmark::State& state) { SseParse(state, 16); }
BENCHMARK(BM_SseParse)->Arg(0)->Arg(512);
void BM_SseParse600(benchmark::State& state) { SseParse(state, 600); }
BENCHMARK(BM_SseParse600)->Arg(512);

}  // namespace
}  // namespace ptc::micro
