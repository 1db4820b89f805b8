#include "tests/fakes/test_certs.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ptc::fakes {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "MakeTestPki: %s failed\n", what);
    std::abort();
  }
}

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

X509* NewCert(EVP_PKEY* key, const char* cn, long serial) {
  X509* cert = X509_new();
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  return cert;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(bio, cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

// A leaf certificate for `key`, issued by `ca` (the caller adds extensions, then signs).
X509* NewLeaf(EVP_PKEY* key, const char* cn, long serial, X509* ca, const char* eku) {
  X509* cert = NewCert(key, cn, serial);
  X509_set_issuer_name(cert, X509_get_subject_name(ca));
  AddExt(cert, ca, NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert, ca, NID_ext_key_usage, eku);
  AddExt(cert, ca, NID_authority_key_identifier, "keyid");
  return cert;
}

}  // namespace

TestPki MakeTestPki(const std::string& dns_name, bool with_loopback_ip) {
  // Distinct CA names keep verification errors readable when a test mixes PKIs.
  static std::atomic<int> next_ca{1};
  const std::string ca_name = "ptc test CA " + std::to_string(next_ca++);
  EVP_PKEY* ca_key = NewKey();
  X509* ca = NewCert(ca_key, ca_name.c_str(), 1);
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  AddExt(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  AddExt(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(ca, ca, NID_subject_key_identifier, "hash");
  Check(X509_sign(ca, ca_key, EVP_sha256()) > 0, "X509_sign(ca)");

  EVP_PKEY* key = NewKey();
  X509* cert = NewLeaf(key, dns_name.c_str(), 2, ca, "serverAuth");
  const std::string san = "DNS:" + dns_name + (with_loopback_ip ? ",IP:127.0.0.1" : "");
  AddExt(cert, ca, NID_subject_alt_name, san.c_str());
  Check(X509_sign(cert, ca_key, EVP_sha256()) > 0, "X509_sign(server)");

  EVP_PKEY* client_key = NewKey();
  X509* client = NewLeaf(client_key, "ptc test client", 3, ca, "clientAuth");
  Check(X509_sign(client, ca_key, EVP_sha256()) > 0, "X509_sign(client)");

  TestPki pki{CertPem(ca), CertPem(cert), KeyPem(key), CertPem(client), KeyPem(client_key)};
  X509_free(client);
  EVP_PKEY_free(client_key);
  X509_free(cert);
  X509_free(ca);
  EVP_PKEY_free(key);
  EVP_PKEY_free(ca_key);
  return pki;
}

}  // namespace ptc::fakes
