#include "common/io_threads.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "boost/asio/bind_executor.hpp"
#include "boost/asio/buffer.hpp"
#include "boost/asio/local/connect_pair.hpp"
#include "boost/asio/local/stream_protocol.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using namespace std::chrono_literals;

TEST(IoThreadsTest, RunsEachContextOnAThreadOfItsOwn) {
  IoThreads threads(3);
  ASSERT_EQ(threads.contexts().size(), 3u);
  std::promise<std::thread::id> ids[3];
  for (size_t i = 0; i < 3; ++i) {
    boost::asio::post(threads.contexts()[i],
                      [&, i] { ids[i].set_value(std::this_thread::get_id()); });
  }
  const std::thread::id a = ids[0].get_future().get(), b = ids[1].get_future().get(),
                        c = ids[2].get_future().get();
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, c);
  EXPECT_NE(a, std::this_thread::get_id());
  threads.Join();
  threads.Join();  // idempotent
}

// An operation that context 0 starts on a socket of context 1 after context 1 ran out of work
// (as an exchange does with a connection taken across contexts at a pool's limit) completes,
// and Join returns: context 1's thread keeps running its reactor until context 0 is done.
TEST(IoThreadsTest, JoinFinishesAnOperationOnAnotherContextsSocket) {
  IoThreads threads(2);
  boost::asio::io_context& a = threads.contexts()[0];
  boost::asio::io_context& b = threads.contexts()[1];
  boost::asio::local::stream_protocol::socket mine(b), peer(b);
  boost::asio::local::connect_pair(mine, peer);
  std::atomic<bool> joining = false;
  std::string got(5, '\0');
  std::atomic<bool> read_done = false;
  boost::asio::post(a, [&] {
    while (!joining) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(100ms);  // context 1, with no work, runs out of it meanwhile
    boost::asio::async_read(
        mine, boost::asio::buffer(got),
        boost::asio::bind_executor(a, [&](boost::system::error_code ec, size_t) {
          EXPECT_FALSE(ec) << ec.message();
          read_done = true;
        }));
    boost::asio::write(peer, boost::asio::buffer(std::string("hello")));
  });
  joining = true;
  auto joined = std::async(std::launch::async, [&] { threads.Join(); });
  if (joined.wait_for(30s) != std::future_status::ready) {
    std::fprintf(stderr, "IoThreads::Join did not return: the read on context 1 never ran\n");
    std::abort();  // the threads are stuck; nothing can be cleaned up
  }
  EXPECT_TRUE(read_done);
  EXPECT_EQ(got, "hello");
}

}  // namespace
}  // namespace ptc
