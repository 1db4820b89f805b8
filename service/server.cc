#include "service/server.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "aggregators/aggregator.h"
#include "aggregators/learned/model_store.h"
#include "aggregators/stop_rule.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "samplers/backend_registry.h"
#include "service/compute/thinking_policy.h"
#include "service/tls_config.h"

namespace ptc {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const v1::ServerConfig& config) {
  RETURN_IF_ERROR(BackendRegistry::Global().Errors());
  RETURN_IF_ERROR(AggregatorRegistry::Global().Errors());
  RETURN_IF_ERROR(StopRuleRegistry::Global().Errors());
  std::unique_ptr<Server> s(new Server());
  s->config_ = config;
  const unsigned threads = config.worker_threads() > 0
                               ? config.worker_threads()
                               : std::max(2u, std::thread::hardware_concurrency());
  s->io_ = std::make_unique<IoThreads>(threads);

  s->metrics_ = std::make_unique<Metrics>(config.max_experiment_labels());
  ASSIGN_OR_RETURN(s->backends_, BackendSet::Create(config, s->io(), s->metrics_.get()));
  s->prices_ = PriceTable(config.pricing());
  if (config.metrics_listen() != "off") {
    try {
      s->exposer_ = std::make_unique<prometheus::Exposer>(config.metrics_listen());
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("metrics_listen: cannot listen on ",
                                                 config.metrics_listen(), ": ", e.what()));
    }
    s->exposer_->RegisterCollectable(s->metrics_->registry());
  }
  // Trained answer scorers load now rather than on the first request that names one.
  learned::ModelStore::Default().PreloadAll();
  // And the auto compute policy's thinking policies; a file that does not load is reported now
  // and again to each request that names it.
  for (const std::string& error : compute::PolicyStore::Default().PreloadAll()) {
    std::fprintf(stderr, "ptc-server: thinking policy not loaded: %s\n", error.c_str());
  }
  s->service_ = std::make_unique<OrchestratorService>(
      RunContext{s->io(), *s->backends_, s->prices_, s->config_.limits(), *s->metrics_},
      s->config_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen(), MakeServerCredentials(config.tls()), &s->port_);
  // Oversized messages are refused by gRPC itself (RESOURCE_EXHAUSTED); anything within this
  // bound reaches validation, which names the field that is over its limit.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<uint64_t>(config.limits().max_prompt_bytes() + (1 << 20), 64 << 20)));
  builder.RegisterService(s->service_.get());
  s->grpc_ = builder.BuildAndStart();
  if (!s->grpc_ || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot listen on ", config.listen()));
  }
  s->host_ = config.listen().substr(0, config.listen().rfind(':'));
  s->grpc_->GetHealthCheckService()->SetServingStatus(true);
  return s;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

std::string Server::address() const { return absl::StrCat(host_, ":", port_); }

std::string Server::metrics_address() const {
  if (!exposer_) return "";
  auto ports = exposer_->GetListeningPorts();
  const std::string& l = config_.metrics_listen();
  return ports.empty() ? l : absl::StrCat(l.substr(0, l.rfind(':')), ":", ports.front());
}

void Server::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc_) {
    grpc_->GetHealthCheckService()->SetServingStatus(false);
    // gRPC stops accepting calls at once and cancels those still running at its deadline; before
    // that, calls not done within the grace period answer with what they have.
    const auto hard_deadline =
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(absl::ToInt64Milliseconds(grace + kAnswerMargin));
    std::thread stop([this, hard_deadline] { grpc_->Shutdown(hard_deadline); });
    if (!service_->WaitForIdle(grace)) {
      service_->Drain("server shutting down");
      service_->WaitForIdle(kAnswerMargin);
    }
    stop.join();
  }
  // Calls are done (Shutdown cancelled the stragglers and their Runs finished on the Asio
  // threads); let the threads run out of work and stop.
  if (io_) io_->Join();
  exposer_.reset();
}

void Server::Wait() {
  if (grpc_) grpc_->Wait();
}

}  // namespace ptc
