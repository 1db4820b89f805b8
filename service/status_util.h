// The one place where absl::Status becomes grpc::Status, with the message bounded.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ptc {

inline constexpr size_t kMaxStatusMessageBytes = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
// "OK", "INVALID_ARGUMENT", ... for metric labels.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace ptc
