#include "bench/fake_backend/fake_completion.h"

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json_writer.h"

namespace ptc::fake {
namespace {

constexpr uint32_t kMaxChoices = 128;
constexpr int64_t kCreated = 1700000000;

// The filler tokens, cycled; each starts with a space, as BPE tokens of English do.
constexpr std::string_view kFiller[] = {" The", " options",  " follow", " from",
                                        " the", " premises", ",",       " so",
                                        " we",  " check",    " each",   "."};

bool ParseUint(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

size_t SkipSpace(std::string_view body, size_t pos) {
  while (pos < body.size() &&
         (body[pos] == ' ' || body[pos] == '\t' || body[pos] == '\n' || body[pos] == '\r')) {
    ++pos;
  }
  return pos;
}

// The position of the value of the first `"key":`, or npos.
size_t FindValue(std::string_view body, std::string_view quoted_key) {
  size_t from = 0;
  while (true) {
    const size_t at = body.find(quoted_key, from);
    if (at == std::string_view::npos) return at;
    from = at + quoted_key.size();
    if (at > 0 && body[at - 1] == '\\') continue;  // inside a string
    const size_t colon = SkipSpace(body, from);
    if (colon < body.size() && body[colon] == ':') return SkipSpace(body, colon + 1);
  }
}

absl::Status BadField(std::string_view field, std::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", std::string(field), "' must be ", std::string(want)));
}

absl::StatusOr<bool> ReadBool(std::string_view body, std::string_view key, std::string_view name) {
  const size_t v = FindValue(body, key);
  if (v == std::string_view::npos) return false;
  if (body.substr(v, 4) == "true") return true;
  if (body.substr(v, 5) == "false" || body.substr(v, 4) == "null") return false;
  return BadField(name, "a boolean");
}

absl::StatusOr<uint32_t> ReadUint(std::string_view body, std::string_view key,
                                  std::string_view name, uint32_t absent) {
  const size_t v = FindValue(body, key);
  if (v == std::string_view::npos) return absent;
  if (body.substr(v, 4) == "null") return absent;
  size_t end = v;
  while (end < body.size() && body[end] >= '0' && body[end] <= '9') ++end;
  uint32_t value = 0;
  if (!ParseUint(body.substr(v, end - v), &value)) return BadField(name, "a non-negative integer");
  return value;
}

}  // namespace

absl::StatusOr<FakeProfile> ApplyModelOverrides(std::string_view model, FakeProfile base) {
  // The parts after the name, split at ':'.
  size_t start = model.find(':');
  while (start != std::string_view::npos) {
    const size_t next = model.find(':', start + 1);
    const std::string_view part = model.substr(
        start + 1, next == std::string_view::npos ? std::string_view::npos : next - start - 1);
    start = next;
    const size_t eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
    uint32_t n = 0;
    const bool numeric = ParseUint(value, &n);
    if (key == "ttft_ms" && numeric) {
      base.ttft_ms = n;
    } else if (key == "gap_ms" && numeric) {
      base.gap_ms = n;
    } else if (key == "tokens" && numeric && n >= 1) {
      base.tokens = n;
    } else if (key == "answer" && !value.empty() && value.size() <= 16 &&
               value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789") == std::string_view::npos) {
      base.answer = std::string(value);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("model override \"", std::string(part),
                       "\": expected ttft_ms=N, gap_ms=N, tokens=N (>= 1) or answer=WORD"));
    }
  }
  return base;
}

absl::StatusOr<FakeRequest> ScanChatRequest(std::string_view body) {
  const size_t first = SkipSpace(body, 0);
  if (first >= body.size() || body[first] != '{') {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  if (FindValue(body, "\"messages\"") == std::string_view::npos) {
    return absl::InvalidArgumentError("'messages' is required");
  }
  FakeRequest r;
  r.body_bytes = body.size();
  const size_t model = FindValue(body, "\"model\"");
  if (model == std::string_view::npos || body[model] != '"') return BadField("model", "a string");
  for (size_t i = model + 1; i < body.size(); ++i) {
    if (body[i] == '"') break;
    if (body[i] == '\\' && i + 1 < body.size()) ++i;
    r.model.push_back(body[i]);
  }
  auto stream = ReadBool(body, "\"stream\"", "stream");
  if (!stream.ok()) return stream.status();
  r.stream = *stream;
  auto usage = ReadBool(body, "\"include_usage\"", "stream_options.include_usage");
  if (!usage.ok()) return usage.status();
  r.include_usage = *usage;
  auto n = ReadUint(body, "\"n\"", "n", 1);
  if (!n.ok()) return n.status();
  if (*n < 1 || *n > kMaxChoices) return BadField("n", "in [1, 128]");
  r.n = *n;
  auto mct = ReadUint(body, "\"max_completion_tokens\"", "max_completion_tokens", 0);
  if (!mct.ok()) return mct.status();
  auto mt = ReadUint(body, "\"max_tokens\"", "max_tokens", 0);
  if (!mt.ok()) return mt.status();
  r.max_tokens = *mct != 0 ? *mct : *mt;
  return r;
}

FakeCompletion::FakeCompletion(const FakeRequest& request, const FakeProfile& profile, uint64_t id)
    : request_(request),
      profile_(profile),
      id_(absl::StrCat("chatcmpl-fake", id)),
      final_token_("\n\nAnswer: " + profile.answer) {
  tokens_ = profile.tokens;
  if (request.max_tokens > 0 && request.max_tokens < tokens_) {
    tokens_ = request.max_tokens;
    truncated_ = true;
  }
}

std::string_view FakeCompletion::Token(uint32_t i) const {
  if (i + 1 == tokens_ && !truncated_) return final_token_;
  return kFiller[i % std::size(kFiller)];
}

std::string FakeCompletion::Text() const {
  std::string text;
  for (uint32_t i = 0; i < tokens_; ++i) text.append(Token(i));
  return text;
}

std::string FakeCompletion::Body() const {
  std::string out;
  out.reserve(256 + request_.n * (64 + tokens_ * 8));
  absl::StrAppend(&out, "{\"id\":\"", id_,
                  "\",\"object\":\"chat.completion\",\"created\":", kCreated, ",\"model\":");
  AppendJsonString(out, request_.model);
  out.append(",\"choices\":[");
  const std::string text = Text();
  for (uint32_t c = 0; c < request_.n; ++c) {
    if (c > 0) out.push_back(',');
    absl::StrAppend(&out, "{\"index\":", c, ",\"message\":{\"role\":\"assistant\",\"content\":");
    AppendJsonString(out, text);
    absl::StrAppend(&out, "},\"logprobs\":null,\"finish_reason\":\"",
                    truncated_ ? "length" : "stop", "\"}");
  }
  const uint64_t prompt = (request_.body_bytes + 3) / 4;
  const uint64_t completion = uint64_t{tokens_} * request_.n;
  absl::StrAppend(&out, "],\"usage\":{\"prompt_tokens\":", prompt,
                  ",\"completion_tokens\":", completion, ",\"total_tokens\":", prompt + completion,
                  "}}");
  return out;
}

void FakeCompletion::AppendChunkPrefix(std::string* out) const {
  absl::StrAppend(out, "data: {\"id\":\"", id_,
                  "\",\"object\":\"chat.completion.chunk\",\"created\":", kCreated, ",\"model\":");
  AppendJsonString(*out, request_.model);
}

void FakeCompletion::AppendHeadEvents(std::string* out) const {
  for (uint32_t c = 0; c < request_.n; ++c) {
    AppendChunkPrefix(out);
    absl::StrAppend(out, ",\"choices\":[{\"index\":", c,
                    ",\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                    "\"finish_reason\":null}]}\n\n");
  }
}

void FakeCompletion::AppendTokenEvents(uint32_t i, std::string* out) const {
  for (uint32_t c = 0; c < request_.n; ++c) {
    AppendChunkPrefix(out);
    absl::StrAppend(out, ",\"choices\":[{\"index\":", c, ",\"delta\":{\"content\":");
    AppendJsonString(*out, Token(i));
    out->append("},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
  }
}

void FakeCompletion::AppendTailEvents(std::string* out) const {
  for (uint32_t c = 0; c < request_.n; ++c) {
    AppendChunkPrefix(out);
    absl::StrAppend(out, ",\"choices\":[{\"index\":", c,
                    ",\"delta\":{},\"logprobs\":null,\"finish_reason\":\"",
                    truncated_ ? "length" : "stop", "\"}]}\n\n");
  }
  if (request_.include_usage) {
    const uint64_t prompt = (request_.body_bytes + 3) / 4;
    const uint64_t completion = uint64_t{tokens_} * request_.n;
    AppendChunkPrefix(out);
    absl::StrAppend(out, ",\"choices\":[],\"usage\":{\"prompt_tokens\":", prompt,
                    ",\"completion_tokens\":", completion,
                    ",\"total_tokens\":", prompt + completion, "}}\n\n");
  }
  out->append("data: [DONE]\n\n");
}

}  // namespace ptc::fake
