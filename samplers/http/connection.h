// One upstream connection (plain TCP or TLS) of a Client's pool. Not thread-safe: used by one
// exchange at a time, on its strand (taken from and returned to the pool under the client's lock).
#pragma once

#include <optional>
#include <string>

#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "samplers/http/url.h"

namespace ptc::http {

class Connection {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;

  // `tls` is null for http endpoints. With verification on, the peer's certificate must chain to
  // a trusted CA and match the URL's host (SNI is sent for host names).
  Connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls,
             const Url& url, bool verify_peer);

  Tcp& socket() { return tls_ ? tls_->next_layer() : *tcp_; }
  Tls* tls_stream() { return tls_ ? &*tls_ : nullptr; }
  // Calls f(stream) with the stream to read and write (the TLS stream or the socket).
  template <class F>
  void Visit(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*tcp_);
    }
  }
  // Closes the socket: pending operations complete with an error. Idempotent.
  void Close();

  // Bytes read past the end of a response (kept for the next one on this connection).
  boost::beast::flat_buffer buffer;
  // Why certificate verification failed, when it did ("" otherwise).
  std::string verify_error;
  bool used = false;   // has carried a request
  size_t context = 0;  // the index of its socket's io_context among its client's

 private:
  std::optional<Tcp> tcp_;
  std::optional<Tls> tls_;
};

}  // namespace ptc::http
