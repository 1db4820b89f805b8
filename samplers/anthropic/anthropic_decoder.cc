#include "samplers/anthropic/anthropic_decoder.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "samplers/anthropic/anthropic_errors.h"
#include "samplers/http/upstream_message.h"

namespace ptc::anthropic {
namespace {

using nlohmann::json;

// Tokens in `bytes` of text, estimated (about 4 bytes a token for English).
uint64_t EstimateTokens(uint64_t bytes) { return (bytes + 3) / 4; }

const json* Member(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

const json* StringMember(const json& object, const char* name) {
  const json* v = Member(object, name);
  return v != nullptr && v->is_string() ? v : nullptr;
}

// A non-negative integer member, or `fallback`.
// A non-negative count, at most kMaxReportedTokens; `fallback` when absent or negative.
uint64_t Count(const json& object, const char* name, uint64_t fallback) {
  const json* v = Member(object, name);
  if (v == nullptr || !v->is_number_integer()) return fallback;
  if (v->is_number_unsigned()) return std::min(v->get<uint64_t>(), kMaxReportedTokens);
  const int64_t n = v->get<int64_t>();
  return n < 0 ? fallback : std::min(static_cast<uint64_t>(n), kMaxReportedTokens);
}

}  // namespace

std::string FinishReason(std::string_view stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence") return "stop";
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "refusal") return "content_filter";
  return std::string(stop_reason);
}

absl::Status AnthropicDecoder::Malformed(std::string_view what) const {
  return absl::InternalError(
      absl::StrCat("Anthropic API: malformed response: ", std::string(what)));
}

void AnthropicDecoder::ReadUsage(const json& usage) {
  if (!usage.is_object()) return;
  input_tokens_ = Count(usage, "input_tokens", input_tokens_);
  cache_read_tokens_ = Count(usage, "cache_read_input_tokens", cache_read_tokens_);
  cache_creation_tokens_ = Count(usage, "cache_creation_input_tokens", cache_creation_tokens_);
}

void AnthropicDecoder::Emit(std::string_view piece, bool thinking, http::DecodeSink& sink) {
  if (piece.empty()) return;
  (thinking ? reasoning_ : text_).append(piece);
  ChainDelta delta;
  (thinking ? delta.reasoning : delta.text) = piece;
  delta.tokens = static_cast<uint32_t>(std::max<uint64_t>(1, EstimateTokens(piece.size())));
  sink.OnDelta(0, delta);
}

absl::Status AnthropicDecoder::OnError(const json& data) {
  const json* error = Member(data, "error");
  std::string message;
  error_type_.clear();
  if (error != nullptr) {
    if (const json* t = StringMember(*error, "type")) error_type_ = t->get<std::string>();
    if (const json* m = StringMember(*error, "message")) message = m->get<std::string>();
  }
  message = http::SafeUpstreamMessage(message, secret_);
  return absl::Status(
      CodeForErrorType(error_type_),
      absl::StrCat("Anthropic API stream error ", error_type_.empty() ? "(no type)" : error_type_,
                   message.empty() ? "" : ": ", message));
}

absl::Status AnthropicDecoder::OnEvent(const http::SseEvent& event, http::DecodeSink& sink) {
  if (complete_) return absl::OkStatus();  // nothing follows message_stop
  if (event.data.empty()) {
    // Every documented event has a JSON body; a bare named event carries nothing to decode.
    return absl::OkStatus();
  }
  const json data = json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  const std::string event_name = event.event.empty() ? "(unnamed)" : event.event;
  if (data.is_discarded() || !data.is_object()) {
    return Malformed(absl::StrCat("the data of event ", event_name, " is not a JSON object"));
  }
  // The data's `type` names the event; the SSE event name is the same when present.
  std::string type = event.event;
  if (const json* t = StringMember(data, "type")) type = t->get<std::string>();

  if (type == "ping") return absl::OkStatus();
  if (type == "error") return OnError(data);
  if (type == "message_start") {
    const json* message = Member(data, "message");
    if (message == nullptr || !message->is_object()) {
      return Malformed("message_start without a message");
    }
    if (const json* id = StringMember(*message, "id")) message_id_ = id->get<std::string>();
    if (const json* usage = Member(*message, "usage")) {
      ReadUsage(*usage);
      start_output_tokens_ = Count(*usage, "output_tokens", 0);
    }
    return absl::OkStatus();
  }
  if (type == "content_block_start") {
    const json* block = Member(data, "content_block");
    const json* block_type = block == nullptr ? nullptr : StringMember(*block, "type");
    if (block_type == nullptr) return Malformed("content_block_start without a block type");
    const std::string kind = block_type->get<std::string>();
    block_types_[Count(data, "index", 0)] = kind;
    // A block may start with content (usually empty).
    if (kind == "text") {
      if (const json* s = StringMember(*block, "text"))
        Emit(s->get_ref<const std::string&>(), false, sink);
    } else if (kind == "thinking") {
      if (const json* s = StringMember(*block, "thinking")) {
        Emit(s->get_ref<const std::string&>(), true, sink);
      }
    }
    return absl::OkStatus();
  }
  if (type == "content_block_delta") {
    const json* delta = Member(data, "delta");
    const json* delta_type = delta == nullptr ? nullptr : StringMember(*delta, "type");
    if (delta_type == nullptr) return Malformed("content_block_delta without a delta type");
    const std::string& kind = delta_type->get_ref<const std::string&>();
    if (kind == "text_delta" || kind == "thinking_delta") {
      const bool thinking = kind == "thinking_delta";
      const json* piece = StringMember(*delta, thinking ? "thinking" : "text");
      if (piece == nullptr) return Malformed(absl::StrCat(kind, " without its text"));
      Emit(piece->get_ref<const std::string&>(), thinking, sink);
    }
    // signature_delta, input_json_delta, citations_delta, ...: not part of either text.
    return absl::OkStatus();
  }
  if (type == "content_block_stop") return absl::OkStatus();
  if (type == "message_delta") {
    if (const json* delta = Member(data, "delta")) {
      if (const json* reason = StringMember(*delta, "stop_reason")) {
        stop_reason_ = reason->get<std::string>();
      }
    }
    if (const json* usage = Member(data, "usage")) {
      ReadUsage(*usage);  // newer API versions repeat the (cumulative) input counts here
      if (const json* out = Member(*usage, "output_tokens"); out && out->is_number_integer()) {
        output_tokens_ = Count(*usage, "output_tokens", output_tokens_);
        have_output_tokens_ = true;
      }
    }
    return absl::OkStatus();
  }
  if (type == "message_stop") {
    complete_ = true;
    return absl::OkStatus();
  }
  return absl::OkStatus();  // an event type added after this code was written
}

absl::Status AnthropicDecoder::OnBody(std::string_view body, http::DecodeSink& sink) {
  const json data = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded() || !data.is_object()) return Malformed("the body is not a JSON object");
  if (const json* t = StringMember(data, "type"); t && *t == "error") return OnError(data);
  const json* content = Member(data, "content");
  if (content == nullptr || !content->is_array()) return Malformed("a message without content");
  if (const json* id = StringMember(data, "id")) message_id_ = id->get<std::string>();
  for (const json& block : *content) {
    const json* kind = StringMember(block, "type");
    if (kind == nullptr) return Malformed("a content block without a type");
    if (*kind == "thinking") {
      if (const json* s = StringMember(block, "thinking")) {
        Emit(s->get_ref<const std::string&>(), true, sink);
      }
    } else if (*kind == "text") {
      if (const json* s = StringMember(block, "text")) {
        Emit(s->get_ref<const std::string&>(), false, sink);
      }
    }
  }
  if (const json* reason = StringMember(data, "stop_reason")) {
    stop_reason_ = reason->get<std::string>();
  }
  if (const json* usage = Member(data, "usage")) {
    ReadUsage(*usage);
    if (const json* out = Member(*usage, "output_tokens"); out && out->is_number_integer()) {
      output_tokens_ = Count(*usage, "output_tokens", 0);
      have_output_tokens_ = true;
    }
  }
  complete_ = true;
  return absl::OkStatus();
}

http::UpstreamError AnthropicDecoder::ClassifyStreamError(const absl::Status& status) const {
  http::UpstreamError out;
  out.status = status;
  // Only an `error` event can be transient; malformed data would come back malformed.
  out.retryable = status.code() != absl::StatusCode::kInternal && RetryableErrorType(error_type_);
  return out;
}

ChainResult AnthropicDecoder::TakeResult(uint32_t choice) {
  ChainResult result;
  if (choice != 0) return result;  // the API has no n: there is only choice 0
  result.text = std::move(text_);
  result.reasoning = std::move(reasoning_);
  text_.clear();
  reasoning_.clear();
  result.finish_reason = stop_reason_.empty() ? "" : FinishReason(stop_reason_);

  TokenUsage& usage = result.usage;
  usage.prompt = input_tokens_ + cache_read_tokens_ + cache_creation_tokens_;
  usage.cached_prompt = cache_read_tokens_;
  const uint64_t thinking_bytes = result.reasoning.size();
  const uint64_t text_bytes = result.text.size();
  const uint64_t output =
      have_output_tokens_
          ? output_tokens_
          : std::max(start_output_tokens_, EstimateTokens(thinking_bytes + text_bytes));
  if (thinking_bytes + text_bytes == 0) {
    usage.completion = output;
  } else {
    usage.reasoning = static_cast<uint64_t>(
        std::llround(static_cast<double>(output) * static_cast<double>(thinking_bytes) /
                     static_cast<double>(thinking_bytes + text_bytes)));
    usage.reasoning = std::min(usage.reasoning, output);
    usage.completion = output - usage.reasoning;
  }
  return result;
}

}  // namespace ptc::anthropic
