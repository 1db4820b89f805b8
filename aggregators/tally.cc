#include "aggregators/tally.h"

#include <algorithm>

namespace ptc {

void Tally::Add(uint32_t chain_index, const std::string& answer, double weight) {
  auto [it, inserted] = index_.try_emplace(answer, entries_.size());
  if (inserted) entries_.push_back(Entry{answer, 0, 0, chain_index});
  Entry& e = entries_[it->second];
  ++e.votes;
  e.weight += weight;
  e.first_chain = std::min(e.first_chain, chain_index);
  ++parseable_;
}

std::vector<Tally::Entry> Tally::RankedByVotes() const {
  std::vector<Entry> out = entries_;
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    if (a.votes != b.votes) return a.votes > b.votes;
    return a.first_chain < b.first_chain;
  });
  return out;
}

std::vector<Tally::Entry> Tally::RankedByWeight() const {
  std::vector<Entry> out = entries_;
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    return a.first_chain < b.first_chain;
  });
  return out;
}

}  // namespace ptc
