#include "samplers/sim/simulator/session_registry.h"

#include <vector>

namespace ptc::sim {

uint64_t SessionRegistry::Add(std::function<void()> close) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.emplace(next_id_, std::move(close));
  return next_id_++;
}

void SessionRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

size_t SessionRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

void SessionRegistry::CloseAll() {
  std::vector<std::function<void()>> closes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, close] : sessions_) closes.push_back(close);
  }
  for (auto& close : closes) close();  // no thread runs the sessions: none is destroyed here
}

}  // namespace ptc::sim
