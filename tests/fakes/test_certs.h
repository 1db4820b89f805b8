// A throwaway PKI for TLS tests, made with the OpenSSL API at test time: a CA, a server
// certificate it signed (valid for one DNS name and 127.0.0.1) and a client certificate it signed
// (for mTLS). Every call makes a new CA with its own key, so two PKIs do not trust each other.
#pragma once

#include <string>

namespace ptc::fakes {

struct TestPki {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string client_cert_pem;  // CN "ptc test client", extendedKeyUsage clientAuth
  std::string client_key_pem;
};

// `dns_name` goes in the server certificate's subjectAltName (with IP 127.0.0.1 when
// `with_loopback_ip`). Aborts on an OpenSSL failure (a broken test setup).
TestPki MakeTestPki(const std::string& dns_name = "localhost", bool with_loopback_ip = true);

}  // namespace ptc::fakes
