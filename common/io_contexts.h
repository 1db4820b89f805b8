// The io_contexts a component may run its work on. The server runs one io_context per worker
// thread (each run by that thread alone), so that a request's strand, its chains, their HTTP
// exchanges and their connections can all stay on one thread: hand-offs between them then never
// wake another thread, and the objects they share stay in one core's cache. Tests and tools
// with a single io_context pass it where an IoContexts is expected (the conversion is implicit).
//
// A non-owning, cheap-to-copy list; copies share the turn counter. The io_contexts must outlive
// every copy.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "boost/asio/io_context.hpp"

namespace ptc {

class IoContexts {
 public:
  IoContexts(boost::asio::io_context& io)  // NOLINT(google-explicit-constructor): one context
      : contexts_{&io} {}
  // Requires at least one context.
  explicit IoContexts(std::vector<boost::asio::io_context*> contexts)
      : contexts_(std::move(contexts)) {}

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& operator[](size_t i) const { return *contexts_[i]; }

  // The index of the context whose handler the calling thread is running, if any.
  std::optional<size_t> Current() const {
    for (size_t i = 0; i < contexts_.size(); ++i) {
      if (contexts_[i]->get_executor().running_in_this_thread()) return i;
    }
    return std::nullopt;
  }
  // The next context in turn (for work that arrives from outside: a gRPC call's Run).
  size_t NextIndex() const {
    return contexts_.size() == 1 ? 0 : next_->fetch_add(1, std::memory_order_relaxed) % size();
  }
  boost::asio::io_context& Next() const { return *contexts_[NextIndex()]; }
  // The calling thread's context when it runs one of these, otherwise the next in turn: work
  // started from a handler stays on that handler's thread.
  size_t LocalIndex() const {
    if (contexts_.size() == 1) return 0;
    const std::optional<size_t> current = Current();
    return current ? *current : NextIndex();
  }
  // The index of `io` among these, if it is one of them.
  std::optional<size_t> IndexOf(const boost::asio::io_context& io) const {
    for (size_t i = 0; i < contexts_.size(); ++i) {
      if (contexts_[i] == &io) return i;
    }
    return std::nullopt;
  }

 private:
  std::vector<boost::asio::io_context*> contexts_;
  std::shared_ptr<std::atomic<size_t>> next_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace ptc
