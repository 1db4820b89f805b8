#include "common/io_contexts.h"

#include <optional>
#include <thread>
#include <vector>

#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "gtest/gtest.h"

namespace ptc {
namespace {

// What `f` returns when run by a handler of `io` (run on this thread until it is done).
template <class F>
auto RunIn(boost::asio::io_context& io, F f) {
  std::optional<decltype(f())> out;
  boost::asio::post(io, [&] { out = f(); });
  io.restart();
  io.run();
  return *out;
}

TEST(IoContextsTest, OneContextConvertsAndIsAlwaysChosen) {
  boost::asio::io_context io;
  const IoContexts one = io;
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(&one[0], &io);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(one.NextIndex(), 0u);
    EXPECT_EQ(one.LocalIndex(), 0u);
  }
  EXPECT_EQ(one.Current(), std::nullopt);
  EXPECT_EQ(RunIn(io, [&] { return one.Current(); }), std::optional<size_t>(0));
}

TEST(IoContextsTest, KnowsTheContextOfTheCallingHandler) {
  boost::asio::io_context a, b, c;
  const IoContexts all({&a, &b, &c});
  EXPECT_EQ(all.Current(), std::nullopt);
  EXPECT_EQ(RunIn(a, [&] { return all.Current(); }), std::optional<size_t>(0));
  EXPECT_EQ(RunIn(c, [&] { return all.Current(); }), std::optional<size_t>(2));
  // Also from a strand's handler, and every time (not the next in turn).
  auto strand = boost::asio::make_strand(b);
  std::vector<size_t> local;
  boost::asio::post(strand, [&] {
    for (int i = 0; i < 4; ++i) local.push_back(all.LocalIndex());
  });
  b.run();
  EXPECT_EQ(local, std::vector<size_t>(4, 1));
  EXPECT_EQ(all.IndexOf(c), std::optional<size_t>(2));
  boost::asio::io_context other;
  EXPECT_EQ(all.IndexOf(other), std::nullopt);
  EXPECT_EQ(RunIn(other, [&] { return all.Current(); }), std::nullopt);
}

TEST(IoContextsTest, OutsideAnyContextTakesThemInTurnAndCopiesShareTheTurn) {
  boost::asio::io_context a, b, c;
  const IoContexts all({&a, &b, &c});
  const IoContexts copy = all;
  std::vector<size_t> got;
  for (int i = 0; i < 3; ++i) {
    got.push_back(all.LocalIndex());
    got.push_back(copy.NextIndex());
  }
  EXPECT_EQ(got, (std::vector<size_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(&all.Next(), &a);  // the seventh turn
}

}  // namespace
}  // namespace ptc
