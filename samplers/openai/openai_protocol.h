// OpenAiProtocol: the ChainProtocol of OpenAI-compatible chat completions (OpenAI, vLLM, SGLang,
// llama.cpp server, Ollama): POST {endpoint}/chat/completions, streamed as SSE or not.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "samplers/http/chain_protocol.h"
#include "samplers/openai/openai_options.h"

namespace ptc::openai {

// Immutable after construction; every method is thread-safe.
class OpenAiProtocol : public http::ChainProtocol {
 public:
  // `options.capabilities` are final (flavour defaults with the configured overrides applied).
  explicit OpenAiProtocol(OpenAiOptions options);

  const BackendCapabilities& capabilities() const override { return options_.capabilities; }
  std::string_view default_model() const override { return options_.default_model; }
  bool streaming() const override { return options_.capabilities.streaming; }
  absl::StatusOr<http::Request> BuildRequest(const ChainSpec& spec, uint32_t n) const override;
  std::unique_ptr<http::ResponseDecoder> NewDecoder(const ChainSpec& spec,
                                                    uint32_t n) const override;
  http::UpstreamError ClassifyError(const http::ResponseHead& head,
                                    std::string_view body) const override;

  const OpenAiOptions& options() const { return options_; }

 private:
  const OpenAiOptions options_;
};

}  // namespace ptc::openai
