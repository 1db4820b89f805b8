// Fuzzes the server config reader (service/config.h): the input is a text-format
// ptc.v1.ServerConfig, parsed and validated by ParseServerConfig, which calls
// ValidateServerConfig. Every backend plugin is linked in (through ptc_service), so configs can
// name any real plugin type.
//
// Invariants checked:
//  - a rejected config is INVALID_ARGUMENT, its message starting with the source name;
//  - an accepted config has its defaults filled in (WithDefaults changes nothing), validates
//    again, has at least one backend and names one of them as the default.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "google/protobuf/util/message_differencer.h"
#include "ptc/v1/config.pb.h"
#include "service/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ptc::v1::ServerConfig> config = ptc::ParseServerConfig(text, "fuzz.pbtxt");
  if (!config.ok()) {
    PTC_FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    PTC_FUZZ_CHECK(absl::StartsWith(config.status().message(), "fuzz.pbtxt: "));
    return 0;
  }
  PTC_FUZZ_CHECK(
      google::protobuf::util::MessageDifferencer::Equals(ptc::WithDefaults(*config), *config));
  PTC_FUZZ_CHECK(ptc::ValidateServerConfig(*config).ok());
  PTC_FUZZ_CHECK(config->backends_size() >= 1);
  bool default_named = false;
  for (const ptc::v1::BackendConfig& b : config->backends()) {
    default_named = default_named || b.name() == config->default_backend();
  }
  PTC_FUZZ_CHECK(default_named);
  return 0;
}
