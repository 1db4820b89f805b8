// ptc-health-probe: asks a gRPC server's standard health service (grpc.health.v1.Health/Check)
// whether it is SERVING. For container health checks and Kubernetes exec probes where
// grpc_health_probe is not available. Exit status: 0 SERVING; 1 answered, but not SERVING;
// 2 no answer (unreachable, deadline, error status, bad TLS flags). Takes the client's
// connection flags (service/client/connection.h): --tls_ca, --tls_cert, --tls_key,
// --tls_server_name, --api_key_env.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/process.h"
#include "grpcpp/generic/generic_stub.h"
#include "service/client/connection.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "gRPC HOST:PORT of the server");
ABSL_FLAG(std::string, service, "", "service name to check; empty = the whole server");
ABSL_FLAG(double, timeout_s, 2, "deadline of the check, seconds");

namespace {

// HealthCheckRequest{service}: field 1, length-delimited (names are short: one length byte).
std::string EncodeRequest(const std::string& service) {
  if (service.empty()) return "";
  return std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
}

// HealthCheckResponse{status}: field 1, varint; absent means UNKNOWN (0). SERVING is 1.
int DecodeStatus(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes[0] == '\x08') return static_cast<unsigned char>(bytes[1]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ptc::ParseFlags(argc, argv,
                  "ptc-health-probe [--addr HOST:PORT] [--service NAME] [--tls_ca FILE ...]");
  const std::string service = absl::GetFlag(FLAGS_service);
  if (service.size() > 127) {
    std::fprintf(stderr, "ptc-health-probe: --service: longer than 127 bytes\n");
    return 2;
  }
  auto channel = ptc::client::MakeChannel(absl::GetFlag(FLAGS_addr));
  if (!channel.ok()) {
    std::fprintf(stderr, "ptc-health-probe: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  grpc::GenericStub stub(*channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_timeout_s) * 1000)));
  grpc::Slice slice(EncodeRequest(service));
  grpc::ByteBuffer request(&slice, 1), response;
  auto call = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  std::string bytes;
  std::vector<grpc::Slice> slices;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) {
    std::fprintf(stderr, "ptc-health-probe: %s: %s\n", absl::GetFlag(FLAGS_addr).c_str(),
                 status.error_message().c_str());
    return 2;
  }
  const int serving = DecodeStatus(bytes);
  static const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
  std::printf("%s\n", serving >= 0 && serving <= 3 ? kNames[serving] : "UNRECOGNISED");
  return serving == 1 ? 0 : 1;
}
