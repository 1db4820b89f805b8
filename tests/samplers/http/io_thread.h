// An io_context run by one background thread, for tests of asynchronous code.
#pragma once

#include <optional>
#include <thread>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"

namespace ptc::http {

class IoThread {
 public:
  IoThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  // Stops and joins first; objects bound to io() may then be destroyed by their owners.
  ~IoThread() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  // Lets the thread run out of work (no handler is dropped) and joins it. For objects spread over
  // several io_contexts: a handler dropped by Stop may hold the last reference to an object with
  // sockets on another io_context, destroyed after it.
  void Join() {
    if (!thread_.joinable()) return;
    guard_.reset();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

}  // namespace ptc::http
