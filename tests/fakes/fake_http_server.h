// A scripted HTTP/1.1 server on loopback for tests of HTTP clients and backends.
//
// It listens on 127.0.0.1 at a port chosen by the kernel, optionally over TLS, records every
// request it receives, and answers each from a script: a queue of FakeResponse (then a default),
// or a handler function. A response is a status, headers and a body sent as chunks, each after a
// delay (chunked transfer encoding unless Content-Length is asked for), with optional faults:
// reset the connection after K chunks, close before the head, drip the body one byte per
// interval, or a truncated body (Content-Length larger than what is sent).
//
// It counts connections accepted and client disconnects it observed (the client closing its
// end, even in the middle of a response), so a test can assert that cancelling closed the
// upstream socket. The server runs its own io_context on its own thread; every public method is
// thread-safe. Requests are answered one at a time per connection (no pipelining).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ptc::fakes {

struct FakeChunk {
  FakeChunk(std::string bytes_in = "", std::chrono::milliseconds delay_in = {},
            std::string gate_in = "")
      : bytes(std::move(bytes_in)), delay(delay_in), gate(std::move(gate_in)) {}

  std::string bytes;
  std::chrono::milliseconds delay{0};  // waited before this chunk is sent
  // When set, the chunk is held until the test calls OpenGate(gate) (after the delay).
  std::string gate;
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<FakeChunk> chunks;
  // Waited before the head is sent.
  std::chrono::milliseconds head_delay{0};
  // false: Content-Length framing (all chunks still sent one by one, with their delays).
  bool chunked = true;
  // false: "Connection: close" and the server closes after the response.
  bool keep_alive = true;

  // Faults.
  std::optional<size_t> reset_after_chunks;  // TCP RST after this many chunks
  bool close_before_head = false;            // close the connection instead of answering
  // Sends the body one byte at a time, one per interval (each byte its own chunk).
  std::optional<std::chrono::milliseconds> drip_interval;
  // Declares Content-Length this many bytes larger than the body, sends the body, then closes.
  size_t truncate_missing_bytes = 0;

  // A text/event-stream response; each string is sent as one chunk (write whole events, e.g.
  // "event: a\ndata: {...}\n\n", or split them to test reassembly).
  static FakeResponse Sse(std::vector<std::string> chunks,
                          std::chrono::milliseconds delay_between = {});
  static FakeResponse Json(int status, std::string body);
  static FakeResponse Text(int status, std::string content_type, std::string body);
  FakeResponse& WithHeader(std::string name, std::string value);
  std::string Body() const;  // the chunks concatenated
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  uint64_t connection = 0;  // which connection (1, 2, ... in accept order)
  // The first value of header `lower_name`, "" when absent.
  std::string Header(std::string_view lower_name) const;
};

struct FakeHttpServerOptions {
  // PEM certificate chain and private key: when both are set the server speaks TLS.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const RecordedRequest&)>;

  // Starts listening at once. Aborts the test process if it cannot (a broken test setup).
  explicit FakeHttpServer(FakeHttpServerOptions options = {});
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string url() const;

  // Script: queued responses are used in order; when the queue is empty the handler (if set) or
  // the default response (200, empty JSON object) answers.
  void Enqueue(FakeResponse response);
  void SetDefault(FakeResponse response);
  void SetHandler(Handler handler);

  // Releases chunks held on `gate` (now and in the future).
  void OpenGate(const std::string& gate);

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;  // every request received, cleared ones included
  // Forgets the recorded requests (long-running tests that measure memory).
  void ClearRequests();
  size_t connections_accepted() const;
  size_t client_disconnects() const;

  // Block the test thread until the count reaches `n`; false on timeout.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool WaitForDisconnects(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool WaitForConnections(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  struct Impl;  // public so the implementation's free functions can name it

 private:
  bool WaitFor(std::function<bool()> done, std::chrono::milliseconds timeout);

  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  bool tls_ = false;
};

}  // namespace ptc::fakes
