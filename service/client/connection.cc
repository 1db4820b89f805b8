#include "service/client/connection.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/client_interceptor.h"
#include "service/tls_config.h"

ABSL_FLAG(std::string, tls_ca, "",
          "PEM file of the CA that signed the server's certificate; set = TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate, for servers that require mTLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_server_name, "",
          "name to check in the server's certificate; default: the host of the address");
ABSL_FLAG(std::string, api_key_env, "PTC_API_KEY",
          "environment variable holding the API key sent as x-api-key; empty = none");

namespace ptc::client {
namespace {

constexpr size_t kMaxApiKeyBytes = 4096;

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

class ApiKeyInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ApiKeyInterceptor(const std::string& key) : key_(key) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kApiKeyMetadata, key_);
    }
    methods->Proceed();
  }

 private:
  const std::string key_;
};

class ApiKeyInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ApiKeyInterceptorFactory(std::string key) : key_(std::move(key)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new ApiKeyInterceptor(key_);
  }

 private:
  const std::string key_;
};

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ConnectionOptions& o) {
  if (o.tls_ca.empty()) {
    // Without a CA there is no TLS, and these would be silently ignored.
    if (!o.tls_cert.empty()) return FlagError("tls_cert", "needs --tls_ca");
    if (!o.tls_key.empty()) return FlagError("tls_key", "needs --tls_ca");
    if (!o.tls_server_name.empty()) return FlagError("tls_server_name", "needs --tls_ca");
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadPemFile("--tls_ca", o.tls_ca, PemKind::kCertificates);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *std::move(ca);
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return o.tls_cert.empty() ? FlagError("tls_cert", "required with --tls_key")
                              : FlagError("tls_key", "required with --tls_cert");
  }
  if (!o.tls_cert.empty()) {
    absl::StatusOr<std::string> cert =
        ReadPemFile("--tls_cert", o.tls_cert, PemKind::kCertificates);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPemFile("--tls_key", o.tls_key, PemKind::kPrivateKey);
    if (!key.ok()) return key.status();
    if (absl::Status s = CheckKeyMatchesCertificate("--tls_key", "--tls_cert", *cert, *key);
        !s.ok()) {
      return s;
    }
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

ConnectionOptions ConnectionOptionsFromFlags() {
  ConnectionOptions o;
  o.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  o.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  o.tls_key = absl::GetFlag(FLAGS_tls_key);
  o.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  const std::string env = absl::GetFlag(FLAGS_api_key_env);
  if (!env.empty()) {
    o.api_key_source = absl::StrCat("$", env);
    if (const char* key = std::getenv(env.c_str())) o.api_key = key;
  }
  return o;
}

bool IsValidApiKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxApiKeyBytes) return false;
  for (char c : key) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address,
                                                           const ConnectionOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = Credentials(options);
  if (!creds.ok()) return creds.status();
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!options.api_key.empty()) {
    if (!IsValidApiKey(options.api_key)) {
      // Never echo the key: the message may end up in logs.
      return FlagError("api_key_env", absl::StrCat(options.api_key_source,
                                                   " is not 1..4096 visible ASCII characters"));
    }
    interceptors.push_back(std::make_unique<ApiKeyInterceptorFactory>(options.api_key));
  }
  grpc::ChannelArguments args;
  if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, *creds, args,
                                                                 std::move(interceptors));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address) {
  return MakeChannel(address, ConnectionOptionsFromFlags());
}

int RunHashKeyCommand(std::istream& in, std::ostream& out, std::ostream& err) {
  std::string key;
  std::getline(in, key);
  if (!key.empty() && key.back() == '\r') key.pop_back();
  if (key.empty()) {
    err << "ptc hash-key: no key on stdin (give it as one line, e.g. ptc hash-key < key.txt)\n";
    return 2;
  }
  if (!IsValidApiKey(key)) {
    err << "ptc hash-key: the key must be 1..4096 visible ASCII characters (no spaces)\n";
    return 2;
  }
  out << Sha256Hex(key) << "\n";
  return 0;
}

}  // namespace ptc::client
