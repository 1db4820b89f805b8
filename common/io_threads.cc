#include "common/io_threads.h"

#include <chrono>

namespace ptc {

IoThreads::IoThreads(unsigned threads) {
  std::vector<boost::asio::io_context*> contexts;
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    // Run by one thread, but other threads post to it (a Run's start and cancel from gRPC's):
    // not the single-threaded hint, which would drop the scheduler's locking.
    contexts_.push_back(std::make_unique<boost::asio::io_context>());
    contexts.push_back(contexts_.back().get());
    work_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
  io_.emplace(std::move(contexts));
  for (auto& io : contexts_) threads_.emplace_back([this, io = io.get()] { Work(*io); });
}

void IoThreads::Work(boost::asio::io_context& io) {
  io.run();
  // Out of work (only once Join released the guards). Another context's exchange may still
  // have an operation on one of this context's sockets: keep running this one until every
  // context has been out of work. None gets work after that: work on a context comes from its
  // own handlers, another context's (which that context counts as work of its own too), or
  // from outside, which has stopped before Join.
  ++out_of_work_;
  while (out_of_work_.load() < contexts_.size()) {
    io.restart();
    if (io.poll() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void IoThreads::Join() {
  work_.clear();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace ptc
