// A registry of plugin factories keyed by the full protobuf name of the plugin's config message
// (e.g. "ptc.v1.SimBackendConfig"). Plugins register from a static initialiser in their own
// folder; link them as object libraries so the linker cannot drop the registration.
//
// Registration happens before main(); a duplicate name cannot fail there, so it is recorded and
// reported by Errors(), which the server checks at start-up.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ptc {

template <typename Factory>
class Registry {
 public:
  // The process-wide registry of this factory type.
  static Registry& Global() {
    static Registry* r = new Registry();
    return *r;
  }

  void Register(const std::string& name, Factory factory) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!factories_.emplace(name, std::move(factory)).second) {
      errors_.push_back(absl::StrCat("duplicate registration of plugin \"", name, "\""));
    }
  }

  // The factory for `name`, or NotFound naming it and listing the known ones.
  absl::StatusOr<Factory> Find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = factories_.find(name);
    if (it == factories_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "unknown plugin \"", name, "\" (known: ", absl::StrJoin(NamesLocked(), ", "), ")"));
    }
    return it->second;
  }

  std::vector<std::string> Names() const {
    std::lock_guard<std::mutex> lock(mu_);
    return NamesLocked();
  }

  // OK unless a registration failed (duplicate names).
  absl::Status Errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (errors_.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrJoin(errors_, "; "));
  }

 private:
  // Call with mu_ held.
  std::vector<std::string> NamesLocked() const {
    std::vector<std::string> names;
    for (const auto& [name, _] : factories_) names.push_back(name);
    return names;
  }

  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Factory> factories_;
  std::vector<std::string> errors_;
};

}  // namespace ptc
