#include "service/tls_config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace ptc {
namespace {

// Certificates, chains and CA bundles are a few KiB; a bound keeps a wrong path (a log file, a
// device) from being read whole.
constexpr size_t kMaxPemBytes = 1 << 20;
constexpr uint32_t kMaxReloadIntervalS = 86400;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

BioPtr MemBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Refuses to prompt for a passphrase: an encrypted key simply fails to load (gRPC could not use
// it either), instead of blocking a server on a terminal read.
int NoPassphrase(char*, int, int, void*) { return 0; }

X509Ptr FirstCertificate(const std::string& pem) {
  BioPtr bio = MemBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
}

PkeyPtr PrivateKey(const std::string& pem) {
  BioPtr bio = MemBio(pem);
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
}

absl::StatusOr<std::string> ReadFile(absl::string_view field, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return FieldError(field, absl::StrCat("cannot read \"", path, "\": ", strerror(errno)));
  std::string data;
  char buf[8192];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), f.get())) > 0) {
    data.append(buf, got);
    if (data.size() > kMaxPemBytes) {
      return FieldError(field, absl::StrCat("\"", path, "\" is larger than 1 MiB"));
    }
  }
  // A directory opens fine on Linux and fails on the first read (EISDIR).
  if (std::ferror(f.get())) {
    return FieldError(field, absl::StrCat("cannot read \"", path, "\": ", strerror(errno)));
  }
  return data;
}

}  // namespace

bool TlsEnabled(const v1::TlsConfig& tls) {
  return !tls.cert_file().empty() || !tls.key_file().empty() || !tls.client_ca_file().empty();
}

absl::StatusOr<std::string> ReadPemFile(absl::string_view field, const std::string& path,
                                        PemKind kind) {
  if (path.empty()) return FieldError(field, "missing");
  absl::StatusOr<std::string> data = ReadFile(field, path);
  if (!data.ok()) return data.status();
  bool ok = false;
  if (kind == PemKind::kCertificates) {
    // Every block must parse, not just the first: gRPC would reject the whole bundle otherwise.
    BioPtr bio = MemBio(*data);
    int count = 0;
    while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)}) ++count;
    const unsigned long err = ERR_peek_last_error();
    // The loop ends with "no start line" after the last block; anything else is a broken block.
    ok = count > 0 && (err == 0 || ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  } else {
    ok = PrivateKey(*data) != nullptr;
  }
  ERR_clear_error();
  if (!ok) {
    return FieldError(
        field, absl::StrCat("\"", path, "\" is not ",
                            kind == PemKind::kCertificates ? "PEM certificates"
                                                           : "an unencrypted PEM private key"));
  }
  return data;
}

absl::Status CheckKeyMatchesCertificate(absl::string_view key_field, absl::string_view cert_field,
                                        const std::string& cert_pem, const std::string& key_pem) {
  X509Ptr cert = FirstCertificate(cert_pem);
  PkeyPtr key = PrivateKey(key_pem);
  const bool match = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  if (!match) return FieldError(key_field, absl::StrCat("not the key of ", cert_field));
  return absl::OkStatus();
}

absl::Status ValidateTlsConfig(const v1::TlsConfig& tls) {
  if (!TlsEnabled(tls)) return absl::OkStatus();
  if (tls.cert_file().empty()) return FieldError("tls.cert_file", "required when TLS is on");
  if (tls.key_file().empty()) return FieldError("tls.key_file", "required with tls.cert_file");
  // 0 is "the default" (WithDefaults in service/config.cc fills it in).
  if (tls.reload_interval_s() > kMaxReloadIntervalS) {
    return FieldError("tls.reload_interval_s", "must be in [1, 86400]");
  }
  absl::StatusOr<std::string> cert =
      ReadPemFile("tls.cert_file", tls.cert_file(), PemKind::kCertificates);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key =
      ReadPemFile("tls.key_file", tls.key_file(), PemKind::kPrivateKey);
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckKeyMatchesCertificate("tls.key_file", "tls.cert_file", *cert, *key);
      !s.ok()) {
    return s;
  }
  if (!tls.client_ca_file().empty()) {
    absl::StatusOr<std::string> ca =
        ReadPemFile("tls.client_ca_file", tls.client_ca_file(), PemKind::kCertificates);
    if (!ca.ok()) return ca.status();
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const v1::TlsConfig& tls) {
  if (!TlsEnabled(tls)) return grpc::InsecureServerCredentials();
  const bool mtls = !tls.client_ca_file().empty();
  const uint32_t interval =
      tls.reload_interval_s() > 0 ? tls.reload_interval_s() : kDefaultTlsReloadIntervalS;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file(), tls.cert_file(), tls.client_ca_file(), interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (mtls) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace ptc
