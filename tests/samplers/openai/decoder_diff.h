// The differential check of OpenAiDecoder's two stream paths (the chunk scanner and the nlohmann
// DOM): runs the same SSE events through a decoder of each and compares everything observable,
// byte for byte: every status (and its classification), every delta (text, reasoning, tokens,
// the bits of every logprob), complete(), and every choice's TakeResult. Used by
// openai_fast_path_test.cc and tests/fuzz/openai_decoder_fuzzer.cc.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "samplers/http/sse_parser.h"
#include "samplers/openai/openai_decoder.h"

namespace ptc::openai::diff {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

class TraceSink : public http::DecodeSink {
 public:
  explicit TraceSink(std::string* trace) : trace_(trace) {}
  void OnDelta(uint32_t choice, const ChainDelta& d) override {
    absl::StrAppend(trace_, "delta ", choice, " tokens ", d.tokens, " text ", d.text.size(), ":",
                    Sv(d.text), " reasoning ", d.reasoning.size(), ":", Sv(d.reasoning), " lp");
    for (const float f : d.logprobs) absl::StrAppend(trace_, " ", std::bit_cast<uint32_t>(f));
    absl::StrAppend(trace_, " top ", d.top_k);
    for (const float f : d.top_logprobs) absl::StrAppend(trace_, " ", std::bit_cast<uint32_t>(f));
    trace_->push_back('\n');
  }

 private:
  std::string* trace_;
};

// Everything observable of decoding `events` with `options`.
inline std::string Trace(const DecoderOptions& options, const std::vector<http::SseEvent>& events) {
  std::string trace;
  OpenAiDecoder decoder(options);
  TraceSink sink(&trace);
  for (const http::SseEvent& event : events) {
    const absl::Status s = decoder.OnEvent(event, sink);
    absl::StrAppend(&trace, "status ", s.ToString(), "\n");
    if (!s.ok()) {
      const http::UpstreamError e = decoder.ClassifyStreamError(s);
      absl::StrAppend(&trace, "classified ", e.status.ToString(), " ", e.retryable, " ",
                      e.retry_after.has_value() ? e.retry_after->count() : -1, "\n");
    }
  }
  absl::StrAppend(&trace, "complete ", decoder.complete(), "\n");
  for (uint32_t i = 0; i < std::max(options.n, 1u); ++i) {
    const ChainResult r = decoder.TakeResult(i);
    absl::StrAppend(&trace, "result ", i, " text ", r.text.size(), ":", r.text, " reasoning ",
                    r.reasoning.size(), ":", r.reasoning, " finish ", r.finish_reason, " usage ",
                    r.usage.prompt, " ", r.usage.cached_prompt, " ", r.usage.completion, " ",
                    r.usage.reasoning, " confidence ",
                    r.mean_token_confidence.has_value()
                        ? absl::StrCat(std::bit_cast<uint64_t>(*r.mean_token_confidence))
                        : "none",
                    "\n");
  }
  return trace;
}

// "" when the scanner path and the DOM path give the same; else both traces.
inline std::string Difference(DecoderOptions options, const std::vector<http::SseEvent>& events) {
  options.scan_chunks = true;
  const std::string fast = Trace(options, events);
  options.scan_chunks = false;
  const std::string dom = Trace(options, events);
  if (fast == dom) return "";
  return absl::StrCat("scanner path:\n", fast, "DOM path:\n", dom);
}

// The events of a text/event-stream body (as the SSE parser gives them).
inline std::vector<http::SseEvent> Events(std::string_view stream) {
  std::vector<http::SseEvent> events;
  http::SseParser parser;
  (void)parser.Feed(stream, [&](const http::SseEvent& e) { events.push_back(e); });
  return events;
}

}  // namespace ptc::openai::diff
