// USD prices per million tokens, by backend and model, from ServerConfig.pricing. Reasoning
// tokens are billed as output; cached prompt tokens at the cached-input price when one is set.
// Unpriced models cost 0 (and the ledger still counts their tokens).
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/repeated_field.h"
#include "ptc/v1/config.pb.h"
#include "samplers/chain.h"

namespace ptc {

class PriceTable {
 public:
  PriceTable() = default;
  explicit PriceTable(const google::protobuf::RepeatedPtrField<v1::ModelPrice>& prices);

  // The model's own price, else its backend's catch-all price (empty model), else zero.
  const v1::ModelPrice& Find(const std::string& backend, const std::string& model) const;
  double Cost(const std::string& backend, const std::string& model, const TokenUsage& u) const;
  // Whether the pair has a price entry of its own (bounded set: used for metric labels).
  bool IsPricedModel(const std::string& backend, const std::string& model) const;

 private:
  absl::flat_hash_map<std::string, v1::ModelPrice> prices_;  // key: backend + '\0' + model
  v1::ModelPrice zero_;
};

}  // namespace ptc
