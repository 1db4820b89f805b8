// TLS on the gRPC listener (ServerConfig.tls): validation of the PEM files and the server
// credentials built from them. The credentials watch the files (gRPC's
// FileWatcherCertificateProvider), so a rotated certificate, key or client CA takes effect on new
// connections within reload_interval_s, without a restart; connections already open keep the
// certificate they were made with.
//
// The PEM helpers are shared with the client (service/client/connection.h), which names its flags
// instead of config fields in errors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"
#include "ptc/v1/config.pb.h"

namespace ptc {

// Whether `tls` asks for TLS at all: any of its files is set. An unset or empty message means
// plaintext.
bool TlsEnabled(const v1::TlsConfig& tls);

// The seconds between checks of the files when reload_interval_s is 0.
inline constexpr uint32_t kDefaultTlsReloadIntervalS = 60;

enum class PemKind {
  kCertificates,  // one or more "CERTIFICATE" blocks (a chain or a CA bundle)
  kPrivateKey,    // one unencrypted private key
};

// Reads `path` and checks that it parses as `kind`; returns its contents. INVALID_ARGUMENT naming
// `field`, e.g. `tls.cert_file: cannot read "/x": No such file or directory`.
absl::StatusOr<std::string> ReadPemFile(absl::string_view field, const std::string& path,
                                        PemKind kind);

// INVALID_ARGUMENT naming `key_field` when the private key does not belong to the first
// certificate of `cert_pem` (both already checked by ReadPemFile).
absl::Status CheckKeyMatchesCertificate(absl::string_view key_field, absl::string_view cert_field,
                                        const std::string& cert_pem, const std::string& key_pem);

// Checks `tls` as the server would use it: plaintext when not TlsEnabled; otherwise cert_file and
// key_file are both required, readable, PEM and a matching pair, client_ca_file (when set) is
// readable PEM certificates, and reload_interval_s is 0 (the default) or in [1, 86400]. Errors
// name the field under "tls.".
absl::Status ValidateTlsConfig(const v1::TlsConfig& tls);

// The credentials of the gRPC listening port: InsecureServerCredentials when !TlsEnabled(tls);
// else TLS from the watched files, and with client_ca_file mTLS (a client certificate signed by
// one of those CAs is required and verified during the handshake). Call ValidateTlsConfig first:
// files that cannot be read here make every handshake fail rather than this call.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const v1::TlsConfig& tls);

}  // namespace ptc
