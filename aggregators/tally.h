// The running count of answers over a request's finished chains.
//
// Ranking is deterministic whatever order chains finish in: by votes (or weight), descending,
// then by the lowest plan index among the chains that gave the answer (so with a tie, the answer
// of the earliest chain in the plan wins; with N = 1 the answer is that chain's). Unparseable
// chains are counted apart and never rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace ptc {

class Tally {
 public:
  struct Entry {
    std::string answer;
    uint32_t votes = 0;
    double weight = 0;
    uint32_t first_chain = 0;  // lowest plan index that gave this answer
  };

  // Records chain `chain_index`'s answer with a weight (1 for a plain vote).
  void Add(uint32_t chain_index, const std::string& answer, double weight = 1.0);
  void AddUnparseable() { ++unparseable_; }

  // Entries by votes desc, then first_chain asc.
  std::vector<Entry> RankedByVotes() const;
  // Entries by weight desc, then first_chain asc.
  std::vector<Entry> RankedByWeight() const;

  uint32_t parseable() const { return parseable_; }
  uint32_t unparseable() const { return unparseable_; }

 private:
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<Entry> entries_;
  uint32_t parseable_ = 0;
  uint32_t unparseable_ = 0;
};

}  // namespace ptc
