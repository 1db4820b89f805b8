#include "samplers/openai/openai_decoder.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "samplers/openai/openai_errors.h"

namespace ptc::openai {
namespace {

using Json = nlohmann::json;

// The member `key` of `j` when `j` is an object holding it and it is not null.
const Json* Field(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status Malformed(std::string_view what) {
  return absl::InternalError(
      absl::StrCat("malformed response: ", absl::string_view(what.data(), what.size())));
}

// A non-negative count (negative ones read as 0), at most kMaxReportedTokens.
std::optional<uint64_t> Count(const Json* j) {
  if (j == nullptr || !j->is_number_integer()) return std::nullopt;
  if (j->is_number_unsigned()) return std::min(j->get<uint64_t>(), kMaxReportedTokens);
  const int64_t v = j->get<int64_t>();
  return v < 0 ? 0 : std::min(static_cast<uint64_t>(v), kMaxReportedTokens);
}

// Shares `total` out in proportion to `weights` (evenly when they are all 0); the last share
// takes the rounding remainder so the shares add up to `total`.
std::vector<uint64_t> Share(uint64_t total, const std::vector<uint64_t>& weights) {
  std::vector<uint64_t> out(weights.size(), 0);
  if (weights.empty()) return out;
  const uint64_t sum = std::accumulate(weights.begin(), weights.end(), uint64_t{0});
  uint64_t given = 0;
  for (size_t i = 0; i + 1 < weights.size(); ++i) {
    const double fraction = sum == 0 ? 1.0 / static_cast<double>(weights.size())
                                     : static_cast<double>(weights[i]) / static_cast<double>(sum);
    out[i] = std::min(total - given, static_cast<uint64_t>(fraction * static_cast<double>(total)));
    given += out[i];
  }
  out.back() = total - given;
  return out;
}

}  // namespace

OpenAiDecoder::OpenAiDecoder(DecoderOptions options)
    : options_(std::move(options)), choices_(std::max(options_.n, 1u)) {
  for (Choice& c : choices_) c.splitter = ThinkSplitter(options_.think_open_at_start);
}

absl::Status OpenAiDecoder::Fail(absl::Status status) {
  if (status.ok()) return status;
  if (!last_error_.has_value() || last_error_->status != status) {
    last_error_ = http::UpstreamError{status, false, std::nullopt};
  }
  return status;
}

absl::Status OpenAiDecoder::ErrorObject(const Json& error_json) {
  const http::UpstreamError e =
      ClassifyErrorObject(ParseErrorBody(error_json.dump()), options_.api_key);
  last_error_ = e;
  return e.status;
}

http::UpstreamError OpenAiDecoder::ClassifyStreamError(const absl::Status& status) const {
  if (last_error_.has_value() && last_error_->status == status) return *last_error_;
  return http::UpstreamError{status, false, std::nullopt};
}

absl::StatusOr<uint32_t> OpenAiDecoder::ChoiceIndex(const Json& choice) const {
  const Json* index = Field(choice, "index");
  if (index == nullptr) return 0u;  // single-choice servers may leave it out
  const std::optional<uint64_t> i = Count(index);
  if (!i.has_value() ||
      (index->is_number_integer() && !index->is_number_unsigned() && index->get<int64_t>() < 0)) {
    return Malformed("choices[].index is not a non-negative integer");
  }
  if (*i >= choices_.size()) {
    return Malformed(absl::StrCat("choice index ", *i, " for a request of n=", choices_.size()));
  }
  return static_cast<uint32_t>(*i);
}

absl::StatusOr<std::optional<uint32_t>> OpenAiDecoder::ReadLogprobs(const Json& choice) {
  lp_.clear();
  top_.clear();
  top_k_ = 0;
  const Json* logprobs = Field(choice, "logprobs");
  if (logprobs == nullptr) return std::optional<uint32_t>();
  if (!logprobs->is_object()) return Malformed("choices[].logprobs is not an object");
  const Json* content = Field(*logprobs, "content");
  if (content == nullptr) return std::optional<uint32_t>();
  if (!content->is_array()) return Malformed("logprobs.content is not an array");
  // top_k: the fewest alternatives any token of this delta has, at most what was asked for.
  size_t k = options_.top_logprobs;
  for (const Json& entry : *content) {
    const Json* lp = Field(entry, "logprob");
    if (lp == nullptr || !lp->is_number()) return Malformed("logprobs.content[].logprob");
    lp_.push_back(lp->get<float>());
    const Json* top = Field(entry, "top_logprobs");
    if (top != nullptr && !top->is_array()) return Malformed("logprobs.content[].top_logprobs");
    k = std::min(k, top == nullptr ? size_t{0} : top->size());
  }
  top_k_ = static_cast<uint32_t>(k);
  for (const Json& entry : *content) {
    const Json* top = Field(entry, "top_logprobs");
    if (top == nullptr) continue;
    size_t count = 0;
    for (const Json& alt : *top) {
      const Json* lp = Field(alt, "logprob");
      if (lp == nullptr || !lp->is_number()) {
        return Malformed("logprobs.content[].top_logprobs[].logprob");
      }
      if (count++ < k) top_.push_back(lp->get<float>());
    }
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(content->size()));
}

absl::Status OpenAiDecoder::ReadText(const Json& delta, const char* where, std::string* content,
                                     std::string* reasoning) const {
  if (const Json* c = Field(delta, "content")) {
    if (!c->is_string()) return Malformed(absl::StrCat(where, ".content is not a string"));
    *content = c->get<std::string>();
  }
  for (const char* key : {"reasoning_content", "reasoning"}) {
    if (const Json* r = Field(delta, key)) {
      if (!r->is_string()) return Malformed(absl::StrCat(where, ".", key, " is not a string"));
      reasoning->append(r->get<std::string>());
      break;  // servers that send both send the same text twice
    }
  }
  return absl::OkStatus();
}

void OpenAiDecoder::Emit(uint32_t index, std::string_view content, std::string_view reasoning_field,
                         uint32_t tokens, http::DecodeSink& sink) {
  Choice& c = choices_[index];
  std::string text;
  std::string reasoning(reasoning_field);
  if (options_.split_think_tags) {
    ThinkSplitter::Output out = c.splitter.Feed(content);
    if (c.flushed) {
      // Content after the choice's finish_reason (some servers send it): nothing will flush the
      // splitter again, so nothing may stay held back.
      ThinkSplitter::Output rest = c.splitter.Flush();
      out.text += rest.text;
      out.reasoning += rest.reasoning;
    }
    text = std::move(out.text);
    reasoning += out.reasoning;
  } else {
    text.assign(content);
  }
  // Attribute the tokens: by bytes when both kinds came, else to the kind that came (or, when
  // the splitter held everything back, to where it stands).
  uint64_t reasoning_tokens = 0;
  if (!text.empty() && !reasoning.empty()) {
    reasoning_tokens = tokens * reasoning.size() / (reasoning.size() + text.size());
  } else if (!reasoning.empty() || (text.empty() && c.splitter.in_reasoning())) {
    reasoning_tokens = tokens;
  }
  c.reasoning_tokens += reasoning_tokens;
  c.text_tokens += tokens - reasoning_tokens;
  c.text += text;
  c.reasoning += reasoning;
  if (top_k_ > 0) {
    const size_t n = top_.size() / top_k_;
    for (size_t t = 0; t < n; ++t) {
      double sum = 0;
      for (uint32_t j = 0; j < top_k_; ++j) sum += top_[t * top_k_ + j];
      c.confidence_sum += -sum / top_k_;
      ++c.confidence_tokens;
    }
  }
  if (text.empty() && reasoning.empty() && tokens == 0) return;
  ChainDelta d;
  d.text = text;
  d.reasoning = reasoning;
  d.tokens = tokens;
  if (lp_.size() == tokens) {
    d.logprobs = lp_;
    if (top_k_ > 0 && top_.size() == static_cast<size_t>(tokens) * top_k_) {
      d.top_logprobs = top_;
      d.top_k = top_k_;
    }
  }
  sink.OnDelta(index, d);
}

void OpenAiDecoder::FlushChoice(uint32_t index, http::DecodeSink* sink) {
  Choice& c = choices_[index];
  if (c.flushed) return;
  c.flushed = true;
  if (!options_.split_think_tags) return;
  ThinkSplitter::Output out = c.splitter.Flush();
  if (out.text.empty() && out.reasoning.empty()) return;
  c.text += out.text;
  c.reasoning += out.reasoning;
  if (sink != nullptr) {
    ChainDelta d;
    d.text = out.text;
    d.reasoning = out.reasoning;
    sink->OnDelta(index, d);
  }
}

absl::Status OpenAiDecoder::ReadUsage(const Json& usage) {
  if (!usage.is_object()) return Malformed("usage is not an object");
  Usage u;
  u.prompt = Count(Field(usage, "prompt_tokens")).value_or(0);
  u.completion = Count(Field(usage, "completion_tokens")).value_or(0);
  if (const Json* d = Field(usage, "completion_tokens_details")) {
    u.reasoning = Count(Field(*d, "reasoning_tokens"));
  }
  if (const Json* d = Field(usage, "prompt_tokens_details")) {
    u.cached = std::min(u.prompt, Count(Field(*d, "cached_tokens")).value_or(0));
  }
  usage_ = u;
  shares_.clear();
  return absl::OkStatus();
}

absl::Status OpenAiDecoder::DecodeChunk(const Json& chunk, http::DecodeSink& sink) {
  if (!chunk.is_object()) return Fail(Malformed("a stream chunk is not a JSON object"));
  if (const Json* error = Field(chunk, "error")) return ErrorObject(*error);
  if (const Json* choices = Field(chunk, "choices")) {
    if (!choices->is_array()) return Fail(Malformed("choices is not an array"));
    for (const Json& choice : *choices) {
      absl::StatusOr<uint32_t> index = ChoiceIndex(choice);
      if (!index.ok()) return Fail(index.status());
      const Json* delta = Field(choice, "delta");
      std::string content, reasoning;
      if (delta != nullptr) {
        if (absl::Status s = ReadText(*delta, "delta", &content, &reasoning); !s.ok()) {
          return Fail(s);
        }
      }
      absl::StatusOr<std::optional<uint32_t>> entries = ReadLogprobs(choice);
      if (!entries.ok()) return Fail(entries.status());
      const uint32_t tokens =
          entries->has_value() ? **entries : (content.empty() && reasoning.empty() ? 0 : 1);
      Emit(*index, content, reasoning, tokens, sink);
      if (const Json* finish = Field(choice, "finish_reason")) {
        if (!finish->is_string()) return Fail(Malformed("finish_reason is not a string"));
        choices_[*index].finish_reason = finish->get<std::string>();
        FlushChoice(*index, &sink);
      }
    }
  }
  if (const Json* usage = Field(chunk, "usage")) RETURN_IF_ERROR(Fail(ReadUsage(*usage)));
  return absl::OkStatus();
}

bool OpenAiDecoder::DecodeScanned(std::string_view data, http::DecodeSink& sink) {
  ScannedChunk chunk;
  if (!scanner_.Scan(data, &chunk)) return false;
  if (chunk.has_choice && chunk.index >= choices_.size()) return false;  // the DOM says why
  // From here on as DecodeChunk, ReadText, ReadLogprobs and ReadUsage do.
  if (chunk.has_choice) {
    const auto index = static_cast<uint32_t>(chunk.index);
    // The first of reasoning_content and reasoning that is not null.
    std::string reasoning;
    if (chunk.reasoning_content.has_value()) {
      reasoning = std::move(*chunk.reasoning_content);
    } else if (chunk.reasoning.has_value()) {
      reasoning = std::move(*chunk.reasoning);
    }
    lp_.clear();
    top_.clear();
    top_k_ = 0;
    uint32_t tokens = chunk.content.empty() && reasoning.empty() ? 0 : 1;
    if (chunk.has_logprobs) {
      size_t k = options_.top_logprobs;
      for (const int32_t count : chunk.alt_counts) k = std::min(k, count < 0 ? 0 : size_t(count));
      top_k_ = static_cast<uint32_t>(k);
      lp_ = chunk.logprobs;
      size_t at = 0;
      for (const int32_t count : chunk.alt_counts) {
        if (count <= 0) continue;
        top_.insert(top_.end(), chunk.alts.begin() + at, chunk.alts.begin() + at + k);
        at += count;
      }
      tokens = static_cast<uint32_t>(chunk.logprobs.size());
    }
    Emit(index, chunk.content, reasoning, tokens, sink);
    if (chunk.finish_reason.has_value()) {
      choices_[index].finish_reason = std::move(*chunk.finish_reason);
      FlushChoice(index, &sink);
    }
  }
  if (chunk.has_usage) {
    Usage u;
    u.prompt = chunk.prompt.value_or(0);
    u.completion = chunk.completion.value_or(0);
    u.reasoning = chunk.reasoning_tokens;
    u.cached = std::min(u.prompt, chunk.cached.value_or(0));
    usage_ = u;
    shares_.clear();
  }
  return true;
}

absl::Status OpenAiDecoder::OnEvent(const http::SseEvent& event, http::DecodeSink& sink) {
  if (complete_) return absl::OkStatus();  // nothing follows [DONE]
  if (event.data == "[DONE]") {
    for (uint32_t i = 0; i < choices_.size(); ++i) FlushChoice(i, &sink);
    complete_ = true;
    return absl::OkStatus();
  }
  if (options_.scan_chunks && event.event != "error" && DecodeScanned(event.data, sink)) {
    return absl::OkStatus();
  }
  const Json chunk = Json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded()) {
    return Fail(Malformed(event.event == "error" ? "an error event that is not JSON"
                                                 : "a stream chunk that is not JSON"));
  }
  if (event.event == "error") {
    const Json* error = Field(chunk, "error");
    return ErrorObject(error != nullptr ? *error : chunk);
  }
  return DecodeChunk(chunk, sink);
}

absl::Status OpenAiDecoder::OnBody(std::string_view body, http::DecodeSink& sink) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail(Malformed("the body is not JSON"));
  if (!j.is_object()) return Fail(Malformed("the body is not a JSON object"));
  if (const Json* error = Field(j, "error")) return ErrorObject(*error);
  const Json* choices = Field(j, "choices");
  if (choices == nullptr || !choices->is_array()) return Fail(Malformed("no choices array"));
  if (const Json* usage = Field(j, "usage")) RETURN_IF_ERROR(Fail(ReadUsage(*usage)));
  std::vector<bool> seen(choices_.size(), false);
  for (const Json& choice : *choices) {
    absl::StatusOr<uint32_t> index = ChoiceIndex(choice);
    if (!index.ok()) return Fail(index.status());
    if (seen[*index]) return Fail(Malformed(absl::StrCat("choice ", *index, " given twice")));
    seen[*index] = true;
    const Json* message = Field(choice, "message");
    std::string content, reasoning;
    if (message != nullptr) {
      if (absl::Status s = ReadText(*message, "message", &content, &reasoning); !s.ok()) {
        return Fail(s);
      }
    }
    absl::StatusOr<std::optional<uint32_t>> entries = ReadLogprobs(choice);
    if (!entries.ok()) return Fail(entries.status());
    uint32_t tokens = 0;
    if (entries->has_value()) {
      tokens = **entries;
    } else if (usage_.has_value()) {
      const uint64_t n = choices_.size();
      const uint64_t share =
          usage_->completion / n + (*index + 1 == n ? usage_->completion % n : 0);
      tokens = static_cast<uint32_t>(std::min<uint64_t>(share, UINT32_MAX));
    }
    Emit(*index, content, reasoning, tokens, sink);
    if (const Json* finish = Field(choice, "finish_reason")) {
      if (!finish->is_string()) return Fail(Malformed("finish_reason is not a string"));
      choices_[*index].finish_reason = finish->get<std::string>();
    }
    FlushChoice(*index, &sink);
  }
  for (uint32_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) return Fail(Malformed(absl::StrCat("choice ", i, " is missing")));
  }
  complete_ = true;
  return absl::OkStatus();
}

void OpenAiDecoder::ShareUsage() {
  const Usage& u = *usage_;
  const size_t n = choices_.size();
  std::vector<uint64_t> seen_text(n), seen_reasoning(n);
  uint64_t all_text = 0, all_reasoning = 0;
  for (size_t i = 0; i < n; ++i) {
    seen_text[i] = choices_[i].text_tokens;
    seen_reasoning[i] = choices_[i].reasoning_tokens;
    all_text += seen_text[i];
    all_reasoning += seen_reasoning[i];
  }
  uint64_t reasoning = 0;
  if (u.reasoning.has_value()) {
    reasoning = std::min(*u.reasoning, u.completion);
  } else if (all_reasoning > 0) {
    reasoning = static_cast<uint64_t>(static_cast<double>(u.completion) *
                                      static_cast<double>(all_reasoning) /
                                      static_cast<double>(all_reasoning + all_text));
  }
  const uint64_t visible = u.completion - reasoning;
  // Output tokens of a choice = its visible + reasoning share; when only one kind was seen the
  // weights of the other are the total seen, so a choice's share follows its length.
  std::vector<uint64_t> total_seen(n);
  for (size_t i = 0; i < n; ++i) total_seen[i] = seen_text[i] + seen_reasoning[i];
  const std::vector<uint64_t> r = Share(reasoning, all_reasoning > 0 ? seen_reasoning : total_seen);
  const std::vector<uint64_t> v = Share(visible, all_text > 0 ? seen_text : total_seen);
  shares_.assign(n, TokenUsage{});
  for (size_t i = 0; i < n; ++i) {
    shares_[i].reasoning = r[i];
    shares_[i].completion = v[i];
  }
  shares_[0].prompt = u.prompt;
  shares_[0].cached_prompt = u.cached;
}

ChainResult OpenAiDecoder::TakeResult(uint32_t choice) {
  ChainResult result;
  if (choice >= choices_.size()) return result;
  FlushChoice(choice, nullptr);
  Choice& c = choices_[choice];
  result.text = std::move(c.text);
  result.reasoning = std::move(c.reasoning);
  result.finish_reason = c.finish_reason;
  if (usage_.has_value()) {
    if (shares_.empty()) ShareUsage();
    result.usage = shares_[choice];
  } else {
    result.usage.prompt = choice == 0 ? options_.prompt_estimate : 0;
    result.usage.completion = c.text_tokens;
    result.usage.reasoning = c.reasoning_tokens;
  }
  if (c.confidence_tokens > 0) {
    result.mean_token_confidence = c.confidence_sum / static_cast<double>(c.confidence_tokens);
  }
  return result;
}

}  // namespace ptc::openai
