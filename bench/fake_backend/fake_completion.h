// What the fake backend answers, without sockets: the per-model profile (time to first token, gap
// between tokens, length, answer letter), a fast scan of a chat-completions request body, and the
// canned OpenAI-shaped bodies (a chat.completion, or chat.completion.chunk server-sent events).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ptc::fake {

// How one completion is paced and what it says.
struct FakeProfile {
  uint32_t ttft_ms = 0;  // from the request to the first token
  uint32_t gap_ms = 0;   // between tokens
  uint32_t tokens = 16;  // per choice; the last one carries "Answer: <answer>"
  std::string answer = "B";
};

// A model name may override the server's profile: "NAME:key=value:key=value...", keys ttft_ms,
// gap_ms, tokens (>= 1) and answer (1-16 characters of [A-Za-z0-9]), e.g.
// "fake:ttft_ms=0:gap_ms=500:tokens=60". INVALID_ARGUMENT naming the bad part.
absl::StatusOr<FakeProfile> ApplyModelOverrides(std::string_view model, FakeProfile base);

// The fields of a CreateChatCompletionRequest the fake backend uses. The scan looks for each key
// (a JSON string followed by ':') anywhere in the body, not at the top level only: enough for the
// bodies real clients send, and several times cheaper than a parse.
struct FakeRequest {
  std::string model;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  uint32_t n = 1;              // 1..128
  uint32_t max_tokens = 0;     // max_completion_tokens, else max_tokens; 0 = none
  size_t body_bytes = 0;
};

// INVALID_ARGUMENT when the body is not a JSON object with a "messages" key, or a field has the
// wrong type.
absl::StatusOr<FakeRequest> ScanChatRequest(std::string_view body);

// One completion: `tokens` tokens per choice (the profile's, cut at max_tokens), all choices
// saying the same canned text.
class FakeCompletion {
 public:
  FakeCompletion(const FakeRequest& request, const FakeProfile& profile, uint64_t id);

  uint32_t tokens() const { return tokens_; }
  bool truncated() const { return truncated_; }
  const FakeProfile& profile() const { return profile_; }
  // Token i's text (i < tokens()).
  std::string_view Token(uint32_t i) const;
  // The whole visible text of a choice.
  std::string Text() const;

  // A chat.completion body (non-streamed).
  std::string Body() const;
  // Streamed, as "data: {...}\n\n" events: the first chunk of each choice (delta.role), then
  // token i of every choice, then the finish chunks, the usage chunk (when asked for) and
  // "data: [DONE]".
  void AppendHeadEvents(std::string* out) const;
  void AppendTokenEvents(uint32_t i, std::string* out) const;
  void AppendTailEvents(std::string* out) const;

 private:
  void AppendChunkPrefix(std::string* out) const;

  FakeRequest request_;
  FakeProfile profile_;
  std::string id_;
  std::string final_token_;
  uint32_t tokens_ = 0;
  bool truncated_ = false;
};

}  // namespace ptc::fake
