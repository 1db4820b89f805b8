#include "samplers/backend_registry.h"

#include "common/status_macros.h"

namespace ptc {

std::string AnyTypeName(const google::protobuf::Any& any) {
  const std::string& url = any.type_url();
  auto slash = url.rfind('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const google::protobuf::Any& config,
                                                       BackendDeps& deps) {
  ASSIGN_OR_RETURN(BackendFactory factory, BackendRegistry::Global().Find(AnyTypeName(config)));
  return factory(config, deps);
}

}  // namespace ptc
