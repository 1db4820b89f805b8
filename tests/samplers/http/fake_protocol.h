// A fake ChainProtocol with a trivial wire format, for tests of HttpBackend.
//
// Streaming: each SSE event's data is "<choice> <text>" (one token of output for that choice),
// "[DONE]" ends the response, and an event named "error" fails the attempt (retryable when its
// data is "overloaded"). Non-streaming: the body holds one "<choice> <text>" per line.
// Errors: 429 -> RESOURCE_EXHAUSTED, 5xx and 529 -> UNAVAILABLE (both retryable, retry-after in
// seconds honoured), others -> INVALID_ARGUMENT; the message is "HTTP <code>" plus a JSON body's
// text, never an HTML page. Requests carry an API key header whose value is kFakeApiKey.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "samplers/http/chain_protocol.h"

namespace ptc::http {

inline constexpr char kFakeApiKey[] = "fake-key-SECRET-0042";

class FakeDecoder : public ResponseDecoder {
 public:
  explicit FakeDecoder(uint32_t n) : n_(n) {}

  absl::Status OnEvent(const SseEvent& event, DecodeSink& sink) override {
    if (event.event == "error") return absl::UnavailableError(event.data);
    if (event.data == "[DONE]") {
      complete_ = true;
      return absl::OkStatus();
    }
    return Line(event.data, sink);
  }
  absl::Status OnBody(std::string_view body, DecodeSink& sink) override {
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      if (end > start) {
        if (absl::Status s = Line(body.substr(start, end - start), sink); !s.ok()) return s;
      }
      start = end + 1;
    }
    complete_ = true;
    return absl::OkStatus();
  }
  bool complete() const override { return complete_; }
  UpstreamError ClassifyStreamError(const absl::Status& status) const override {
    return UpstreamError{status, status.message() == "overloaded", std::nullopt};
  }
  ChainResult TakeResult(uint32_t choice) override {
    ChainResult r;
    r.text = texts_[choice];
    r.usage.prompt = 10;
    r.usage.completion = tokens_[choice];
    r.finish_reason = complete_ ? "stop" : "";
    return r;
  }

 private:
  absl::Status Line(std::string_view line, DecodeSink& sink) {
    const size_t space = line.find(' ');
    uint32_t choice = 0;
    if (space == std::string_view::npos ||
        !absl::SimpleAtoi(absl::string_view(line.data(), space), &choice) || choice >= n_) {
      return absl::InternalError(absl::StrCat("malformed event \"", std::string(line), "\""));
    }
    const std::string_view text = line.substr(space + 1);
    texts_[choice] += text;
    ++tokens_[choice];
    ChainDelta d;
    d.text = text;
    d.tokens = 1;
    sink.OnDelta(choice, d);
    return absl::OkStatus();
  }

  const uint32_t n_;
  bool complete_ = false;
  std::map<uint32_t, std::string> texts_;
  std::map<uint32_t, uint64_t> tokens_;
};

class FakeProtocol : public ChainProtocol {
 public:
  explicit FakeProtocol(bool streaming = true, bool native_n = false) : streaming_(streaming) {
    caps_.native_n = native_n;
  }
  const BackendCapabilities& capabilities() const override { return caps_; }
  std::string_view default_model() const override { return "fake-model"; }
  bool streaming() const override { return streaming_; }
  absl::StatusOr<Request> BuildRequest(const ChainSpec& spec, uint32_t n) const override {
    Request r;
    r.path = "/fake";
    r.headers = {{"x-api-key", kFakeApiKey}};
    r.body = absl::StrCat("model=", spec.model, " n=", n, " index=", spec.index);
    return r;
  }
  std::unique_ptr<ResponseDecoder> NewDecoder(const ChainSpec&, uint32_t n) const override {
    return std::make_unique<FakeDecoder>(n);
  }
  UpstreamError ClassifyError(const ResponseHead& head, std::string_view body) const override {
    UpstreamError e;
    std::string message = absl::StrCat("HTTP ", head.status);
    const auto type = head.Header("content-type");
    if (type && type->find("json") != std::string_view::npos) {
      absl::StrAppend(&message, ": ", std::string(body));
    }
    if (head.status == 429) {
      e.status = absl::ResourceExhaustedError(message);
      e.retryable = true;
    } else if (head.status >= 500) {
      e.status = absl::UnavailableError(message);
      e.retryable = true;
    } else {
      e.status = absl::InvalidArgumentError(message);
    }
    int seconds = 0;
    if (auto ra = head.Header("retry-after");
        ra && absl::SimpleAtoi(absl::string_view(ra->data(), ra->size()), &seconds)) {
      e.retry_after = std::chrono::seconds(seconds);
    }
    return e;
  }

 private:
  BackendCapabilities caps_;
  bool streaming_;
};

}  // namespace ptc::http
