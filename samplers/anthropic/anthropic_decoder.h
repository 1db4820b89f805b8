// Decodes one Anthropic Messages response: the SSE event stream (message_start,
// content_block_start/delta/stop, message_delta, message_stop, ping, error) or a whole JSON body.
//
// - thinking_delta text goes to ChainDelta::reasoning, text_delta to ChainDelta::text; signatures
//   (signature_delta, a thinking block's `signature`) and redacted_thinking blocks go to neither.
// - Usage: prompt = input_tokens + cache_read_input_tokens + cache_creation_input_tokens,
//   cached_prompt = cache_read_input_tokens. The API reports one output count that includes the
//   thinking; it is split into reasoning and completion in proportion to the bytes of thinking
//   and of text streamed (the API gives no exact split).
// - Output tokens are message_delta's cumulative count; before any message_delta (a cancel or a
//   failure mid-stream) they are estimated as streamed bytes / 4, and never below message_start's
//   count. ChainDelta::tokens is the same bytes / 4 estimate (at least 1 per non-empty delta).
// - finish_reason: end_turn and stop_sequence -> "stop", max_tokens and
//   model_context_window_exceeded -> "length", refusal -> "content_filter", others as sent.
// - An `error` event fails the attempt with the code of its error type; ClassifyStreamError says
//   overloaded_error, api_error, rate_limit_error and timeout_error may be retried. Malformed JSON
//   fails the attempt with INTERNAL (not retried). Unknown event and delta types are ignored, as
//   Anthropic's versioning policy asks.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "nlohmann/json.hpp"
#include "samplers/http/chain_protocol.h"

namespace ptc::anthropic {

class AnthropicDecoder : public http::ResponseDecoder {
 public:
  // `secret` (the API key) is redacted from error messages.
  explicit AnthropicDecoder(std::string secret = "") : secret_(std::move(secret)) {}

  absl::Status OnEvent(const http::SseEvent& event, http::DecodeSink& sink) override;
  absl::Status OnBody(std::string_view body, http::DecodeSink& sink) override;
  bool complete() const override { return complete_; }
  http::UpstreamError ClassifyStreamError(const absl::Status& status) const override;
  ChainResult TakeResult(uint32_t choice) override;

  // The message id from message_start (or the body), for logs.
  const std::string& message_id() const { return message_id_; }

 private:
  absl::Status Malformed(std::string_view what) const;
  void ReadUsage(const nlohmann::json& usage);
  void Emit(std::string_view piece, bool thinking, http::DecodeSink& sink);
  absl::Status OnError(const nlohmann::json& data);

  std::string secret_;
  bool complete_ = false;
  std::string message_id_;
  std::map<uint64_t, std::string> block_types_;  // content block index -> type
  std::string text_;
  std::string reasoning_;
  std::string stop_reason_;
  uint64_t input_tokens_ = 0;
  uint64_t cache_read_tokens_ = 0;
  uint64_t cache_creation_tokens_ = 0;
  uint64_t start_output_tokens_ = 0;  // message_start's (usually 1)
  uint64_t output_tokens_ = 0;        // the last message_delta's (cumulative)
  bool have_output_tokens_ = false;
  std::string error_type_;  // the last `error` event's type
};

// Maps Anthropic's stop_reason to the finish reasons the service reports.
std::string FinishReason(std::string_view stop_reason);

}  // namespace ptc::anthropic
