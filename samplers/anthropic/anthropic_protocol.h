// AnthropicProtocol: the Anthropic Messages API (POST {endpoint}/v1/messages) as a ChainProtocol
// for http::HttpBackend. Immutable after construction; safe to use from any thread.
#pragma once

#include <memory>
#include <string_view>

#include "samplers/anthropic/anthropic_options.h"
#include "samplers/http/chain_protocol.h"

namespace ptc::anthropic {

class AnthropicProtocol : public http::ChainProtocol {
 public:
  explicit AnthropicProtocol(AnthropicOptions options) : options_(std::move(options)) {}

  const BackendCapabilities& capabilities() const override { return options_.capabilities; }
  std::string_view default_model() const override { return options_.default_model; }
  bool streaming() const override { return options_.capabilities.streaming; }
  absl::StatusOr<http::Request> BuildRequest(const ChainSpec& spec, uint32_t n) const override;
  std::unique_ptr<http::ResponseDecoder> NewDecoder(const ChainSpec& spec,
                                                    uint32_t n) const override;
  http::UpstreamError ClassifyError(const http::ResponseHead& head,
                                    std::string_view body) const override;

  const AnthropicOptions& options() const { return options_; }

 private:
  AnthropicOptions options_;
};

}  // namespace ptc::anthropic
