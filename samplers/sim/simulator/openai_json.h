// The OpenAI chat-completions wire format, as the simulator speaks it: parsing a
// CreateChatCompletionRequest and building CreateChatCompletionResponse,
// CreateChatCompletionStreamResponse, ListModelsResponse and ErrorResponse bodies. No sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "samplers/chain.h"
#include "samplers/sim/simulator/choice_generator.h"

namespace ptc::sim {

inline constexpr uint32_t kMaxChoices = 128;
inline constexpr uint32_t kMaxTopLogprobs = 20;

struct ChatRequest {
  std::string model;  // empty = the configured default model
  std::shared_ptr<const std::vector<ChatMessage>> messages;
  uint32_t n = 1;
  std::optional<float> temperature;
  std::optional<float> top_p;
  std::optional<int64_t> seed;
  uint32_t max_tokens = 0;  // max_completion_tokens, else max_tokens; 0 = no limit
  bool logprobs = false;
  uint32_t top_logprobs = 0;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Parses a request body. On error returns InvalidArgument with a message naming the field, and
// sets *param to that field ("messages[0].content", empty when the body is not JSON at all).
absl::StatusOr<ChatRequest> ParseChatRequest(std::string_view body, std::string* param);

// {"error": {"message", "type", "param", "code"}}; an empty param or code is null.
std::string ErrorBody(std::string_view message, std::string_view type, std::string_view param = {},
                      std::string_view code = {});

// {"object": "list", "data": [{"id", "object": "model", "created", "owned_by": "ptc"}]}
std::string ModelsBody(const std::string& model, int64_t created);

// What every response body of one completion shares.
struct CompletionHeader {
  std::string id;  // "chatcmpl-..."
  int64_t created = 0;
  std::string model;
};

struct ChoiceOutput {
  std::string text;
  std::string finish_reason;
  std::vector<TokenLogprob> logprobs;
};

struct Usage {
  uint64_t prompt = 0;
  uint64_t completion = 0;
};

// A non-streamed chat.completion; choices[i].logprobs is null unless `logprobs`.
std::string CompletionBody(const CompletionHeader& h, const std::vector<ChoiceOutput>& choices,
                           bool logprobs, const Usage& usage);

// One chat.completion.chunk with a single choice. role: include delta.role; content: null when
// absent; logprobs: null when nullptr; finish_reason: null when nullptr.
std::string ChunkBody(const CompletionHeader& h, uint32_t index, bool role,
                      const std::string* content, const std::vector<TokenLogprob>* logprobs,
                      const char* finish_reason);

// The last chunk when stream_options.include_usage: no choices, the usage of the request.
std::string UsageChunkBody(const CompletionHeader& h, const Usage& usage);

}  // namespace ptc::sim
