#include "common/strand_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "boost/asio/post.hpp"
#include "gtest/gtest.h"

namespace ptc {
namespace {

TEST(StrandPoolTest, HandsOutItsStrandsInTurn) {
  boost::asio::io_context io;
  StrandPool pool(io, 3);
  std::vector<StrandPool::Strand> got;
  for (int i = 0; i < 7; ++i) got.push_back(pool.Next());
  for (int i = 0; i < 7; ++i) {
    for (int j = 0; j < 7; ++j) EXPECT_EQ(got[i] == got[j], i % 3 == j % 3) << i << " " << j;
  }
}

// Handlers posted to one pooled strand never overlap, from several threads, and the strand
// still runs them after the pool is gone.
TEST(StrandPoolTest, AStrandSerializesAndOutlivesThePool) {
  boost::asio::io_context io;
  StrandPool::Strand strand = StrandPool(io, 2).Next();
  std::atomic<int> inside = 0;
  int overlaps = 0, ran = 0;  // touched only on the strand
  for (int i = 0; i < 2000; ++i) {
    boost::asio::post(strand, [&] {
      if (++inside > 1) ++overlaps;
      ++ran;
      --inside;
    });
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { io.run(); });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ran, 2000);
  EXPECT_EQ(overlaps, 0);
}

// Over several io_contexts, a handler of one gets a strand of its own context, every time;
// a thread outside them gets each context's strands in turn.
TEST(StrandPoolTest, HandsAHandlerAStrandOfItsOwnContext) {
  boost::asio::io_context a, b;
  const IoContexts both({&a, &b});
  StrandPool pool(both, 3);
  const auto context_of = [](const StrandPool::Strand& s) {
    return &s.get_inner_executor().context();
  };
  std::vector<boost::asio::io_context*> from_b;
  boost::asio::post(b, [&] {
    for (int i = 0; i < 5; ++i) from_b.push_back(context_of(pool.Next()));
  });
  b.run();
  EXPECT_EQ(from_b, std::vector<boost::asio::io_context*>(5, &b));
  std::vector<boost::asio::io_context*> outside;
  for (int i = 0; i < 4; ++i) outside.push_back(context_of(pool.Next()));
  EXPECT_EQ(outside, (std::vector<boost::asio::io_context*>{&a, &b, &a, &b}));
}

}  // namespace
}  // namespace ptc
