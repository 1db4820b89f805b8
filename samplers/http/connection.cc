#include "samplers/http/connection.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "boost/asio/ssl/host_name_verification.hpp"

namespace ptc::http {

Connection::Connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls,
                       const Url& url, bool verify_peer) {
  if (tls == nullptr) {
    tcp_.emplace(executor);
    return;
  }
  tls_.emplace(executor, *tls);
  if (!url.host_is_ip()) SSL_set_tlsext_host_name(tls_->native_handle(), url.host.c_str());
  if (!verify_peer) {
    tls_->set_verify_mode(boost::asio::ssl::verify_none);
    return;
  }
  tls_->set_verify_mode(boost::asio::ssl::verify_peer);
  tls_->set_verify_callback([this, check = boost::asio::ssl::host_name_verification(url.host)](
                                bool preverified, boost::asio::ssl::verify_context& ctx) mutable {
    if (!preverified) {
      if (verify_error.empty()) {
        verify_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.native_handle()));
      }
      return false;
    }
    if (!check(preverified, ctx)) {
      if (verify_error.empty()) verify_error = "the certificate does not match the host name";
      return false;
    }
    return true;
  });
}

void Connection::Close() {
  boost::system::error_code ignored;
  socket().close(ignored);
}

}  // namespace ptc::http
