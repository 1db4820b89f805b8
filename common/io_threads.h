// The server's io_contexts and their threads: one thread per io_context, each running only its
// own (see io_contexts.h). Keeps them running until Join.
//
// Join lets every context run out of work, and a thread whose context is out of work keeps
// polling it until all are: an exchange on one context may be using a connection whose socket
// belongs to another (taken across contexts at a pool's connection limit, see
// samplers/http/client_impl.h), and that socket's operations complete only while its own
// context's reactor is run. Without this, a context that ran out of work first would stop its
// thread and leave such an operation, and the other context's thread with it, waiting forever.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "common/io_contexts.h"

namespace ptc {

class IoThreads {
 public:
  // Starts `threads` (at least 1) io_contexts and a thread for each.
  explicit IoThreads(unsigned threads);
  ~IoThreads() { Join(); }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  const IoContexts& contexts() const { return *io_; }

  // Lets the contexts run out of work (every handler and operation completes) and joins the
  // threads. Idempotent. Blocks: call it from outside the threads.
  void Join();

 private:
  void Work(boost::asio::io_context& io);

  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::optional<IoContexts> io_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::atomic<size_t> out_of_work_{0};  // threads whose context has run out of work once
  std::vector<std::thread> threads_;
};

}  // namespace ptc
