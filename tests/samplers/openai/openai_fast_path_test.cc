// The OpenAI stream decoder's chunk scanner (samplers/openai/chunk_scanner.h) against its DOM path:
// the common chunk shapes take the scanner, and the two paths give byte-for-byte the same results
// (decoder_diff.h) over hand-written events, the fuzz seed corpus, and generated events (escapes,
// unicode, number forms, whitespace, nulls, wrong types, duplicates, broken JSON); and the
// stream scanner's template against a fresh scan of each chunk.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "samplers/openai/chunk_scanner.h"
#include "tests/samplers/openai/decoder_diff.h"

namespace ptc::openai {
namespace {

bool Scans(std::string_view data) {
  ScannedChunk chunk;
  return ScanChunk(data, &chunk);
}

DecoderOptions Options(uint32_t n, uint32_t top, bool split, bool open_at_start) {
  DecoderOptions o;
  o.n = n;
  o.top_logprobs = top;
  o.split_think_tags = split;
  o.think_open_at_start = open_at_start;
  o.prompt_estimate = 11;
  o.api_key = "sk-test";
  return o;
}

std::vector<DecoderOptions> SomeOptions() {
  return {Options(1, 0, true, false), Options(1, 2, true, true), Options(2, 1, false, false),
          Options(4, 3, true, false)};
}

void ExpectSame(const std::vector<http::SseEvent>& events) {
  for (const DecoderOptions& o : SomeOptions()) {
    const std::string diff = diff::Difference(o, events);
    ASSERT_EQ(diff, "") << "n=" << o.n << " top=" << o.top_logprobs;
  }
}

std::vector<http::SseEvent> AsEvents(const std::vector<std::string>& data) {
  std::vector<http::SseEvent> events;
  for (const std::string& d : data) events.push_back({"", d, ""});
  return events;
}

const char* const kPrefix =
    R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",)";

TEST(ChunkScannerTest, CommonShapesTakeTheScanner) {
  const char* const kShapes[] = {
      R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})",
      R"("choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]})",
      R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]})",
      R"("choices":[],"usage":{"prompt_tokens":175,"completion_tokens":16,"total_tokens":191}})",
      R"("choices":[{"index":0,"delta":{"reasoning_content":"hm\n\"q\" \u00e9\ud83d\ude00"}}]})",
      R"("choices":[{"index":1,"delta":{"reasoning":"r"},"finish_reason":null}],"usage":null})",
      R"("choices":[{"index":0,"delta":{"content":null,"reasoning_content":"r","reasoning":null}}]})",
      R"("choices":[{"index":0,"delta":{"content":"A"},"logprobs":{"content":[{"token":"A","logprob":-0.5,"bytes":[65],"top_logprobs":[{"token":"A","logprob":-5e-1,"bytes":[65]}]}],"refusal":null}}]})",
  };
  for (const char* tail : kShapes) {
    EXPECT_TRUE(Scans(std::string(kPrefix) + tail)) << tail;
  }
}

TEST(ChunkScannerTest, UnusualShapesFallBack) {
  const char* const kOthers[] = {
      R"({"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]})",
      R"({"error":{"message":"overloaded","type":"server_error"}})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]})",
      R"({"choices":[{"index":0,"delta":{"cont\u0065nt":"a"}}]})",
      R"({"choices":[{"index":0,"delta":{"content":7}}]})",
      R"({"choices":[{"index":0.0,"delta":{"content":"a"}}]})",
      R"({"usage":{"prompt_tokens":12345678901234567890}})",
      R"({"choices":[{"index":0,"delta":{"content":"\ud800"}}]})",
      "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xC0\x80\"}}]}",
      "\xEF\xBB\xBF{}",
      R"({"choices":[]} x)",
      R"([1, 2])",
  };
  for (const char* data : kOthers) {
    EXPECT_FALSE(Scans(data)) << data;
  }
  // Nesting within the limit is skipped; deeper falls back (the DOM has no limit).
  const auto nested = [](int depth) {
    return R"({"choices":[],"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  EXPECT_TRUE(Scans(nested(40)));
  EXPECT_FALSE(Scans(nested(100)));
  ExpectSame(AsEvents({nested(40), nested(100)}));
}

// The scanner reads plain bytes four at a time: a byte that is not plain, at each offset of a
// content string and of a key, is read as the DOM reads it (and only these shapes take it).
TEST(ChunkScannerTest, BytesThatAreNotPlainAtEveryOffset) {
  struct Case {
    std::string bytes;
    bool in_content;  // scanned inside a content string
    bool in_key;      // scanned inside a key (escapes are not)
  };
  const Case kCases[] = {
      {R"(\")", true, false},     {R"(\\)", true, false},   {R"(\n)", true, false},
      {R"(\u00e9)", true, false}, {"\xC3\xA9", true, true}, {"\xF0\x9F\x98\x80", true, true},
      {"\x7F", true, true},       {"\x01", false, false},   {"\x80", false, false},
      {"\xC3", false, false},     {"\"", false, false},
  };
  for (size_t at = 0; at < 10; ++at) {
    for (const Case& c : kCases) {
      const std::string text = std::string(at, 'a') + c.bytes + std::string(9 - at, 'b');
      const std::string content =
          R"({"choices":[{"index":0,"delta":{"content":")" + text + R"("}}]})";
      const std::string key = R"({"choices":[],")" + text + R"(":1})";
      EXPECT_EQ(Scans(content), c.in_content) << content;
      EXPECT_EQ(Scans(key), c.in_key) << key;
      ExpectSame(AsEvents({content, key}));
    }
  }
}

TEST(OpenAiFastPathTest, HandWrittenEventsDecodeAlike) {
  const std::vector<std::string> data = {
      std::string(kPrefix) +
          R"("choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
      std::string(kPrefix) + R"("choices":[{"index":0,"delta":{"content":"<think>a \"b\""}}]})",
      R"( { "choices" : [ { "delta" : { "content" : "c\\d\/e\b\f\n\r\t</th" } } ] } )",
      "{\"choices\":[{\"delta\":{\"content\":\"ink>\xE4\xB8\xAD\\u4e2d\xF0\x9F\x98\x80\"}}]}",
      R"({"choices":[{"index":0,"delta":{"reasoning_content":null,"reasoning":"r1"}}]})",
      R"({"choices":[{"index":0,"delta":{"reasoning_content":"r2","reasoning":5}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"x"},"logprobs":{"content":[{"logprob":-1,"top_logprobs":[{"logprob":-1},{"logprob":-2.5E+0}]},{"logprob":-0,"top_logprobs":[{"logprob":-1e-2}]}]}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"y"},"logprobs":{"content":[{"logprob":-0.25,"top_logprobs":null}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})",
      R"({"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":130.0,"completion_tokens_details":{"reasoning_tokens":120},"prompt_tokens_details":{"cached_tokens":-3}}})",
      R"({"choices":[],"usage":{"prompt_tokens":"20","completion_tokens":30,"completion_tokens_details":null}})",
      R"({"choices": [{"index": 0, "delta": {"content": "tru)",
      R"({"choices": {"index": 0}})",
      R"({"choices": [{"index": 5, "delta": {"content": "x"}}]})",
      R"({"choices": [{"index": -1, "delta": {"content": "x"}}]})",
      R"({"choices": [{"index": 0, "delta": {}, "finish_reason": 3}]})",
      R"({"choices": [{"index": 0, "delta": {}, "logprobs": {"content": 1}}]})",
      R"({"choices": [], "usage": 5})",
      R"({"error": {"message": "boom", "code": 500}})",
      "[DONE]",
      R"({"choices":[{"index":0,"delta":{"content":"after done"}}]})",
  };
  // Each event on its own after a content event, and all in order.
  for (const std::string& d : data) {
    ExpectSame(AsEvents({R"({"choices":[{"index":0,"delta":{"content":"<think>x"}}]})", d}));
  }
  ExpectSame(AsEvents(data));
}

TEST(OpenAiFastPathTest, FuzzSeedCorpusDecodesAlike) {
  const std::filesystem::path dir =
      std::filesystem::path(PTC_SOURCE_DIR) / "tests/fuzz/corpus/openai_decoder";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not found";
  int streams = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string file = bytes.str();
    if (file.empty() || (((file[0] ^ 0x40) & 3) == 1) || (((file[0] ^ 0x40) & 3) == 2)) continue;
    ++streams;
    SCOPED_TRACE(entry.path().string());
    ExpectSame(diff::Events(std::string_view(file).substr(1)));
  }
  EXPECT_GT(streams, 3);
}

// Random chat.completion.chunk events: mostly the shapes servers send, with every field
// sometimes null, of another type, duplicated or missing, strings full of escapes and UTF-8,
// numbers in every form, random whitespace, and some events cut short or with a byte changed.
class EventGenerator {
 public:
  explicit EventGenerator(uint64_t seed) : rng_(seed) {}

  std::string Chunk() {
    std::vector<std::string> members = {M("id", Str()), M("object", "\"chat.completion.chunk\""),
                                        M("created", "1718000000"), M("model", Str())};
    switch (Pick(12)) {
      case 0:
        members.push_back(M("choices", "[]"));
        break;
      case 1:
        members.push_back(M("choices", Weird()));
        break;
      case 2:
        members.push_back(M("choices", Arr({Choice(), Choice()})));
        break;
      default:
        members.push_back(M("choices", Arr({Choice()})));
    }
    if (Chance(0.2)) members.push_back(M("usage", Usage()));
    if (Chance(0.03)) members.push_back(M("error", Chance(0.5) ? "null" : R"({"message":"x"})"));
    if (Chance(0.05)) members.push_back(M("system_fingerprint", "null"));
    std::string chunk = Obj(members);
    if (Chance(0.05)) chunk.resize(Pick(static_cast<int>(chunk.size()) + 1));
    if (Chance(0.05) && !chunk.empty()) {
      const char kBytes[] =
          "\"\\}],: \x00\xff\x80"
          "e-.0u";
      chunk[Pick(static_cast<int>(chunk.size()))] = kBytes[Pick(sizeof(kBytes) - 1)];
    }
    return chunk;
  }

  // A value for a text field: mostly a string, sometimes another value.
  std::string TextValue() { return StrOrWeird(); }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

 private:
  std::string Choice() {
    std::vector<std::string> members;
    const char* kIndex[] = {"0", "0", "0", "1", "2", "3", "null", "-1", "1.0", "\"0\"", "-0", "9"};
    if (!Chance(0.1)) members.push_back(M("index", kIndex[Pick(12)]));
    if (!Chance(0.1)) members.push_back(M("delta", Chance(0.05) ? Weird() : Delta()));
    if (Chance(0.6)) members.push_back(M("logprobs", Chance(0.5) ? "null" : Logprobs()));
    const char* kFinish[] = {"null", "null", "null", "\"stop\"", "\"length\"", "3"};
    if (Chance(0.8)) members.push_back(M("finish_reason", kFinish[Pick(6)]));
    return Obj(members);
  }

  std::string Delta() {
    std::vector<std::string> members;
    if (Chance(0.2)) members.push_back(M("role", "\"assistant\""));
    if (Chance(0.8)) members.push_back(M("content", StrOrWeird()));
    if (Chance(0.2)) members.push_back(M("reasoning_content", StrOrWeird()));
    if (Chance(0.2)) members.push_back(M("reasoning", StrOrWeird()));
    if (Chance(0.03)) members.push_back(M("tool_calls", Chance(0.5) ? "null" : "[]"));
    if (Chance(0.05)) members.push_back(M("refusal", "null"));
    return Obj(members);
  }

  std::string Logprobs() {
    if (Chance(0.05)) return Weird();
    std::vector<std::string> entries;
    const int n = Pick(4);
    const int alts = Pick(4);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> entry = {M("token", Str())};
      if (!Chance(0.03)) entry.push_back(M("logprob", Chance(0.03) ? "\"x\"" : Num()));
      entry.push_back(M("bytes", Chance(0.5) ? "null" : "[65,66]"));
      if (Chance(0.9)) {
        std::vector<std::string> top;
        for (int j = 0; j < alts - (Chance(0.1) ? 1 : 0); ++j) {
          top.push_back(Obj({M("token", Str()), M("logprob", Num()), M("bytes", "null")}));
        }
        entry.push_back(M("top_logprobs", Chance(0.05) ? "null" : Arr(top)));
      }
      entries.push_back(Obj(entry));
    }
    return Obj({M("content", Chance(0.05) ? "null" : Arr(entries)), M("refusal", "null")});
  }

  std::string Usage() {
    if (Chance(0.05)) return Weird();
    std::vector<std::string> members = {
        M("prompt_tokens", Count()), M("completion_tokens", Count()), M("total_tokens", Count())};
    if (Chance(0.3)) {
      members.push_back(M("completion_tokens_details",
                          Chance(0.2) ? "null" : Obj({M("reasoning_tokens", Count())})));
    }
    if (Chance(0.3)) {
      members.push_back(
          M("prompt_tokens_details", Chance(0.2) ? "null" : Obj({M("cached_tokens", Count())})));
    }
    return Obj(members);
  }

  std::string Count() {
    const char* kCounts[] = {"0",
                             "7",
                             "130",
                             "175",
                             "-3",
                             "1.5",
                             "\"20\"",
                             "null",
                             "1099511627777",
                             "123456789012345678",
                             "12345678901234567890"};
    return kCounts[Pick(11)];
  }

  std::string Num() {
    const char* kNums[] = {"-0.5",
                           "-1",
                           "0",
                           "-0",
                           "-2.5e-3",
                           "1E+2",
                           "-1e2",
                           "-0.0",
                           "3",
                           "-7.25",
                           "1e400",
                           "-1e-400",
                           "01",
                           "-",
                           "1.",
                           "2e",
                           ".5",
                           "-1234.5678901234567",
                           "123456789012345678901",
                           "-123456789012345678"};
    return Chance(0.9) ? kNums[Pick(10)] : kNums[10 + Pick(10)];
  }

  std::string StrOrWeird() { return Chance(0.07) ? Weird() : Str(); }

  std::string Weird() {
    const char* kWeird[] = {"null",
                            "null",
                            "5",
                            "true",
                            "false",
                            "[]",
                            "{}",
                            "[1,{\"a\":[null]}]",
                            "{\"content\":\"x\"}",
                            "-2.5"};
    return kWeird[Pick(10)];
  }

  std::string Str() {
    static const char* const kPieces[] = {"word",
                                          " the",
                                          "<think>",
                                          "</think>",
                                          "</th",
                                          "ink>",
                                          "\\n",
                                          "\\\"",
                                          "\\\\",
                                          "\\/",
                                          "\\b",
                                          "\\f",
                                          "\\r",
                                          "\\t",
                                          "\\u00e9",
                                          "\\u4E2D",
                                          "\\ud83d\\ude00",
                                          "\\u0000",
                                          "\xC3\xA9",
                                          "\xE4\xB8\xAD",
                                          "\xF0\x9F\x98\x80",
                                          "\x7f",
                                          "\\ud800",
                                          "\\udc00",
                                          "\\u12",
                                          "\\x",
                                          "\x01",
                                          "\xC0\x80",
                                          "\xED\xA0\x80",
                                          "\xF4\x90\x80\x80",
                                          "\xE0\x80\x80",
                                          "\xC3"};
    std::string s = "\"";
    const int n = Pick(5);
    for (int i = 0; i < n; ++i) s += Chance(0.97) ? kPieces[Pick(22)] : kPieces[22 + Pick(10)];
    return s + "\"";
  }

  std::string Ws() {
    if (!Chance(0.1)) return "";
    const char* kWs[] = {" ", "\n", "\t", "\r\n  ", "  "};
    return kWs[Pick(5)];
  }

  std::string M(const std::string& key, const std::string& value) {
    return "\"" + key + "\"" + Ws() + ":" + Ws() + value;
  }

  std::string Obj(std::vector<std::string> members) {
    std::shuffle(members.begin(), members.end(), rng_);
    if (!members.empty() && Chance(0.02)) members.push_back(members[Pick(members.size())]);
    if (Chance(0.05)) members.push_back(M("extra", Weird()));
    return Join('{', members, '}');
  }
  std::string Arr(const std::vector<std::string>& elements) { return Join('[', elements, ']'); }

  std::string Join(char open, const std::vector<std::string>& items, char close) {
    std::string out(1, open);
    out += Ws();
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += Ws() + "," + Ws();
      out += items[i];
    }
    return out + Ws() + close;
  }

  std::mt19937_64 rng_;
};

TEST(OpenAiFastPathTest, GeneratedEventsDecodeAlike) {
  EventGenerator gen(20261130);
  int scanned = 0, fell_back = 0;
  for (int stream = 0; stream < 4000; ++stream) {
    std::vector<http::SseEvent> events;
    const int n = 1 + gen.Pick(8);
    for (int i = 0; i < n; ++i) {
      http::SseEvent e{"", gen.Chunk(), ""};
      if (gen.Chance(0.02)) e.data = "[DONE]";
      if (gen.Chance(0.02)) e.event = "error";
      (Scans(e.data) ? scanned : fell_back)++;
      events.push_back(std::move(e));
    }
    const DecoderOptions o =
        Options(1 + gen.Pick(4), gen.Pick(4), gen.Chance(0.8), gen.Chance(0.2));
    const std::string diff = diff::Difference(o, events);
    ASSERT_EQ(diff, "") << "stream " << stream << " n=" << o.n << " top=" << o.top_logprobs;
  }
  // Both paths are exercised.
  EXPECT_GT(scanned, 4000);
  EXPECT_GT(fell_back, 2000);
}

// Everything a scan gives, for comparing two scans.
std::string Describe(bool ok, const ScannedChunk& c) {
  if (!ok) return "falls back";
  const auto opt = [](const auto& o) {
    if (!o.has_value()) return std::string("none");
    std::ostringstream s;
    s << "[" << *o << "]";
    return s.str();
  };
  std::ostringstream s;
  s << "choice " << c.has_choice << " index " << c.index << " content [" << c.content
    << "] reasoning_content " << opt(c.reasoning_content) << " reasoning " << opt(c.reasoning)
    << " logprobs " << c.has_logprobs << " " << c.logprobs.size() << " " << c.alts.size() << " "
    << c.alt_counts.size() << " finish " << opt(c.finish_reason) << " usage " << c.has_usage << " "
    << opt(c.prompt) << " " << opt(c.completion) << " " << opt(c.reasoning_tokens) << " "
    << opt(c.cached);
  return s.str();
}

// StreamScanner::Scan(data) against ScanChunk(data); true when the template answered.
bool ScanLikeScanChunk(StreamScanner& scanner, const std::string& data) {
  const uint64_t hits = scanner.template_hits();
  ScannedChunk streamed, alone;
  const bool streamed_ok = scanner.Scan(data, &streamed);
  EXPECT_EQ(Describe(streamed_ok, streamed), Describe(ScanChunk(data, &alone), alone)) << data;
  return scanner.template_hits() > hits;
}

// A chunk whose delta holds `field` with the value `text` (raw JSON), as servers send them.
std::string TextChunk(const std::string& field, const std::string& text) {
  return std::string(kPrefix) + R"("choices":[{"index":0,"delta":{")" + field + R"(":)" + text +
         R"(},"logprobs":null,"finish_reason":null}]})";
}

TEST(StreamScannerTest, ChunksThatDifferOnlyInTheirTextComeFromTheTemplate) {
  for (const std::string field : {"content", "reasoning_content", "reasoning"}) {
    SCOPED_TRACE(field);
    StreamScanner scanner;
    EXPECT_FALSE(ScanLikeScanChunk(scanner, TextChunk(field, R"("first")")));
    // The same bytes around another string token: scanned from the template.
    for (const std::string text :
         {R"("x")", R"("")", R"("a \"b\" \\ \n \u00e9 \ud83d\ude00")",
          "\"\xC3\xA9\xF0\x9F\x98\x80\"", R"("first")", R"("},\"logprobs\":null")"}) {
      EXPECT_TRUE(ScanLikeScanChunk(scanner, TextChunk(field, text))) << text;
    }
    // Other bytes around the text are scanned in full...
    std::string other = TextChunk(field, R"("y")");
    other.replace(other.find(R"("m")"), 3, R"("n")");
    EXPECT_FALSE(ScanLikeScanChunk(scanner, other));
    // ...and that chunk becomes the template.
    EXPECT_TRUE(ScanLikeScanChunk(scanner, other.replace(other.find(R"("y")"), 3, R"("z")")));
    // Not one valid string token between the template's bytes: scanned in full, with what a fresh
    // scan gives.
    for (const std::string text :
         {"null", "7", R"("a","reasoning":"b")", R"("a","content":"b")", R"("a" )", R"( "a")",
          R"("\ud800")", "\"\x01\"", "\"\xC3\"", "\"\xED\xA0\x80\"", R"("a\")", R"("a\x")",
          R"("a""b")", R"("a"})", "\"a"}) {
      StreamScanner fresh;
      EXPECT_FALSE(ScanLikeScanChunk(fresh, TextChunk(field, R"("first")")));
      EXPECT_FALSE(ScanLikeScanChunk(fresh, TextChunk(field, text))) << text;
    }
  }
}

TEST(StreamScannerTest, ChunksWithoutATemplateAreScannedInFull) {
  StreamScanner scanner;
  // No text string (null, absent), or logprobs (which differ per token): not kept.
  const std::string kNoTemplate[] = {
      TextChunk("content", "null"),
      std::string(kPrefix) + R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
      std::string(kPrefix) + R"("choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}})",
      std::string(kPrefix) +
          R"("choices":[{"index":0,"delta":{"content":"A"},"logprobs":{"content":[{"logprob":-0.5,"top_logprobs":[]}]}}]})",
  };
  for (int round = 0; round < 2; ++round) {
    for (const std::string& data : kNoTemplate) EXPECT_FALSE(ScanLikeScanChunk(scanner, data));
  }
  EXPECT_EQ(scanner.template_hits(), 0u);
}

// OpenAI's chunks each carry a random "obfuscation" pad after the choices, so none repeats the
// one before: after kMaxUnused templates that answered nothing, one is kept only every
// kRetryEvery chunks; once chunks repeat again, the next one kept answers them.
TEST(StreamScannerTest, ChunksThatNeverRepeatStopBeingKept) {
  StreamScanner scanner;
  const int kPadded = 200;
  for (int i = 0; i < kPadded; ++i) {
    std::string data = TextChunk("content", "\"t" + std::to_string(i) + "\"");
    data.insert(data.size() - 1, ",\"obfuscation\":\"" + std::to_string(i * 7919) + "\"");
    EXPECT_FALSE(ScanLikeScanChunk(scanner, data));
  }
  EXPECT_EQ(scanner.templates_kept(),
            1 + StreamScanner::kMaxUnused +
                (kPadded - 1 - StreamScanner::kMaxUnused) / StreamScanner::kRetryEvery);
  int hits = 0;
  for (int i = 0; i < 2 * static_cast<int>(StreamScanner::kRetryEvery); ++i) {
    hits += ScanLikeScanChunk(scanner, TextChunk("content", "\"u" + std::to_string(i) + "\""));
  }
  EXPECT_GE(hits, static_cast<int>(StreamScanner::kRetryEvery) - 1);
}

// A template that answers chunks is replaced without counting as unused, however often (llama.cpp
// and Ollama send the current second as "created", so their chunks stop repeating every second).
TEST(StreamScannerTest, TemplatesThatAnswerAreReplacedAsOftenAsNeeded) {
  StreamScanner scanner;
  int hits = 0;
  for (int second = 0; second < 3 * static_cast<int>(StreamScanner::kMaxUnused); ++second) {
    for (int token = 0; token < 4; ++token) {
      std::string data = TextChunk("content", "\"t" + std::to_string(token) + "\"");
      data.replace(data.find(R"("created":1)"), 11, "\"created\":" + std::to_string(100 + second));
      hits += ScanLikeScanChunk(scanner, data);
    }
  }
  EXPECT_EQ(scanner.templates_kept(), 3 * StreamScanner::kMaxUnused);
  EXPECT_EQ(hits, 3 * 3 * static_cast<int>(StreamScanner::kMaxUnused));
}

// Streams of generated chunks, each the one before with its text replaced by a generated value
// (a string with escapes and UTF-8, valid or not, or another value), sometimes with a byte
// changed, sometimes a new chunk: every scan gives what ScanChunk gives for the chunk alone, and
// the decoder's two paths agree over the stream.
TEST(StreamScannerTest, GeneratedStreamsScanAsEachChunkAlone) {
  EventGenerator gen(20261202);
  int hits = 0, chunks = 0;
  for (int stream = 0; stream < 2000; ++stream) {
    StreamScanner scanner;
    std::vector<http::SseEvent> events;
    std::string data = gen.Chunk();
    for (int i = 0; i < 12; ++i, ++chunks) {
      if (ScanLikeScanChunk(scanner, data)) ++hits;
      if (testing::Test::HasFailure()) return;
      events.push_back({"", data, ""});
      ScannedChunk chunk;
      chunk_scanner_internal::Scanner s(data);
      if (gen.Chance(0.1) || !s.Document(&chunk) || s.text_field() == TextField::kNone) {
        data = gen.Chunk();
        continue;
      }
      const size_t begin = s.text_begin() - data.data(), end = s.text_end() - data.data();
      data.replace(begin, end - begin, gen.TextValue());
      if (gen.Chance(0.05)) data[gen.Pick(static_cast<int>(data.size()))] = '"';
    }
    const DecoderOptions o = Options(1 + gen.Pick(2), gen.Pick(3), gen.Chance(0.8), false);
    const std::string diff = diff::Difference(o, events);
    ASSERT_EQ(diff, "") << "stream " << stream;
  }
  // The template answered for many of the chunks, and not for all.
  EXPECT_GT(hits, chunks / 8);
  EXPECT_LT(hits, chunks / 2);
}

}  // namespace
}  // namespace ptc::openai
