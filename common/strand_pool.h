// A fixed set of strands handed out in turn, for short-lived objects (a chain, an upstream
// request) that each need their handlers serialized. Making and dropping a strand per object
// takes Asio's strand-service lock twice (an io_context's, which every thread making strands on it
// contends for); objects that share a strand only have their (short, non-blocking) handlers
// serialized with each other. Over several io_contexts (the server's, one per worker thread), each
// has its own strands, and Next() hands out one of the calling thread's context (see
// IoContexts::LocalIndex): a chain started from its Run's strand runs on the Run's thread.
// Thread-safe; a strand handed out stays valid after the pool is gone (it holds its own state).
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/strand.hpp"
#include "common/io_contexts.h"

namespace ptc {

class StrandPool {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  static constexpr size_t kDefaultSize = 64;  // per io_context

  explicit StrandPool(const IoContexts& io, size_t size = kDefaultSize) : io_(io) {
    strands_.resize(io.size());
    for (size_t c = 0; c < io.size(); ++c) {
      strands_[c].reserve(size);
      for (size_t i = 0; i < size; ++i) strands_[c].push_back(boost::asio::make_strand(io[c]));
    }
  }

  // The next strand, in turn, of the calling thread's io_context (or of the next one in turn).
  Strand Next() const {
    const std::vector<Strand>& strands = strands_[io_.LocalIndex()];
    return strands[next_.fetch_add(1, std::memory_order_relaxed) % strands.size()];
  }

 private:
  IoContexts io_;
  std::vector<std::vector<Strand>> strands_;  // per io_context
  mutable std::atomic<size_t> next_{0};
};

}  // namespace ptc
