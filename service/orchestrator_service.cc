#include "service/orchestrator_service.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "service/status_util.h"

namespace ptc {

class OrchestratorService::SolveReactor : public grpc::ServerUnaryReactor {
 public:
  SolveReactor(OrchestratorService* service, const grpc::CallbackServerContext& ctx,
               const v1::SolveRequest* request, v1::SolveResponse* response)
      : service_(service) {
    auto call = service_->BeginCall(
        ctx, *request, [this, response](GatedCall& call, absl::Status admitted) {
          if (!admitted.ok()) {
            Finish(ToGrpcStatus(admitted));
            return;
          }
          call.Start(nullptr, [this, response](absl::Status status, v1::SolveResponse r) {
            if (status.ok()) *response = std::move(r);
            Finish(ToGrpcStatus(status));
          });
        });
    std::lock_guard<std::mutex> lock(mu_);
    call_ = std::move(call);
  }

  void OnCancel() override {
    std::shared_ptr<GatedCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = call_;
    }
    if (call) call->Cancel();
  }
  void OnDone() override {
    const GatedCall* call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = call_.get();
    }
    service_->CallDone(call);
    delete this;
  }

 private:
  OrchestratorService* service_;
  std::mutex mu_;  // guards everything below
  std::shared_ptr<GatedCall> call_;
};

// Writes events one at a time (gRPC allows one outstanding write). The queue is bounded by the
// plan: at most three events per chain, plus the stop decision and the final response.
class OrchestratorService::StreamReactor : public grpc::ServerWriteReactor<v1::SolveEvent> {
 public:
  StreamReactor(OrchestratorService* service, const grpc::CallbackServerContext& ctx,
                const v1::SolveRequest* request)
      : service_(service) {
    auto call = service_->BeginCall(ctx, *request, [this](GatedCall& call, absl::Status admitted) {
      if (!admitted.ok()) {
        Finish(ToGrpcStatus(admitted));
        return;
      }
      call.Start([this](v1::SolveEvent e) { Enqueue(std::move(e), false, grpc::Status::OK); },
                 [this](absl::Status status, v1::SolveResponse r) {
                   v1::SolveEvent e;
                   if (status.ok()) *e.mutable_final() = std::move(r);
                   Enqueue(std::move(e), /*last=*/true, ToGrpcStatus(status));
                 });
    });
    std::lock_guard<std::mutex> lock(mu_);
    call_ = std::move(call);
  }

  void OnWriteDone(bool ok) override {
    const v1::SolveEvent* next = nullptr;
    bool finish = false;
    grpc::Status status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.pop_front();
      if (!ok) {
        // The client is gone; OnCancel follows. Drop what is queued; finish when the Run does.
        queue_.clear();
        broken_ = true;
      }
      if (!queue_.empty()) {
        next = &queue_.front();  // deque: stays valid while later events are appended
      } else {
        writing_ = false;
        finish = finishing_;
        status = final_status_;
      }
    }
    // gRPC calls are made outside the lock: a reaction may run inline, and OnDone deletes this.
    if (next != nullptr) StartWrite(next);
    if (finish) Finish(status);
  }

  void OnCancel() override {
    std::shared_ptr<GatedCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = call_;
    }
    if (call) call->Cancel();
  }
  void OnDone() override {
    const GatedCall* call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = call_.get();
    }
    service_->CallDone(call);
    delete this;
  }

 private:
  void Enqueue(v1::SolveEvent e, bool last, grpc::Status status) {
    const v1::SolveEvent* next = nullptr;
    bool finish = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (last) {
        finishing_ = true;
        final_status_ = status;
      }
      if (broken_ || (last && !status.ok())) {
        // Nothing more to tell: drop what waits, keep the write in progress (if any), and finish
        // now or when that write is done.
        if (writing_) {
          queue_.resize(1);
        } else {
          finish = last;
        }
      } else {
        queue_.push_back(std::move(e));
        if (!writing_) {
          writing_ = true;
          next = &queue_.front();
        }
      }
    }
    if (next != nullptr) StartWrite(next);
    if (finish) Finish(status);
  }

  OrchestratorService* service_;
  std::mutex mu_;  // guards everything below
  std::shared_ptr<GatedCall> call_;
  std::deque<v1::SolveEvent> queue_;  // front() is being written
  bool writing_ = false;
  bool finishing_ = false;
  bool broken_ = false;
  grpc::Status final_status_;
};

grpc::ServerUnaryReactor* OrchestratorService::Solve(grpc::CallbackServerContext* ctx,
                                                     const v1::SolveRequest* request,
                                                     v1::SolveResponse* response) {
  return new SolveReactor(this, *ctx, request, response);
}

grpc::ServerWriteReactor<v1::SolveEvent>* OrchestratorService::SolveStream(
    grpc::CallbackServerContext* ctx, const v1::SolveRequest* request) {
  return new StreamReactor(this, *ctx, request);
}

namespace {

// The call's deadline on the steady clock; max() when the client set none.
Run::Clock::time_point SteadyDeadline(const grpc::CallbackServerContext& ctx) {
  const auto remaining = ctx.deadline() - std::chrono::system_clock::now();
  if (remaining > std::chrono::hours(24 * 365)) return Run::Clock::time_point::max();
  return Run::Clock::now() + std::chrono::duration_cast<Run::Clock::duration>(
                                 std::max(remaining, std::chrono::system_clock::duration::zero()));
}

}  // namespace

std::shared_ptr<GatedCall> OrchestratorService::BeginCall(const grpc::CallbackServerContext& ctx,
                                                          const v1::SolveRequest& request,
                                                          GatedCall::Ready ready) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++active_calls_;
  }
  CallInfo info;
  info.deadline = SteadyDeadline(ctx);
  const auto& metadata = ctx.client_metadata();
  if (auto it = metadata.find("x-api-key"); it != metadata.end()) {
    info.x_api_key.assign(it->second.data(), it->second.size());
  }
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    info.authorization.assign(it->second.data(), it->second.size());
  }
  std::shared_ptr<GatedCall> call = gate_.Begin(
      info, request, [this, ready = std::move(ready)](GatedCall& call, absl::Status admitted) {
        if (!admitted.ok()) {
          ctx_.metrics.RequestRejected(GrpcCodeName(ToGrpcStatus(admitted).error_code()));
        }
        ready(call, std::move(admitted));
      });
  std::string drain;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_[call.get()] = call;
    drain = drain_reason_;
  }
  if (!drain.empty()) call->Drain(drain);
  return call;
}

void OrchestratorService::Drain(const std::string& reason) {
  std::vector<std::shared_ptr<GatedCall>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drain_reason_ = reason;
    for (auto& [ptr, weak] : calls_) {
      if (auto call = weak.lock()) calls.push_back(std::move(call));
    }
  }
  for (auto& call : calls) call->Drain(reason);
}

void OrchestratorService::CallDone(const GatedCall* call) {
  // Notified under the lock: once WaitForIdle returns, the service may be destroyed.
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(call);
  if (--active_calls_ == 0) idle_.notify_all();
}

bool OrchestratorService::WaitForIdle(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto idle = [this] { return active_calls_ == 0; };
  // A century or more (InfiniteDuration included) would overflow the clock: no timeout then.
  if (timeout >= absl::Hours(24 * 365 * 100)) {
    idle_.wait(lock, idle);
    return true;
  }
  return idle_.wait_for(lock, absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())),
                        idle);
}

}  // namespace ptc
