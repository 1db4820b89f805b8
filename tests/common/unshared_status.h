// A copy of an absl::Status that shares nothing with the original, for handing a status from an
// io thread to the test thread. Copies of an absl::Status share one reference-counted payload, and
// the count lives in Debian's uninstrumented libabsl_status: when the test thread reads its copy
// and the io thread later frees the last other copy (say, with the handler that held it),
// ThreadSanitizer cannot see the ordering and reports a race on that free. tests/tsan.supp matches
// such a free only when its stack symbolizes through Status::Unref, which depends on how the
// compiler inlined the destructor around it (a test handler's built at -O1 did not), so test
// handlers give the test thread an unshared copy instead.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace ptc {

inline absl::Status Unshared(const absl::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status copy(status.code(), std::string(status.message()));
  status.ForEachPayload([&copy](absl::string_view type_url, const absl::Cord& payload) {
    copy.SetPayload(type_url, absl::Cord(std::string(payload)));
  });
  return copy;
}

}  // namespace ptc
