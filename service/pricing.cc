#include "service/pricing.h"

#include "absl/strings/str_cat.h"

namespace ptc {
namespace {
std::string Key(const std::string& backend, const std::string& model) {
  return absl::StrCat(backend, std::string(1, '\0'), model);
}
}  // namespace

PriceTable::PriceTable(const google::protobuf::RepeatedPtrField<v1::ModelPrice>& prices) {
  for (const auto& p : prices) prices_[Key(p.backend(), p.model())] = p;
}

const v1::ModelPrice& PriceTable::Find(const std::string& backend, const std::string& model) const {
  if (auto it = prices_.find(Key(backend, model)); it != prices_.end()) return it->second;
  if (auto it = prices_.find(Key(backend, "")); it != prices_.end()) return it->second;
  return zero_;
}

double PriceTable::Cost(const std::string& backend, const std::string& model,
                        const TokenUsage& u) const {
  const v1::ModelPrice& p = Find(backend, model);
  return (u.prompt * p.input_usd_per_mtok() + u.output() * p.output_usd_per_mtok()) / 1e6;
}

bool PriceTable::IsPricedModel(const std::string& backend, const std::string& model) const {
  return prices_.contains(Key(backend, model));
}

}  // namespace ptc
