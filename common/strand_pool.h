// A fixed set of strands on one io_context, handed out in turn, for short-lived objects (a chain,
// an upstream request) that each need their handlers serialized. Making and dropping a strand per
// object takes Asio's strand-service lock twice, and the io threads contend for it; objects that
// share a strand only have their (short, non-blocking) handlers serialized with each other.
// Thread-safe; a strand handed out stays valid after the pool is gone (it holds its own state).
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/strand.hpp"

namespace ptc {

class StrandPool {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  static constexpr size_t kDefaultSize = 64;

  explicit StrandPool(boost::asio::io_context& io, size_t size = kDefaultSize) {
    strands_.reserve(size);
    for (size_t i = 0; i < size; ++i) strands_.push_back(boost::asio::make_strand(io));
  }

  // The next strand, in turn.
  Strand Next() const {
    return strands_[next_.fetch_add(1, std::memory_order_relaxed) % strands_.size()];
  }

 private:
  std::vector<Strand> strands_;
  mutable std::atomic<size_t> next_{0};
};

}  // namespace ptc
