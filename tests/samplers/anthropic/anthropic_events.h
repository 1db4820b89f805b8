// Anthropic Messages streaming event sequences in the documented shapes, for the decoder tests
// and the end-to-end tests (which write them out as SSE with ToSse).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "samplers/http/sse_parser.h"

namespace ptc::anthropic::testing_events {

inline constexpr char kMessageId[] = "msg_01ABCdef";
inline constexpr char kThinking[] =
    "The question asks for 2+2. Adding two and two gives four, which is option (C).";
inline constexpr char kText[] = "The answer is (C).";
inline constexpr char kSignature[] = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds";
inline constexpr uint64_t kInputTokens = 472;
inline constexpr uint64_t kCacheReadTokens = 100;
inline constexpr uint64_t kCacheCreationTokens = 20;
inline constexpr uint64_t kOutputTokens = 61;

inline http::SseEvent Event(const std::string& type, nlohmann::json data) {
  data["type"] = type;
  return {type, data.dump(), ""};
}

inline http::SseEvent MessageStart(uint64_t input, uint64_t cache_read, uint64_t cache_creation) {
  return Event("message_start", {{"message",
                                  {{"id", kMessageId},
                                   {"type", "message"},
                                   {"role", "assistant"},
                                   {"content", nlohmann::json::array()},
                                   {"model", "claude-sonnet-4-5"},
                                   {"stop_reason", nullptr},
                                   {"stop_sequence", nullptr},
                                   {"usage",
                                    {{"input_tokens", input},
                                     {"cache_read_input_tokens", cache_read},
                                     {"cache_creation_input_tokens", cache_creation},
                                     {"output_tokens", 1}}}}}});
}

inline http::SseEvent BlockStart(int index, const std::string& type) {
  nlohmann::json block = {{"type", type}};
  if (type == "text") block["text"] = "";
  if (type == "thinking") block["thinking"] = "";
  return Event("content_block_start", {{"index", index}, {"content_block", block}});
}

inline http::SseEvent Delta(int index, const std::string& type, const std::string& field,
                            const std::string& value) {
  return Event("content_block_delta",
               {{"index", index}, {"delta", {{"type", type}, {field, value}}}});
}

inline http::SseEvent BlockStop(int index) {
  return Event("content_block_stop", {{"index", index}});
}

inline http::SseEvent MessageDelta(const std::string& stop_reason, uint64_t output_tokens) {
  return Event("message_delta",
               {{"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                {"usage", {{"output_tokens", output_tokens}}}});
}

inline http::SseEvent MessageStop() { return Event("message_stop", nlohmann::json::object()); }
inline http::SseEvent Ping() { return Event("ping", nlohmann::json::object()); }

inline http::SseEvent ErrorEvent(const std::string& type, const std::string& message) {
  return Event("error", {{"error", {{"type", type}, {"message", message}}}});
}

// Splits `s` into pieces of about `n` bytes (on byte boundaries: the decoder must not care).
inline std::vector<std::string> Chunks(const std::string& s, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size(); i += n) out.push_back(s.substr(i, n));
  return out;
}

// A thinking block (with its signature), then a text block, with pings, as extended thinking
// streams it.
inline std::vector<http::SseEvent> ThinkingThenText() {
  std::vector<http::SseEvent> events;
  events.push_back(MessageStart(kInputTokens, kCacheReadTokens, kCacheCreationTokens));
  events.push_back(BlockStart(0, "thinking"));
  events.push_back(Ping());
  for (const std::string& piece : Chunks(kThinking, 20)) {
    events.push_back(Delta(0, "thinking_delta", "thinking", piece));
  }
  events.push_back(Delta(0, "signature_delta", "signature", kSignature));
  events.push_back(BlockStop(0));
  events.push_back(BlockStart(1, "text"));
  for (const std::string& piece : Chunks(kText, 7)) {
    events.push_back(Delta(1, "text_delta", "text", piece));
  }
  events.push_back(BlockStop(1));
  events.push_back(MessageDelta("end_turn", kOutputTokens));
  events.push_back(MessageStop());
  return events;
}

inline std::vector<http::SseEvent> TextOnly(const std::string& text, const std::string& stop_reason,
                                            uint64_t output_tokens) {
  std::vector<http::SseEvent> events;
  events.push_back(MessageStart(10, 0, 0));
  events.push_back(BlockStart(0, "text"));
  events.push_back(Delta(0, "text_delta", "text", text));
  events.push_back(BlockStop(0));
  events.push_back(MessageDelta(stop_reason, output_tokens));
  events.push_back(MessageStop());
  return events;
}

// The wire form: "event: NAME\ndata: JSON\n\n" per event.
inline std::string ToSse(const std::vector<http::SseEvent>& events) {
  std::string out;
  for (const http::SseEvent& e : events) out += "event: " + e.event + "\ndata: " + e.data + "\n\n";
  return out;
}

}  // namespace ptc::anthropic::testing_events
