// The open connections of one simulator server, so that it can close them when it stops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace ptc::sim {

// Thread-safe.
class SessionRegistry {
 public:
  uint64_t Add(std::function<void()> close);
  void Remove(uint64_t id);
  size_t size() const;
  // Closes every session. Only while no thread runs the sessions' io_context.
  void CloseAll();

 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::function<void()>> sessions_;
};

}  // namespace ptc::sim
