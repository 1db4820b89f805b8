// The OpenAI adapter's side of the conformance tests (openapi_conformance_test.sh): writes the
// request bodies it builds across option combinations, and decodes response bodies and event
// streams given as files, printing what it read as JSON.
//
//   openai_conformance_tool requests OUTDIR
//       writes OUTDIR/openai/*.json (OPENAI, LLAMA_CPP and OLLAMA bodies: only fields of the
//       OpenAI document) and OUTDIR/extensions/*.json (VLLM / SGLANG bodies with top_k, min_p,
//       chat_template_kwargs).
//   openai_conformance_tool decode-body FILE N TOP_LOGPROBS
//   openai_conformance_tool decode-stream FILE N TOP_LOGPROBS
//       FILE is a chat.completion body, or a text/event-stream. Prints {"complete", "choices":
//       [{"text", "reasoning", "finish_reason", "tokens", "logprobs", "usage": {...}}]}; exits 1
//       with {"error": ...} when the decoder fails.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "samplers/http/sse_parser.h"
#include "samplers/openai/openai_decoder.h"
#include "samplers/openai/openai_request.h"

namespace ptc::openai {
namespace {

using Json = nlohmann::ordered_json;
using Config = v1::OpenAiBackendConfig;

OpenAiOptions Options(Config::Flavor flavor, bool thinking_switch) {
  OpenAiOptions o;
  o.flavor = flavor;
  o.default_model = "gpt-4o-mini";
  o.use_max_completion_tokens = flavor == Config::OPENAI;
  o.thinking_switch = thinking_switch;
  o.capabilities = FlavorCapabilities(flavor, thinking_switch);
  return o;
}

ChainSpec BaseSpec() {
  ChainSpec s;
  s.model = "gpt-4o-mini";
  s.messages = std::make_shared<const std::vector<ChatMessage>>(
      std::vector<ChatMessage>{{ChatMessage::Role::kSystem, "Answer with one letter."},
                               {ChatMessage::Role::kUser, "Which is larger?\n\nA) 3\nB) 4"},
                               {ChatMessage::Role::kAssistant, "B"},
                               {ChatMessage::Role::kUser, "And now: A) 9 B) 8"}});
  return s;
}

int Write(const std::string& path, const std::string& body) {
  std::ofstream out(path);
  out << body;
  return out.good() ? 0 : 1;
}

int Requests(const std::string& dir) {
  int written = 0, failed = 0;
  auto emit = [&](const std::string& sub, const std::string& name, const OpenAiOptions& o,
                  const ChainSpec& s, uint32_t n, bool stream) {
    absl::StatusOr<std::string> body = BuildChatCompletionBody(o, s, n, stream);
    if (!body.ok()) {
      std::cerr << name << ": " << body.status() << "\n";
      ++failed;
      return;
    }
    failed += Write(dir + "/" + sub + "/" + name + ".json", *body);
    ++written;
  };
  for (uint32_t n : {1u, 3u}) {
    for (uint32_t top : {0u, 5u}) {
      for (bool stream : {true, false}) {
        for (const char* effort : {"", "low", "high"}) {
          for (int variant = 0; variant < 2; ++variant) {
            OpenAiOptions o = Options(Config::OPENAI, false);
            ChainSpec s = BaseSpec();
            s.top_logprobs = top;
            s.reasoning_effort = effort;
            s.seed = 7;
            if (variant == 1) {
              s.seed = (uint64_t{1} << 63) + 5;  // sent as a negative int64
              s.temperature = 0.7f;
              s.top_p = 0.95f;
              s.max_tokens = 2048;
              o.stop = {"</answer>", "\n\nQ:"};
              o.use_max_completion_tokens = effort[0] == '\0';
            }
            emit("openai",
                 "openai_n" + std::to_string(n) + "_lp" + std::to_string(top) +
                     (stream ? "_stream" : "_body") + "_effort-" + (effort[0] ? effort : "none") +
                     "_v" + std::to_string(variant),
                 o, s, n, stream);
          }
        }
      }
    }
  }
  for (Config::Flavor f : {Config::LLAMA_CPP, Config::OLLAMA}) {
    for (bool stream : {true, false}) {
      ChainSpec s = BaseSpec();
      s.temperature = 1.0f;
      s.max_tokens = 100;
      s.top_logprobs = f == Config::LLAMA_CPP ? 3 : 0;
      emit("openai", std::string(FlavorName(f)) + (stream ? "_stream" : "_body"), Options(f, false),
           s, 1, stream);
    }
  }
  for (Config::Flavor f : {Config::VLLM, Config::SGLANG}) {
    for (uint32_t budget : {0u, 8192u}) {
      OpenAiOptions o = Options(f, true);
      o.top_k = 20;
      o.min_p = 0.0f;
      ChainSpec s = BaseSpec();
      s.thinking_budget = budget;
      s.top_logprobs = 2;
      s.max_tokens = 32768;
      emit("extensions", std::string(FlavorName(f)) + "_thinking" + std::to_string(budget), o, s, 4,
           true);
    }
  }
  std::cout << written << " request bodies written, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

class CollectingSink : public http::DecodeSink {
 public:
  explicit CollectingSink(uint32_t n) : tokens(n, 0), logprobs(n, 0), text(n), reasoning(n) {}
  void OnDelta(uint32_t choice, const ChainDelta& d) override {
    tokens[choice] += d.tokens;
    logprobs[choice] += d.logprobs.size();
    text[choice] += d.text;
    reasoning[choice] += d.reasoning;
  }
  std::vector<uint64_t> tokens, logprobs;
  std::vector<std::string> text, reasoning;
};

int Decode(bool stream, const std::string& path, uint32_t n, uint32_t top) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string input = ss.str();
  DecoderOptions o;
  o.n = n;
  o.top_logprobs = top;
  OpenAiDecoder decoder(o);
  CollectingSink sink(n);
  absl::Status status;
  if (stream) {
    http::SseParser parser;
    absl::Status parse = parser.Feed(input, [&](const http::SseEvent& e) {
      if (status.ok()) status = decoder.OnEvent(e, sink);
    });
    if (status.ok()) status = parse;
  } else {
    status = decoder.OnBody(input, sink);
  }
  if (!status.ok()) {
    std::cout << Json{{"error", status.ToString()}}.dump() << "\n";
    return 1;
  }
  Json out = {{"complete", decoder.complete()}, {"choices", Json::array()}};
  for (uint32_t i = 0; i < n; ++i) {
    const ChainResult r = decoder.TakeResult(i);
    Json c = {{"text", r.text},
              {"reasoning", r.reasoning},
              {"streamed_text", sink.text[i]},
              {"streamed_reasoning", sink.reasoning[i]},
              {"finish_reason", r.finish_reason},
              {"tokens", sink.tokens[i]},
              {"logprobs", sink.logprobs[i]},
              {"usage",
               {{"prompt", r.usage.prompt},
                {"cached_prompt", r.usage.cached_prompt},
                {"completion", r.usage.completion},
                {"reasoning", r.usage.reasoning}}}};
    if (r.mean_token_confidence) c["confidence"] = *r.mean_token_confidence;
    out["choices"].push_back(std::move(c));
  }
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace
}  // namespace ptc::openai

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "requests") return ptc::openai::Requests(args[1]);
  if (args.size() == 4 && (args[0] == "decode-body" || args[0] == "decode-stream")) {
    return ptc::openai::Decode(args[0] == "decode-stream", args[1],
                               static_cast<uint32_t>(std::stoul(args[2])),
                               static_cast<uint32_t>(std::stoul(args[3])));
  }
  std::cerr << "usage: openai_conformance_tool requests OUTDIR | decode-body FILE N TOP | "
               "decode-stream FILE N TOP\n";
  return 2;
}
