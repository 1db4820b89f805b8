// One HTTP/1.1 connection of the fake backend (fake_backend_server.h): reads requests
// (keep-alive), answers them, paces streamed completions on an Asio timer. Asynchronous; the
// session lives as long as its pending operations.
#pragma once

#include <memory>

#include "bench/fake_backend/fake_backend_server.h"
#include "boost/asio/ip/tcp.hpp"

namespace ptc::fake {

// `socket` should run on a strand when the io_context has several threads.
void StartFakeSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<FakeBackendState> state);

}  // namespace ptc::fake
