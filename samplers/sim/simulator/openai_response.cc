// The response bodies of openai_json.h that carry generated tokens.
#include <charconv>
#include <cmath>
#include <string>

#include "common/json_writer.h"
#include "samplers/sim/simulator/openai_json.h"

namespace ptc::sim {
namespace {

// The bodies that carry tokens are written directly: with log-probabilities they reach tens of
// megabytes, which a JSON DOM builds many times slower.

void AppendFloat(std::string* out, float v) {
  if (!std::isfinite(v)) v = -9999.0f;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendInt(std::string* out, uint64_t v) { out->append(std::to_string(v)); }

void AppendToken(std::string* out, const std::string& token, float logprob) {
  out->append("{\"token\":");
  AppendJsonString(*out, token);
  out->append(",\"logprob\":");
  AppendFloat(out, logprob);
  out->append(",\"bytes\":[");
  for (size_t i = 0; i < token.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendInt(out, static_cast<unsigned char>(token[i]));
  }
  out->push_back(']');
}

// {"content": [ChatCompletionTokenLogprob...], "refusal": null}, or null.
void AppendLogprobs(std::string* out, const std::vector<TokenLogprob>* logprobs) {
  if (logprobs == nullptr) {
    out->append("null");
    return;
  }
  out->append("{\"content\":[");
  for (size_t t = 0; t < logprobs->size(); ++t) {
    const TokenLogprob& lp = (*logprobs)[t];
    if (t > 0) out->push_back(',');
    AppendToken(out, lp.token, lp.logprob);
    out->append(",\"top_logprobs\":[");
    for (size_t k = 0; k < lp.top.size(); ++k) {
      if (k > 0) out->push_back(',');
      AppendToken(out, lp.top[k].first, lp.top[k].second);
      out->push_back('}');
    }
    out->append("]}");
  }
  out->append("],\"refusal\":null}");
}

void AppendHeader(std::string* out, const CompletionHeader& h, const char* object) {
  out->append("{\"id\":");
  AppendJsonString(*out, h.id);
  out->append(",\"object\":\"").append(object).append("\",\"created\":");
  out->append(std::to_string(h.created));
  out->append(",\"model\":");
  AppendJsonString(*out, h.model);
}

void AppendUsage(std::string* out, const Usage& u) {
  out->append("{\"prompt_tokens\":");
  AppendInt(out, u.prompt);
  out->append(",\"completion_tokens\":");
  AppendInt(out, u.completion);
  out->append(",\"total_tokens\":");
  AppendInt(out, u.prompt + u.completion);
  out->push_back('}');
}

}  // namespace

std::string CompletionBody(const CompletionHeader& h, const std::vector<ChoiceOutput>& choices,
                           bool logprobs, const Usage& usage) {
  std::string out;
  AppendHeader(&out, h, "chat.completion");
  out.append(",\"choices\":[");
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceOutput& c = choices[i];
    if (i > 0) out.push_back(',');
    out.append("{\"index\":");
    AppendInt(&out, i);
    out.append(",\"message\":{\"role\":\"assistant\",\"content\":");
    AppendJsonString(out, c.text);
    out.append(",\"refusal\":null},\"logprobs\":");
    AppendLogprobs(&out, logprobs ? &c.logprobs : nullptr);
    out.append(",\"finish_reason\":");
    AppendJsonString(out, c.finish_reason);
    out.push_back('}');
  }
  out.append("],\"usage\":");
  AppendUsage(&out, usage);
  out.push_back('}');
  return out;
}

std::string ChunkBody(const CompletionHeader& h, uint32_t index, bool role,
                      const std::string* content, const std::vector<TokenLogprob>* logprobs,
                      const char* finish_reason) {
  std::string out;
  AppendHeader(&out, h, "chat.completion.chunk");
  out.append(",\"choices\":[{\"index\":");
  AppendInt(&out, index);
  out.append(",\"delta\":{");
  if (role) out.append("\"role\":\"assistant\"");
  if (content != nullptr) {
    if (role) out.push_back(',');
    out.append("\"content\":");
    AppendJsonString(out, *content);
  }
  out.append("},\"logprobs\":");
  AppendLogprobs(&out, logprobs);
  out.append(",\"finish_reason\":");
  if (finish_reason == nullptr) {
    out.append("null");
  } else {
    AppendJsonString(out, finish_reason);
  }
  out.append("}]}");
  return out;
}

std::string UsageChunkBody(const CompletionHeader& h, const Usage& usage) {
  std::string out;
  AppendHeader(&out, h, "chat.completion.chunk");
  out.append(",\"choices\":[],\"usage\":");
  AppendUsage(&out, usage);
  out.push_back('}');
  return out;
}

}  // namespace ptc::sim
