// Decodes OpenAI-compatible chat-completion answers: a stream of chat.completion.chunk events
// (ending with `data: [DONE]`) or one chat.completion body, for n choices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "samplers/http/chain_protocol.h"
#include "samplers/openai/chunk_scanner.h"
#include "samplers/openai/think_splitter.h"

namespace ptc::openai {

struct DecoderOptions {
  uint32_t n = 1;
  bool split_think_tags = true;
  bool think_open_at_start = false;  // ThinkSplitter's starts_inside
  uint32_t top_logprobs = 0;         // asked for; 0 = none
  uint64_t prompt_estimate = 0;      // EstimatePromptTokens, used until the server reports usage
  std::string api_key;               // masked out of error messages
  // Stream chunks of the common shape are read by a scanner (chunk_scanner.h), everything else by
  // the nlohmann DOM, with the same results; false: always the DOM (for the differential test).
  bool scan_chunks = true;
};

// Text: `delta.content` (`message.content`) is the visible answer, with inline <think>...</think>
// moved to the reasoning when split_think_tags; `reasoning_content` and `reasoning` (vLLM,
// SGLang, Ollama, OpenRouter) are reasoning.
//
// Tokens per delta: the number of logprob entries when the server sent logprobs, else 1 per
// chunk with output (streaming) or the reported completion tokens (whole body).
//
// Usage (TakeResult), kept disjoint:
//   reasoning = completion_tokens_details.reasoning_tokens (counted by OpenAI inside
//     completion_tokens, so subtracted from it); when the server reports no breakdown but
//     reasoning text came, completion_tokens is split in proportion to the tokens seen in each;
//   cached_prompt = prompt_tokens_details.cached_tokens.
//   With n > 1 choices (one usage for the whole request) choice 0 carries the prompt and cached
//   tokens, which the API bills once, and the output tokens are shared out in proportion to the
//   tokens seen per choice, so that the choices add up to what the server reported.
//   Before usage arrives (cancelled, failed): prompt = prompt_estimate (bytes / 4), output =
//   tokens seen.
//
// Never throws: malformed JSON, or JSON of the wrong shape, is an INTERNAL status naming what
// was wrong, without quoting the payload. One thread at a time.
class OpenAiDecoder : public http::ResponseDecoder {
 public:
  explicit OpenAiDecoder(DecoderOptions options);

  absl::Status OnEvent(const http::SseEvent& event, http::DecodeSink& sink) override;
  absl::Status OnBody(std::string_view body, http::DecodeSink& sink) override;
  bool complete() const override { return complete_; }
  http::UpstreamError ClassifyStreamError(const absl::Status& status) const override;
  ChainResult TakeResult(uint32_t choice) override;

 private:
  using Json = nlohmann::json;

  struct Choice {
    std::string text;
    std::string reasoning;
    std::string finish_reason;
    ThinkSplitter splitter;
    bool flushed = false;
    uint64_t text_tokens = 0;  // seen
    uint64_t reasoning_tokens = 0;
    double confidence_sum = 0;  // sum over tokens of -mean(top logprobs)
    uint64_t confidence_tokens = 0;
  };

  struct Usage {
    uint64_t prompt = 0;
    uint64_t completion = 0;  // including reasoning
    std::optional<uint64_t> reasoning;
    uint64_t cached = 0;
  };

  absl::Status Fail(absl::Status status);
  absl::Status ErrorObject(const Json& error_json);
  absl::Status DecodeChunk(const Json& chunk, http::DecodeSink& sink);
  // The fast path: false (nothing done) when the scanner does not take `data`.
  bool DecodeScanned(std::string_view data, http::DecodeSink& sink);
  absl::Status ReadUsage(const Json& usage);
  absl::StatusOr<uint32_t> ChoiceIndex(const Json& choice) const;
  // Reads `logprobs.content` into lp_ / top_ / top_k_; returns the number of entries (nullopt
  // when the choice has none).
  absl::StatusOr<std::optional<uint32_t>> ReadLogprobs(const Json& choice);
  absl::Status ReadText(const Json& delta, const char* where, std::string* content,
                        std::string* reasoning) const;
  void Emit(uint32_t index, std::string_view content, std::string_view reasoning_field,
            uint32_t tokens, http::DecodeSink& sink);
  void FlushChoice(uint32_t index, http::DecodeSink* sink);
  // Splits the reported usage between the choices (once, after usage arrived).
  void ShareUsage();

  const DecoderOptions options_;
  std::vector<Choice> choices_;
  std::optional<Usage> usage_;
  std::vector<TokenUsage> shares_;  // per choice, from usage_
  bool complete_ = false;
  std::optional<http::UpstreamError> last_error_;
  // Scratch for one delta's logprobs.
  std::vector<float> lp_, top_;
  uint32_t top_k_ = 0;
  StreamScanner scanner_;  // the stream's chunks, when options_.scan_chunks
};

}  // namespace ptc::openai
