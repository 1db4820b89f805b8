// How ptc's clients (`ptc`, ptc-health-probe) reach a server: TLS or mTLS from PEM files and an
// API key from the environment, chosen by these flags (defined in connection.cc, so every
// executable that links this gets them):
//   --tls_ca FILE           PEM CA certificate(s) the server's certificate must chain to; set =
//                           TLS (unset = plaintext)
//   --tls_cert, --tls_key   the client's certificate and key, for a server that requires mTLS
//   --tls_server_name NAME  the name checked against the server's certificate, when it is not
//                           the host of the address (e.g. connecting by IP)
//   --api_key_env VAR       environment variable holding the API key (default PTC_API_KEY); when
//                           it is set and not empty, every call carries "x-api-key: KEY". The key
//                           itself is never a flag, so it stays out of shell history and `ps`.
#pragma once

#include <istream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
ABSL_DECLARE_FLAG(std::string, api_key_env);

namespace ptc::client {

// The underscore names of the flags above, for commands that check which flags they accept.
inline constexpr const char* kConnectionFlags[] = {"tls_ca", "tls_cert", "tls_key",
                                                   "tls_server_name", "api_key_env"};

// The metadata key the API key travels in.
inline constexpr char kApiKeyMetadata[] = "x-api-key";

// What MakeChannel connects with; ConnectionOptionsFromFlags() reads the flags and the
// environment.
struct ConnectionOptions {
  std::string tls_ca;  // empty = plaintext
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  std::string api_key;         // empty = none
  std::string api_key_source;  // for errors, e.g. "$PTC_API_KEY"
};
ConnectionOptions ConnectionOptionsFromFlags();

// A channel to `address` (HOST:PORT). Files are read and checked now; INVALID_ARGUMENT naming the
// flag, e.g. `--tls_ca: cannot read "/x": No such file or directory`, or
// `--tls_cert: needs --tls_ca`. The API key, when there is one, is added to every call made on
// the channel by a client interceptor, so callers never handle it (and calls made by code that
// knows nothing of keys, like the eval runner, carry it too).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address,
                                                           const ConnectionOptions& options);
// The same from the flags.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address);

// Whether `key` can be an API key: 1..4096 visible ASCII characters (it travels as gRPC
// metadata, which allows no control characters; spaces are refused so that a stray one cannot
// make two different keys look alike).
bool IsValidApiKey(const std::string& key);

// `ptc hash-key`: reads one line (the key) from `in`, strips the line ending, and prints its hex
// SHA-256 for ServerConfig.tenants.api_key_sha256. Returns the exit code: 0, or 2 (message on
// `err`) for a missing or invalid key.
int RunHashKeyCommand(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace ptc::client
