#include "bench/ptc_bench/targets.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace ptc::bench {

struct SolveTarget::Call {
  grpc::ClientContext context;
  v1::SolveResponse response;
};

SolveTarget::SolveTarget(const std::string& address, v1::SolveRequest request,
                         std::string expected_answer, int channels)
    : request_(std::move(request)), expected_(std::move(expected_answer)) {
  for (const v1::SamplingGroup& g : request_.sampling()) chains_ += g.n();
  for (int i = 0; i < std::max(channels, 1); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("ptc.bench.channel", i);  // distinct args: a connection of its own
    args.SetMaxReceiveMessageSize(64 << 20);
    channels_.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(v1::Orchestrator::NewStub(channels_.back()));
  }
}

SolveTarget::~SolveTarget() {
  CancelAll();
  while (in_flight() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

absl::Status SolveTarget::WaitReady(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  for (auto& channel : channels_) {
    if (!channel->WaitForConnected(deadline)) {
      return absl::DeadlineExceededError("cannot connect to the gRPC server");
    }
  }
  return absl::OkStatus();
}

void SolveTarget::Start(size_t index, Clock::time_point scheduled, Recorder& rec) {
  auto* call = new Call();
  call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.insert(call);
  }
  auto& stub = *stubs_[turn_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()];
  stub.async()->Solve(
      &call->context, &request_, &call->response,
      [this, call, index, scheduled, &rec](grpc::Status status) {
        if (!status.ok()) {
          rec.Done(index, scheduled, false,
                   absl::StrCat("gRPC ", status.error_code(), ": ", status.error_message()));
        } else if (call->response.answer() != expected_) {
          rec.Done(index, scheduled, false,
                   absl::StrCat("answer \"", call->response.answer(), "\", expected \"", expected_,
                                "\""));
        } else {
          rec.Done(index, scheduled, true);
        }
        {
          // The destructor waits for the set to empty; CancelAll reads it.
          std::lock_guard<std::mutex> lock(mu_);
          calls_.erase(call);
        }
        delete call;  // touches the call only (its context holds the channel)
      });
}

void SolveTarget::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Call* call : calls_) call->context.TryCancel();
}

size_t SolveTarget::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_.size();
}

HealthTarget::HealthTarget(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt("ptc.bench.health", 1);  // a connection of its own
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  stub_ = std::make_unique<grpc::GenericStub>(channel_);
}

absl::Status HealthTarget::WaitReady(std::chrono::milliseconds timeout) {
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + timeout)) {
    return absl::DeadlineExceededError("cannot connect to the gRPC server");
  }
  return absl::OkStatus();
}

void HealthTarget::Start(size_t index, Clock::time_point scheduled, Recorder& rec) {
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer request;  // an empty HealthCheckRequest: the whole server
    grpc::ByteBuffer response;
  };
  auto* call = new Call();
  grpc::Slice empty("");
  call->request = grpc::ByteBuffer(&empty, 1);  // a default ByteBuffer is no message at all
  call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  stub_->UnaryCall(&call->context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                   &call->request, &call->response,
                   [call, index, scheduled, &rec](grpc::Status status) {
                     rec.Done(index, scheduled, status.ok(),
                              status.ok() ? "" : "gRPC " + status.error_message());
                     delete call;
                   });
}

namespace {

// The outcome of one HttpTarget call: its `fanout` requests.
struct Group {
  Group(size_t index_in, Clock::time_point scheduled_in, Recorder& rec_in, uint32_t fanout)
      : index(index_in), scheduled(scheduled_in), rec(rec_in), remaining(fanout) {}
  void Finish(bool ok, std::string error) {
    if (!ok) {
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.empty()) first_error = std::move(error);
      failed = true;
    }
    if (remaining.fetch_sub(1) == 1) {
      rec.Done(index, scheduled, !failed, first_error);
    }
  }
  const size_t index;
  const Clock::time_point scheduled;
  Recorder& rec;
  std::atomic<uint32_t> remaining;
  std::mutex mu;
  bool failed = false;
  std::string first_error;
};

class Handler : public http::ResponseHandler {
 public:
  explicit Handler(std::shared_ptr<Group> group) : group_(std::move(group)) {}
  void OnHead(const http::ResponseHead& head) override { status_ = head.status; }
  void OnBody(std::string_view bytes) override {
    tail_.append(bytes.data(), bytes.size());
    if (tail_.size() > 64) tail_.erase(0, tail_.size() - 64);
  }
  void OnComplete(absl::Status status) override {
    if (!status.ok()) return group_->Finish(false, std::string(status.message()));
    if (status_ != 200) return group_->Finish(false, absl::StrCat("HTTP ", status_, ": ", tail_));
    const bool whole =
        tail_.find("[DONE]") != std::string::npos || tail_.find("}") != std::string::npos;
    group_->Finish(whole, whole ? "" : "truncated body");
  }

 private:
  std::shared_ptr<Group> group_;
  int status_ = 0;
  std::string tail_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTarget>> HttpTarget::Create(
    boost::asio::io_context& io, const std::string& base_url, std::string body,
    std::vector<std::pair<std::string, std::string>> headers, uint32_t fanout) {
  http::ClientOptions options;
  options.endpoints = {base_url};
  options.max_connections_per_endpoint = 16384;
  options.circuit_breaker.enabled = false;
  auto client = http::Client::Create(options, io);
  if (!client.ok()) return client.status();
  std::unique_ptr<HttpTarget> target(new HttpTarget());
  target->client_ = *std::move(client);
  target->request_.method = "POST";
  target->request_.path = "/chat/completions";
  headers.emplace_back("content-type", "application/json");
  target->request_.headers = std::move(headers);
  target->request_.body = std::move(body);
  target->fanout_ = std::max<uint32_t>(fanout, 1);
  return target;
}

void HttpTarget::Start(size_t index, Clock::time_point scheduled, Recorder& rec) {
  auto group = std::make_shared<Group>(index, scheduled, rec, fanout_);
  for (uint32_t i = 0; i < fanout_; ++i) {
    client_->Start(request_, std::make_shared<Handler>(group));
  }
}

}  // namespace ptc::bench
