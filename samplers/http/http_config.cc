#include "samplers/http/http_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "samplers/http/url.h"

namespace ptc::http {
namespace {

std::chrono::milliseconds Ms(uint32_t value, std::chrono::milliseconds fallback) {
  return value == 0 ? fallback : std::chrono::milliseconds(value);
}

constexpr uint32_t kMaxAttemptsLimit = 20;

}  // namespace

absl::StatusOr<ClientOptions> ClientOptionsFromConfig(const v1::HttpConfig& config,
                                                      const std::string& default_endpoint) {
  ClientOptions options;
  for (int i = 0; i < config.endpoints_size(); ++i) {
    const std::string& endpoint = config.endpoints(i);
    if (absl::StatusOr<Url> url = ParseUrl(endpoint); !url.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("http.endpoints[", i, "] \"", endpoint, "\": ", url.status().message()));
    }
    options.endpoints.push_back(endpoint);
  }
  if (options.endpoints.empty()) {
    if (default_endpoint.empty()) {
      return absl::InvalidArgumentError("http.endpoints: at least one endpoint is required");
    }
    options.endpoints.push_back(default_endpoint);
  }
  if (config.max_connections_per_endpoint() != 0) {
    options.max_connections_per_endpoint = config.max_connections_per_endpoint();
  }
  options.ca_file = config.ca_file();
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.ca_file \"", options.ca_file, "\" cannot be read"));
  }
  options.verify_peer = !config.insecure_skip_verify();
  const Timeouts defaults;
  options.timeouts.connect = Ms(config.connect_timeout_ms(), defaults.connect);
  options.timeouts.first_byte = Ms(config.first_byte_timeout_ms(), defaults.first_byte);
  options.timeouts.idle = Ms(config.idle_timeout_ms(), defaults.idle);
  options.timeouts.total = Ms(config.total_timeout_ms(), defaults.total);
  const v1::CircuitBreakerConfig& cb = config.circuit_breaker();
  CircuitBreakerOptions& b = options.circuit_breaker;
  b.enabled = !cb.disabled();
  if (cb.consecutive_failures() != 0) b.consecutive_failures = cb.consecutive_failures();
  if (cb.failure_rate() != 0) {
    if (!(cb.failure_rate() > 0 && cb.failure_rate() <= 1)) {
      return absl::InvalidArgumentError("http.circuit_breaker.failure_rate must be in (0, 1]");
    }
    b.failure_rate = cb.failure_rate();
  }
  if (cb.window() != 0) b.window = cb.window();
  if (cb.min_requests() != 0) b.min_requests = cb.min_requests();
  if (b.window > 10'000) {
    return absl::InvalidArgumentError("http.circuit_breaker.window must be at most 10000");
  }
  if (b.min_requests > b.window) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.circuit_breaker.min_requests (", b.min_requests,
                     ") exceeds http.circuit_breaker.window (", b.window, ")"));
  }
  b.open_for = Ms(cb.open_ms(), b.open_for);
  const v1::OutlierDetectionConfig& od = config.outlier_detection();
  OutlierOptions& o = options.outlier;
  o.enabled = !od.disabled();
  o.interval = Ms(od.interval_ms(), o.interval);
  if (od.min_requests() != 0) o.min_requests = od.min_requests();
  if (od.has_failure_margin()) {
    if (!(od.failure_margin() > 0 && od.failure_margin() <= 1)) {
      return absl::InvalidArgumentError("http.outlier_detection.failure_margin must be in (0, 1]");
    }
    o.failure_margin = od.failure_margin();
  }
  if (od.has_latency_factor()) {
    if (!(od.latency_factor() == 0 || (od.latency_factor() >= 1 && od.latency_factor() <= 1000))) {
      return absl::InvalidArgumentError(
          "http.outlier_detection.latency_factor must be 0 (off) or in [1, 1000]");
    }
    o.latency_factor = od.latency_factor();
  }
  o.base_ejection = Ms(od.ejection_ms(), o.base_ejection);
  if (od.has_max_ejected_fraction()) {
    if (!(od.max_ejected_fraction() >= 0 && od.max_ejected_fraction() < 1)) {
      return absl::InvalidArgumentError(
          "http.outlier_detection.max_ejected_fraction must be in [0, 1)");
    }
    o.max_ejected_fraction = od.max_ejected_fraction();
  }
  return options;
}

absl::StatusOr<RetryOptions> RetryOptionsFromConfig(const v1::HttpConfig& config) {
  RetryOptions retry;
  const v1::RetryConfig& c = config.retry();
  if (c.max_attempts() > kMaxAttemptsLimit) {
    return absl::InvalidArgumentError(absl::StrCat("http.retry.max_attempts must be at most ",
                                                   kMaxAttemptsLimit, ", got ", c.max_attempts()));
  }
  if (c.max_attempts() != 0) retry.max_attempts = c.max_attempts();
  retry.initial_backoff = Ms(c.initial_backoff_ms(), retry.initial_backoff);
  retry.max_backoff = Ms(c.max_backoff_ms(), retry.max_backoff);
  if (c.has_budget_ratio()) {
    if (!(c.budget_ratio() >= 0 && c.budget_ratio() <= 10)) {
      return absl::InvalidArgumentError("http.retry.budget_ratio must be in [0, 10]");
    }
    retry.budget.ratio = c.budget_ratio();
  }
  if (c.has_budget_min_per_s()) {
    if (!(c.budget_min_per_s() >= 0 && c.budget_min_per_s() <= 10000)) {
      return absl::InvalidArgumentError("http.retry.budget_min_per_s must be in [0, 10000]");
    }
    retry.budget.min_per_second = c.budget_min_per_s();
  }
  if (retry.initial_backoff > retry.max_backoff) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.retry.initial_backoff_ms (", retry.initial_backoff.count(),
                     ") exceeds http.retry.max_backoff_ms (", retry.max_backoff.count(), ")"));
  }
  return retry;
}

absl::StatusOr<HedgeOptions> HedgeOptionsFromConfig(const v1::HttpConfig& config) {
  HedgeOptions hedge;
  const v1::HedgeConfig& c = config.hedge();
  if (c.after_ms() > 600000) {
    return absl::InvalidArgumentError("http.hedge.after_ms must be at most 600000");
  }
  hedge.after = std::chrono::milliseconds(c.after_ms());
  if (c.has_max_ratio()) {
    if (!(c.max_ratio() >= 0 && c.max_ratio() <= 1)) {
      return absl::InvalidArgumentError("http.hedge.max_ratio must be in [0, 1]");
    }
    hedge.max_ratio = c.max_ratio();
  }
  return hedge;
}

absl::StatusOr<HttpBackendOptions> BackendOptionsFromConfig(const v1::HttpConfig& config,
                                                            std::string name) {
  HttpBackendOptions options;
  options.name = std::move(name);
  ASSIGN_OR_RETURN(options.retry, RetryOptionsFromConfig(config));
  ASSIGN_OR_RETURN(options.hedge, HedgeOptionsFromConfig(config));
  return options;
}

absl::StatusOr<std::string> ReadApiKey(const v1::HttpConfig& config) {
  if (!config.api_key_env().empty() && !config.api_key_file().empty()) {
    return absl::InvalidArgumentError("set only one of http.api_key_env and http.api_key_file");
  }
  if (!config.api_key_env().empty()) {
    const char* value = std::getenv(config.api_key_env().c_str());
    if (value == nullptr || *value == '\0') {
      return absl::FailedPreconditionError(
          absl::StrCat("http.api_key_env: the environment variable ", config.api_key_env(),
                       " is not set or empty"));
    }
    return std::string(value);
  }
  if (!config.api_key_file().empty()) {
    std::ifstream in(config.api_key_file(), std::ios::binary);
    if (!in) {
      return absl::FailedPreconditionError(
          absl::StrCat("http.api_key_file: cannot read \"", config.api_key_file(), "\""));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    std::string key = contents.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("http.api_key_file: \"", config.api_key_file(), "\" is empty"));
    }
    return key;
  }
  return std::string();
}

void ApplyCapabilityOverrides(const v1::CapabilityOverrides& overrides, BackendCapabilities& caps) {
  if (overrides.has_native_n()) caps.native_n = overrides.native_n();
  if (overrides.has_logprobs()) caps.logprobs = overrides.logprobs();
  if (overrides.has_temperature()) caps.temperature = overrides.temperature();
  if (overrides.has_streaming()) caps.streaming = overrides.streaming();
}

ClientOptions WithCircuitHook(ClientOptions options, const BackendDeps& deps) {
  if (deps.circuit_state) {
    options.on_circuit_state = [report = deps.circuit_state](const std::string& endpoint,
                                                             CircuitState state) {
      report(endpoint, CircuitStateName(state));
    };
  }
  return options;
}

}  // namespace ptc::http
