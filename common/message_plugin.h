// Plugins chosen by a message in a request's oneof (aggregation strategies, stop rules): each
// registers a factory under its message's full protobuf name, and CreateFromOneof builds the one a
// request sets. One instance is created per request.
//
//   PTC_REGISTER_MESSAGE_PLUGIN(Aggregator, ptc::v1::MajorityVote, &MajorityAggregator::Create);
#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/registry.h"
#include "google/protobuf/message.h"

namespace ptc {

template <typename Interface>
using MessagePluginFactory = std::function<absl::StatusOr<std::unique_ptr<Interface>>(
    const google::protobuf::Message& config)>;

template <typename Interface>
using MessagePluginRegistry = Registry<MessagePluginFactory<Interface>>;

template <typename Interface, typename Config>
struct MessagePluginRegistration {
  using TypedFactory = absl::StatusOr<std::unique_ptr<Interface>> (*)(const Config&);
  explicit MessagePluginRegistration(TypedFactory factory) {
    MessagePluginRegistry<Interface>::Global().Register(
        Config::descriptor()->full_name(), [factory](const google::protobuf::Message& m) {
          return factory(static_cast<const Config&>(m));
        });
  }
};

// Builds the plugin for the message set in `container`'s oneof named `oneof`, or for `fallback`
// when none is set. An unregistered message is INVALID_ARGUMENT naming `field`.
template <typename Interface>
absl::StatusOr<std::unique_ptr<Interface>> CreateFromOneof(
    const google::protobuf::Message& container, const char* oneof,
    const google::protobuf::Message& fallback, absl::string_view field) {
  const google::protobuf::Reflection* refl = container.GetReflection();
  const google::protobuf::FieldDescriptor* set =
      refl->GetOneofFieldDescriptor(container, container.GetDescriptor()->FindOneofByName(oneof));
  const google::protobuf::Message& config = set ? refl->GetMessage(container, set) : fallback;
  auto factory =
      MessagePluginRegistry<Interface>::Global().Find(config.GetDescriptor()->full_name());
  if (!factory.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", factory.status().message()));
  }
  return (*factory)(config);
}

#define PTC_MESSAGE_PLUGIN_CONCAT_INNER_(a, b) a##b
#define PTC_MESSAGE_PLUGIN_CONCAT_(a, b) PTC_MESSAGE_PLUGIN_CONCAT_INNER_(a, b)
#define PTC_REGISTER_MESSAGE_PLUGIN(Interface, ConfigType, factory)                          \
  static ::ptc::MessagePluginRegistration<Interface, ConfigType> PTC_MESSAGE_PLUGIN_CONCAT_( \
      ptc_message_plugin_registration_, __LINE__)(factory)

}  // namespace ptc
