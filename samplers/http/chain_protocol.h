// What differs between HTTP model APIs (OpenAI-compatible chat completions, Anthropic Messages):
// how to write the request for some chains and how to read what comes back. HttpBackend
// (http_backend.h) does everything else: connections, streaming, retries, cancellation.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "samplers/backend.h"
#include "samplers/chain.h"
#include "samplers/http/http_client.h"
#include "samplers/http/sse_parser.h"

namespace ptc::http {

// A failed attempt as the protocol reads it.
struct UpstreamError {
  // The code (UNAVAILABLE for 5xx/529/overloaded, RESOURCE_EXHAUSTED for 429, INVALID_ARGUMENT
  // for 400, UNAUTHENTICATED/PERMISSION_DENIED for 401/403, ...) and a message taken from the
  // API's JSON error body when there is one. Never quotes an HTML page, a header or a key.
  absl::Status status;
  bool retryable = false;
  std::optional<std::chrono::milliseconds> retry_after;  // from `retry-after` when present
};

// Receives decoded output. `choice` is in [0, n) for a request made for n chains.
class DecodeSink {
 public:
  virtual ~DecodeSink() = default;
  virtual void OnDelta(uint32_t choice, const ChainDelta& delta) = 0;
};

// Decodes one attempt's response. One per attempt; used from one thread at a time.
class ResponseDecoder {
 public:
  virtual ~ResponseDecoder() = default;
  // Streaming responses: one call per SSE event. An error status (an `error` event, malformed
  // JSON) fails the attempt; its UpstreamError comes from ClassifyStreamError.
  virtual absl::Status OnEvent(const SseEvent& event, DecodeSink& sink) = 0;
  // Non-streaming responses: the whole body, once.
  virtual absl::Status OnBody(std::string_view body, DecodeSink& sink) = 0;
  // True once the terminal event ([DONE], message_stop) or the whole body has been decoded.
  virtual bool complete() const = 0;
  // Whether the failure `status` returned by OnEvent/OnBody may be retried (e.g. Anthropic's
  // `overloaded_error` event), and after how long.
  virtual UpstreamError ClassifyStreamError(const absl::Status& status) const = 0;
  // Choice `choice`'s result: text, reasoning (kept apart), finish reason and usage. Called once
  // per choice after complete(), or after a cancel / failure, when usage is what was streamed so
  // far (prompt tokens of the request plus the output tokens seen). Status is set by the caller.
  virtual ChainResult TakeResult(uint32_t choice) = 0;
};

class ChainProtocol {
 public:
  virtual ~ChainProtocol() = default;
  virtual const BackendCapabilities& capabilities() const = 0;
  virtual std::string_view default_model() const = 0;
  // Whether requests ask for a streamed (SSE) response.
  virtual bool streaming() const = 0;
  // The request for `n` chains sharing `spec` (n > 1 only when capabilities().native_n). Headers
  // include authentication. INVALID_ARGUMENT naming the setting when the spec asks for what this
  // API cannot do.
  virtual absl::StatusOr<Request> BuildRequest(const ChainSpec& spec, uint32_t n) const = 0;
  virtual std::unique_ptr<ResponseDecoder> NewDecoder(const ChainSpec& spec, uint32_t n) const = 0;
  // Reads a non-2xx answer (status, headers, and the body, at most 64 KiB of it).
  virtual UpstreamError ClassifyError(const ResponseHead& head, std::string_view body) const = 0;
};

}  // namespace ptc::http
