// One HTTP/1.1 connection of the simulator: reads requests (keep-alive, pipelining, 1 MiB body
// limit), routes them and writes the answers, pacing completions on an Asio timer. Asynchronous
// throughout; the session lives as long as its pending operations.
#pragma once

#include <cstdint>
#include <memory>

#include "boost/asio/ip/tcp.hpp"
#include "samplers/sim/sim_model.h"
#include "samplers/sim/simulator/session_registry.h"

namespace ptc::sim {

inline constexpr uint64_t kMaxRequestBodyBytes = 1 << 20;

// `socket` should run on a strand when the io_context has several threads. `created` is the
// Unix time reported for the model by GET /v1/models.
void StartHttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<const SimModel> model,
                      int64_t created, std::shared_ptr<SessionRegistry> registry);

}  // namespace ptc::sim
