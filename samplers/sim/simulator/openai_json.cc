#include "samplers/sim/simulator/openai_json.h"

#include <cmath>
#include <limits>

#include "nlohmann/json.hpp"

namespace ptc::sim {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

std::string Dump(const OJson& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// A null field is treated as absent, as OpenAI does.
const Json* Field(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<int64_t> AsInt(const Json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(std::string* param) : param_(param) {}

  absl::StatusOr<ChatRequest> Parse(std::string_view body) {
    const Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Bad("", "We could not parse the JSON body of your request: it is not valid JSON.");
    }
    if (!j.is_object()) return Bad("", "The request body must be a JSON object.");
    ChatRequest r;
    if (const Json* v = Field(j, "model")) {
      if (!v->is_string()) return Bad("model", "'model' must be a string.");
      r.model = v->get<std::string>();
    }
    if (absl::Status s = ParseMessages(j, &r); !s.ok()) return s;
    if (const Json* v = Field(j, "n")) {
      std::optional<int64_t> n = AsInt(*v);
      if (!n || *n < 1 || *n > kMaxChoices) {
        return Bad("n", "'n' must be an integer between 1 and 128, got " + v->dump() + ".");
      }
      r.n = static_cast<uint32_t>(*n);
    }
    if (absl::Status s = ParseNumber(j, "temperature", 0, 2, &r.temperature); !s.ok()) return s;
    if (absl::Status s = ParseNumber(j, "top_p", 0, 1, &r.top_p); !s.ok()) return s;
    if (const Json* v = Field(j, "seed")) {
      r.seed = AsInt(*v);
      if (!r.seed) return Bad("seed", "'seed' must be a 64-bit integer, got " + v->dump() + ".");
    }
    for (const char* name : {"max_tokens", "max_completion_tokens"}) {
      if (const Json* v = Field(j, name)) {
        std::optional<int64_t> m = AsInt(*v);
        if (!m || *m < 1) {
          return Bad(name, std::string("'") + name + "' must be a positive integer, got " +
                               v->dump() + ".");
        }
        r.max_tokens =
            static_cast<uint32_t>(std::min<int64_t>(*m, std::numeric_limits<uint32_t>::max()));
      }
    }
    if (absl::Status s = ParseBool(j, "logprobs", &r.logprobs); !s.ok()) return s;
    if (const Json* v = Field(j, "top_logprobs")) {
      std::optional<int64_t> k = AsInt(*v);
      if (!k || *k < 0 || *k > kMaxTopLogprobs) {
        return Bad("top_logprobs",
                   "'top_logprobs' must be an integer between 0 and 20, got " + v->dump() + ".");
      }
      if (*k > 0 && !r.logprobs) {
        return Bad("top_logprobs", "'logprobs' must be true when 'top_logprobs' is used.");
      }
      r.top_logprobs = static_cast<uint32_t>(*k);
    }
    if (absl::Status s = ParseBool(j, "stream", &r.stream); !s.ok()) return s;
    if (const Json* v = Field(j, "stream_options")) {
      if (!v->is_object()) return Bad("stream_options", "'stream_options' must be an object.");
      if (const Json* u = Field(*v, "include_usage")) {
        if (!u->is_boolean()) {
          return Bad("stream_options.include_usage",
                     "'stream_options.include_usage' must be a boolean.");
        }
        r.include_usage = u->get<bool>();
      }
    }
    return r;
  }

 private:
  absl::Status Bad(std::string field, const std::string& message) {
    *param_ = std::move(field);
    return absl::InvalidArgumentError(message);
  }

  absl::Status ParseNumber(const Json& j, const char* name, double lo, double hi,
                           std::optional<float>* out) {
    const Json* v = Field(j, name);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_number() || !(v->get<double>() >= lo && v->get<double>() <= hi)) {
      return Bad(name, std::string("'") + name + "' must be a number between " + Json(lo).dump() +
                           " and " + Json(hi).dump() + ", got " + v->dump() + ".");
    }
    *out = static_cast<float>(v->get<double>());
    return absl::OkStatus();
  }

  absl::Status ParseBool(const Json& j, const char* name, bool* out) {
    const Json* v = Field(j, name);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_boolean()) {
      return Bad(name, std::string("'") + name + "' must be a boolean, got " + v->dump() + ".");
    }
    *out = v->get<bool>();
    return absl::OkStatus();
  }

  absl::Status ParseMessages(const Json& j, ChatRequest* r) {
    const Json* msgs = Field(j, "messages");
    if (msgs == nullptr) return Bad("messages", "'messages' is a required property.");
    if (!msgs->is_array()) return Bad("messages", "'messages' must be an array.");
    if (msgs->empty()) return Bad("messages", "'messages' must contain at least one message.");
    auto out = std::make_shared<std::vector<ChatMessage>>();
    for (size_t i = 0; i < msgs->size(); ++i) {
      const Json& m = (*msgs)[i];
      const std::string p = "messages[" + std::to_string(i) + "]";
      if (!m.is_object()) return Bad(p, "'" + p + "' must be an object.");
      ChatMessage message;
      const Json* role = Field(m, "role");
      const std::string role_name = role && role->is_string() ? role->get<std::string>() : "";
      if (role_name == "system" || role_name == "developer" || role_name == "tool" ||
          role_name == "function") {
        message.role = ChatMessage::Role::kSystem;  // not read as the question
      } else if (role_name == "user") {
        message.role = ChatMessage::Role::kUser;
      } else if (role_name == "assistant") {
        message.role = ChatMessage::Role::kAssistant;
      } else {
        return Bad(p + ".role", "'" + p +
                                    ".role' must be one of 'system', 'developer', 'user', "
                                    "'assistant', 'tool'.");
      }
      const Json* content = Field(m, "content");
      if (content == nullptr) {
        if (message.role != ChatMessage::Role::kAssistant) {
          return Bad(p + ".content", "'" + p + ".content' is a required property.");
        }
      } else if (content->is_string()) {
        message.content = content->get<std::string>();
      } else if (content->is_array()) {
        for (size_t k = 0; k < content->size(); ++k) {
          const Json& part = (*content)[k];
          const std::string pp = p + ".content[" + std::to_string(k) + "]";
          const Json* type = part.is_object() ? Field(part, "type") : nullptr;
          if (type == nullptr || !type->is_string()) {
            return Bad(pp + ".type", "'" + pp + "' must be an object with a string 'type'.");
          }
          if (type->get<std::string>() != "text") continue;  // images, audio, files: not read
          const Json* text = Field(part, "text");
          if (text == nullptr || !text->is_string()) {
            return Bad(pp + ".text", "'" + pp + ".text' must be a string.");
          }
          if (!message.content.empty()) message.content += "\n";
          message.content += text->get<std::string>();
        }
      } else {
        return Bad(p + ".content",
                   "'" + p + ".content' must be a string or an array of content parts.");
      }
      out->push_back(std::move(message));
    }
    r->messages = std::move(out);
    return absl::OkStatus();
  }

  std::string* param_;
};

}  // namespace

absl::StatusOr<ChatRequest> ParseChatRequest(std::string_view body, std::string* param) {
  param->clear();
  try {
    return Parser(param).Parse(body);
  } catch (const std::exception& e) {  // a safety net: the parser checks types before reading
    return absl::InvalidArgumentError(std::string("Invalid request: ") + e.what());
  }
}

std::string ErrorBody(std::string_view message, std::string_view type, std::string_view param,
                      std::string_view code) {
  OJson error{{"message", std::string(message)},
              {"type", std::string(type)},
              {"param", param.empty() ? OJson(nullptr) : OJson(std::string(param))},
              {"code", code.empty() ? OJson(nullptr) : OJson(std::string(code))}};
  return Dump(OJson{{"error", std::move(error)}});
}

std::string ModelsBody(const std::string& model, int64_t created) {
  OJson m{{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "ptc"}};
  return Dump(OJson{{"object", "list"}, {"data", OJson::array({std::move(m)})}});
}

}  // namespace ptc::sim
