// The OpenAI-compatible protocol's JSON work per chain: building the request body, and decoding
// a streamed completion's chunk events. Baselines: nlohmann::json::parse of the same events (the
// DOM the decoder builds), and a SAX pass that builds nothing (the lexer alone: what a decoder
// reading the fields as they stream by would pay), and a hand-written scan for the content (the
// floor of a purpose-built decoder).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/micro/micro_inputs.h"
#include "benchmark/benchmark.h"
#include "nlohmann/json.hpp"
#include "samplers/openai/openai_decoder.h"
#include "samplers/openai/openai_request.h"

namespace ptc::micro {
namespace {

ChainSpec Spec() {
  ChainSpec spec;
  spec.model = "fake";
  spec.messages = std::make_shared<const std::vector<ChatMessage>>(
      std::vector<ChatMessage>{{ChatMessage::Role::kUser, std::string(700, 'q')}});
  spec.max_tokens = 1024;
  spec.seed = 42;
  spec.temperature = 0.7f;
  return spec;
}

void BM_BuildChatCompletionBody(benchmark::State& state) {
  openai::OpenAiOptions options;
  options.default_model = "fake";
  options.capabilities = openai::FlavorCapabilities(options.flavor, false);
  const ChainSpec spec = Spec();
  for (auto _ : state) {
    benchmark::DoNotOptimize(openai::BuildChatCompletionBody(options, spec, 1, true));
  }
}
BENCHMARK(BM_BuildChatCompletionBody);

class NullSink : public http::DecodeSink {
 public:
  void OnDelta(uint32_t, const ChainDelta& d) override { tokens += d.tokens; }
  uint64_t tokens = 0;
};

// A whole stream of `tokens` tokens (16: 19 events; 600: 603, a real chain's length) through a
// fresh decoder, then TakeResult.
void DecodeStream(benchmark::State& state, int tokens) {
  std::vector<http::SseEvent> events;
  for (const std::string& data : StreamEventData(tokens)) events.push_back({"", data, ""});
  NullSink sink;
  for (auto _ : state) {
    openai::DecoderOptions options;
    options.prompt_estimate = 175;
    openai::OpenAiDecoder decoder(options);
    for (const http::SseEvent& e : events) (void)decoder.OnEvent(e, sink);
    benchmark::DoNotOptimize(decoder.TakeResult(0));
  }
  state.counters["events"] = static_cast<double>(events.size());
}
void BM_DecodeStream16(benchmark::State& state) { DecodeStream(state, 16); }
BENCHMARK(BM_DecodeStream16);
void BM_DecodeStream600(benchmark::State& state) { DecodeStream(state, 600); }
BENCHMARK(BM_DecodeStream600);

void BM_Baseline_JsonDomParseStream16(benchmark::State& state) {
  std::vector<std::string> data = StreamEventData(16);
  data.pop_back();  // [DONE]
  for (auto _ : state) {
    for (const std::string& d : data) {
      benchmark::DoNotOptimize(nlohmann::json::parse(d, nullptr, false));
    }
  }
}
BENCHMARK(BM_Baseline_JsonDomParseStream16);

// Counts events only: the lexer's cost with no DOM.
struct CountingSax : nlohmann::json_sax<nlohmann::json> {
  size_t n = 0;
  bool null() override { return ++n; }
  bool boolean(bool) override { return ++n; }
  bool number_integer(number_integer_t) override { return ++n; }
  bool number_unsigned(number_unsigned_t) override { return ++n; }
  bool number_float(number_float_t, const string_t&) override { return ++n; }
  bool string(string_t&) override { return ++n; }
  bool binary(binary_t&) override { return ++n; }
  bool start_object(std::size_t) override { return ++n; }
  bool key(string_t&) override { return ++n; }
  bool end_object() override { return ++n; }
  bool start_array(std::size_t) override { return ++n; }
  bool end_array() override { return ++n; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

void BM_Baseline_JsonSaxStream16(benchmark::State& state) {
  std::vector<std::string> data = StreamEventData(16);
  data.pop_back();
  for (auto _ : state) {
    CountingSax sax;
    for (const std::string& d : data) nlohmann::json::sax_parse(d, &sax);
    benchmark::DoNotOptimize(sax.n);
  }
}
BENCHMARK(BM_Baseline_JsonSaxStream16);

// The floor of a purpose-built decoder: find each event's "content":"...", unescape it, and
// notice finish_reason, with no JSON library.
void BM_Baseline_ScanContentStream16(benchmark::State& state) {
  std::vector<std::string> data = StreamEventData(16);
  data.pop_back();
  const std::string_view kContent = "\"content\":\"";
  for (auto _ : state) {
    std::string text;
    int finished = 0;
    for (const std::string& d : data) {
      const std::string_view event(d);
      finished += event.find("\"finish_reason\":\"") != std::string_view::npos;
      const size_t at = event.find(kContent);
      if (at == std::string_view::npos) continue;
      for (size_t i = at + kContent.size(); i < event.size() && event[i] != '"'; ++i) {
        if (event[i] == '\\' && i + 1 < event.size()) {
          ++i;
          text.push_back(event[i] == 'n' ? '\n' : event[i]);
        } else {
          text.push_back(event[i]);
        }
      }
    }
    benchmark::DoNotOptimize(text);
    benchmark::DoNotOptimize(finished);
  }
}
BENCHMARK(BM_Baseline_ScanContentStream16);

}  // namespace
}  // namespace ptc::micro
