#include "service/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "ptc/v1/backends/sim.pb.h"
#include "re2/re2.h"
#include "samplers/backend_registry.h"
#include "service/admission/tenants.h"
#include "service/tls_config.h"

namespace ptc {
namespace {

class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message));
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ValidateAddress(absl::string_view field, const std::string& address) {
  static const RE2 kHostPort(R"((\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5}))");
  int port = 0;
  if (!RE2::FullMatch(address, kHostPort, nullptr, &port) || port > 65535) {
    return FieldError(field, absl::StrCat("\"", address, "\" is not HOST:PORT"));
  }
  return absl::OkStatus();
}

}  // namespace

v1::ServerLimits WithDefaults(v1::ServerLimits l) {
  if (l.max_chains_per_request() == 0) l.set_max_chains_per_request(256);
  if (l.max_groups() == 0) l.set_max_groups(16);
  if (l.max_messages() == 0) l.set_max_messages(64);
  if (l.max_prompt_bytes() == 0) l.set_max_prompt_bytes(256 * 1024);
  if (l.max_tokens_per_chain() == 0) l.set_max_tokens_per_chain(32768);
  if (l.default_max_tokens() == 0) l.set_default_max_tokens(4096);
  if (l.max_cost_usd_per_request() == 0) l.set_max_cost_usd_per_request(10);
  if (l.max_pattern_bytes() == 0) l.set_max_pattern_bytes(1024);
  if (l.max_label_bytes() == 0) l.set_max_label_bytes(256);
  return l;
}

v1::ServerConfig WithDefaults(v1::ServerConfig c) {
  if (c.listen().empty()) c.set_listen("127.0.0.1:50051");
  if (c.metrics_listen().empty()) c.set_metrics_listen("127.0.0.1:9464");
  if (c.default_backend().empty() && c.backends_size() > 0) {
    c.set_default_backend(c.backends(0).name());
  }
  if (c.max_experiment_labels() == 0) c.set_max_experiment_labels(32);
  if (c.has_tls() && c.tls().reload_interval_s() == 0) {
    c.mutable_tls()->set_reload_interval_s(kDefaultTlsReloadIntervalS);
  }
  *c.mutable_limits() = WithDefaults(c.limits());
  WithAdmissionDefaults(c);
  return c;
}

v1::ServerConfig DefaultServerConfig() {
  v1::ServerConfig c;
  v1::BackendConfig* b = c.add_backends();
  b->set_name("sim");
  b->mutable_config()->PackFrom(v1::SimBackendConfig());
  // Illustrative prices (Claude 3.7 Sonnet's list price), so that cost figures mean something.
  v1::ModelPrice* p = c.add_pricing();
  p->set_backend("sim");
  p->set_input_usd_per_mtok(3.0);
  p->set_output_usd_per_mtok(15.0);
  return WithDefaults(std::move(c));
}

v1::ServerConfig LocalServerConfig(v1::ServerConfig base) {
  base.set_listen("127.0.0.1:0");
  base.set_metrics_listen("off");
  return base;
}

absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& text,
                                                   const std::string& source_name) {
  v1::ServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", errors.Joined()));
  }
  config = WithDefaults(std::move(config));
  absl::Status s = ValidateServerConfig(config);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", s.message()));
  return config;
}

absl::StatusOr<v1::ServerConfig> LoadServerConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseServerConfig(ss.str(), path);
}

absl::Status ValidateServerConfig(const v1::ServerConfig& c) {
  RETURN_IF_ERROR(ValidateAddress("listen", c.listen()));
  if (c.metrics_listen() != "off")
    RETURN_IF_ERROR(ValidateAddress("metrics_listen", c.metrics_listen()));
  if (c.worker_threads() > 256) return FieldError("worker_threads", "at most 256");
  RETURN_IF_ERROR(ValidateTlsConfig(c.tls()));
  if (c.backends_size() == 0) return FieldError("backends", "at least one backend is required");
  static const RE2 kName("[a-z0-9_-]{1,64}");
  std::set<std::string> names;
  for (int i = 0; i < c.backends_size(); ++i) {
    const v1::BackendConfig& b = c.backends(i);
    const std::string field = absl::StrCat("backends[", i, "]");
    if (!RE2::FullMatch(b.name(), kName)) {
      return FieldError(field + ".name",
                        absl::StrCat("\"", b.name(), "\" is not [a-z0-9_-]{1,64}"));
    }
    if (!names.insert(b.name()).second) {
      return FieldError(field + ".name", absl::StrCat("duplicate \"", b.name(), "\""));
    }
    if (!b.has_config()) return FieldError(field + ".config", "missing");
    auto factory = BackendRegistry::Global().Find(AnyTypeName(b.config()));
    if (!factory.ok()) return FieldError(field + ".config", factory.status().message());
  }
  if (!names.count(c.default_backend())) {
    return FieldError("default_backend",
                      absl::StrCat("no backend named \"", c.default_backend(), "\""));
  }
  std::set<std::pair<std::string, std::string>> priced;
  for (int i = 0; i < c.pricing_size(); ++i) {
    const v1::ModelPrice& p = c.pricing(i);
    const std::string field = absl::StrCat("pricing[", i, "]");
    if (!names.count(p.backend())) {
      return FieldError(field + ".backend", absl::StrCat("no backend named \"", p.backend(), "\""));
    }
    if (!(p.input_usd_per_mtok() >= 0 && p.input_usd_per_mtok() < 1e4)) {
      return FieldError(field + ".input_usd_per_mtok", "must be in [0, 10000)");
    }
    if (!(p.output_usd_per_mtok() >= 0 && p.output_usd_per_mtok() < 1e4)) {
      return FieldError(field + ".output_usd_per_mtok", "must be in [0, 10000)");
    }
    if (p.has_cached_input_usd_per_mtok() &&
        !(p.cached_input_usd_per_mtok() >= 0 && p.cached_input_usd_per_mtok() < 1e4)) {
      return FieldError(field + ".cached_input_usd_per_mtok", "must be in [0, 10000)");
    }
    if (!priced.emplace(p.backend(), p.model()).second) {
      return FieldError(field, absl::StrCat("duplicate price for backend \"", p.backend(),
                                            "\" model \"", p.model(), "\""));
    }
  }
  const v1::ServerLimits& l = c.limits();
  if (l.max_chains_per_request() > 100000) {
    return FieldError("limits.max_chains_per_request", "at most 100000");
  }
  if (l.default_max_tokens() > l.max_tokens_per_chain()) {
    return FieldError("limits.default_max_tokens", "above limits.max_tokens_per_chain");
  }
  if (!(l.max_cost_usd_per_request() > 0)) {
    return FieldError("limits.max_cost_usd_per_request", "must be > 0");
  }
  if (c.max_experiment_labels() > 10000)
    return FieldError("max_experiment_labels", "at most 10000");
  RETURN_IF_ERROR(ValidateTenants(c.tenants()));
  for (int i = 0; i < c.tenants_size(); ++i) {
    for (int b = 0; b < c.tenants(i).allowed_backends_size(); ++b) {
      if (!names.count(c.tenants(i).allowed_backends(b))) {
        return FieldError(
            absl::StrCat("tenants[", i, "].allowed_backends[", b, "]"),
            absl::StrCat("no backend named \"", c.tenants(i).allowed_backends(b), "\""));
      }
    }
  }
  RETURN_IF_ERROR(ValidateAdmission(c.admission()));
  return absl::OkStatus();
}

}  // namespace ptc
