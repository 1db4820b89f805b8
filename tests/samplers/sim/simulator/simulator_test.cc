// ptc-simulator over real HTTP: the server runs in-process on 127.0.0.1 (a free port) and a small
// Beast client talks to it.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aggregators/verifier/verify_prompt.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/mcq_dataset.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "samplers/sim/simulator/openai_json.h"
#include "samplers/sim/simulator/simulator_server.h"

namespace ptc::sim {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Json = nlohmann::json;

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

// A blocking HTTP/1.1 client on one keep-alive connection.
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void Write(http::verb verb, const std::string& target, const std::string& body) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
  }

  Reply Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(512 << 20);
    http::read(socket_, buffer_, parser);
    Reply r;
    r.status = parser.get().result_int();
    r.content_type = std::string(parser.get()[http::field::content_type]);
    r.body = parser.get().body();
    return r;
  }

  Reply Send(http::verb verb, const std::string& target, const std::string& body = "") {
    Write(verb, target, body);
    return Read();
  }
  Reply Post(const Json& body) {
    return Send(http::verb::post, "/v1/chat/completions", body.dump());
  }

  tcp::socket& socket() { return socket_; }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// Splits a text/event-stream body into its data payloads; fails on anything else.
std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated event at " << pos;
    if (end == std::string::npos) break;
    const std::string event = body.substr(pos, end - pos);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    out.push_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

// Waits, boundedly, until no connection is open: sessions end asynchronously on the server.
bool NoConnectionsWithin(const SimulatorServer& server, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (server.connections() != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(0.001, 1e6, 0); }

  void Start(double ttft, double tokens_per_second, uint32_t mean_tokens, double fail = 0) {
    server_.reset();
    v1::SimBackendConfig c;
    c.set_time_to_first_token_s(ttft);
    c.set_tokens_per_second(tokens_per_second);
    c.set_mean_completion_tokens(mean_tokens);
    c.set_failure_rate(fail);
    auto s = SimulatorServer::Start(c, "127.0.0.1:0", 2);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    ASSERT_GT(server_->port(), 0);
    auto questions = LoadMcqJsonl(server_->model().config().dataset());
    ASSERT_TRUE(questions.ok()) << questions.status();
    prompt_ = FormatMcqPrompt((*questions)[3], 7);
  }

  Json Request(int n, int seed) const {
    return Json{{"model", "sim-reasoner"},
                {"messages", {{{"role", "user"}, {"content", prompt_.text}}}},
                {"n", n},
                {"seed", seed}};
  }

  std::unique_ptr<SimulatorServer> server_;
  McqPrompt prompt_;
};

void ExpectAnswerShape(const Json& choice, const std::string& letters) {
  const std::string content = choice["message"]["content"].get<std::string>();
  const std::string reason = choice["finish_reason"].get<std::string>();
  const size_t at = content.rfind("Answer: ");
  if (reason == "stop" && content.find("I cannot settle") == std::string::npos) {
    ASSERT_NE(at, std::string::npos) << content;
    ASSERT_EQ(at + 9, content.size()) << content;
    EXPECT_NE(letters.find(content.back()), std::string::npos) << content;
  } else {
    EXPECT_TRUE(reason == "length" || reason == "stop") << reason;
  }
}

TEST_F(SimulatorTest, NonStreamedCompletion) {
  Client client(server_->port());
  const Reply r = client.Post(Request(3, 11));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  const Json j = r.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["model"], "sim-reasoner");
  EXPECT_TRUE(j["created"].is_number_integer());
  ASSERT_EQ(j["choices"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Json& c = j["choices"][i];
    EXPECT_EQ(c["index"], i);
    EXPECT_EQ(c["message"]["role"], "assistant");
    EXPECT_TRUE(c["logprobs"].is_null());
    ExpectAnswerShape(c, prompt_.letters);
  }
  const Json& u = j["usage"];
  EXPECT_GT(u["prompt_tokens"].get<int>(), 0);
  EXPECT_GT(u["completion_tokens"].get<int>(), 3 * 8);
  EXPECT_EQ(u["total_tokens"].get<int>(),
            u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());

  // Keep-alive: the same connection answers again.
  EXPECT_EQ(client.Send(http::verb::get, "/health").body, "ok");
}

TEST_F(SimulatorTest, GradesAVerifierPromptWithAScore) {
  Client client(server_->port());
  const std::string answer(1, prompt_.correct_letter);
  Json req = Request(2, 21);
  req["model"] = "sim-verifier:auc=0.9";
  req["messages"][0]["content"] = BuildVerifyPrompt(prompt_.text, answer, "Because.\nAnswer: B");
  const Reply r = client.Post(req);
  ASSERT_EQ(r.status, 200u) << r.body;
  const Json j = r.json();
  ASSERT_EQ(j["choices"].size(), 2u);
  for (const Json& c : j["choices"]) {
    const std::string content = c["message"]["content"].get<std::string>();
    if (content.find("I cannot settle") != std::string::npos) continue;  // unparseable rate
    EXPECT_NE(content.rfind("\n\nScore: 0."), std::string::npos) << content;
    const std::optional<double> score = ParseVerifierScore(content);
    ASSERT_TRUE(score.has_value()) << content;
    EXPECT_GT(*score, 0);
    EXPECT_LT(*score, 1);
  }
}

TEST_F(SimulatorTest, SameSeedSameContent) {
  Client client(server_->port());
  const Json a = client.Post(Request(4, 99)).json();
  const Json b = client.Post(Request(4, 99)).json();
  const Json other = client.Post(Request(4, 100)).json();
  ASSERT_EQ(a["choices"].size(), 4u);
  std::set<std::string> distinct;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a["choices"][i]["message"]["content"], b["choices"][i]["message"]["content"]);
    distinct.insert(a["choices"][i]["message"]["content"].get<std::string>());
  }
  EXPECT_EQ(distinct.size(), 4u);  // seed + i: each choice is its own chain
  // Seed 100 runs choices 100..103: its first three are choices 1..3 of seed 99.
  EXPECT_EQ(other["choices"][0]["message"]["content"], a["choices"][1]["message"]["content"]);
  EXPECT_EQ(a["usage"], b["usage"]);
}

TEST_F(SimulatorTest, ContentPartsReadLikeAString) {
  Client client(server_->port());
  Json parts = Request(2, 5);
  parts["messages"][0]["content"] = Json::array({{{"type", "text"}, {"text", prompt_.text}}});
  const Json a = client.Post(Request(2, 5)).json();
  const Json b = client.Post(parts).json();
  EXPECT_EQ(a["choices"], b["choices"]);
}

TEST_F(SimulatorTest, StreamedCompletionMatchesNonStreamed) {
  Client client(server_->port());
  const Json whole = client.Post(Request(3, 21)).json();
  Json req = Request(3, 21);
  req["stream"] = true;
  req["stream_options"] = {{"include_usage", true}};
  const Reply r = client.Post(req);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream");
  const std::vector<std::string> events = SseData(r.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::vector<std::string> text(3);
  std::vector<std::string> finish(3);
  std::vector<bool> role(3, false);
  Json usage;
  std::string id;
  for (size_t e = 0; e + 1 < events.size(); ++e) {
    const Json chunk = Json::parse(events[e], nullptr, false);
    ASSERT_FALSE(chunk.is_discarded()) << events[e];
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    if (id.empty()) id = chunk["id"];
    EXPECT_EQ(chunk["id"], id);
    if (chunk["choices"].empty()) {
      EXPECT_EQ(e + 2, events.size()) << "the usage chunk comes last";
      usage = chunk["usage"];
      continue;
    }
    EXPECT_FALSE(chunk.contains("usage"));
    for (const Json& c : chunk["choices"]) {
      const size_t i = c["index"];
      ASSERT_LT(i, 3u);
      EXPECT_TRUE(finish[i].empty()) << "chunk after finish_reason for choice " << i;
      if (c["delta"].contains("role")) {
        EXPECT_FALSE(role[i]);
        role[i] = true;
      } else {
        EXPECT_TRUE(role[i]) << "the first chunk of a choice carries the role";
      }
      if (c["delta"].contains("content")) text[i] += c["delta"]["content"].get<std::string>();
      if (!c["finish_reason"].is_null()) finish[i] = c["finish_reason"];
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(text[i], whole["choices"][i]["message"]["content"]) << i;
    EXPECT_EQ(finish[i], whole["choices"][i]["finish_reason"]) << i;
  }
  EXPECT_EQ(usage, whole["usage"]);

  // Without include_usage: no usage chunk; the connection is still usable.
  req.erase("stream_options");
  const std::vector<std::string> plain = SseData(client.Post(req).body);
  ASSERT_GE(plain.size(), 2u);
  EXPECT_EQ(plain.back(), "[DONE]");
  EXPECT_FALSE(Json::parse(plain[plain.size() - 2]).contains("usage"));
  EXPECT_FALSE(Json::parse(plain[plain.size() - 2])["choices"].empty());
}

void ExpectLogprobsCoverContent(const Json& logprobs, const std::string& content, size_t top) {
  ASSERT_TRUE(logprobs.is_object());
  EXPECT_TRUE(logprobs["refusal"].is_null());
  std::string joined;
  for (const Json& t : logprobs["content"]) {
    const std::string token = t["token"];
    joined += token;
    EXPECT_LE(t["logprob"].get<double>(), 0);
    ASSERT_EQ(t["bytes"].size(), token.size());
    for (size_t b = 0; b < token.size(); ++b) {
      EXPECT_EQ(t["bytes"][b].get<int>(), static_cast<unsigned char>(token[b]));
    }
    ASSERT_EQ(t["top_logprobs"].size(), top);
    if (top > 0) {
      EXPECT_EQ(t["top_logprobs"][0]["token"], token);
      EXPECT_EQ(t["top_logprobs"][0]["logprob"], t["logprob"]);
      for (size_t k = 1; k < top; ++k) {
        EXPECT_LE(t["top_logprobs"][k]["logprob"].get<double>(),
                  t["top_logprobs"][k - 1]["logprob"].get<double>());
        EXPECT_NE(t["top_logprobs"][k]["token"], token);
      }
    }
  }
  EXPECT_EQ(joined, content);
}

TEST_F(SimulatorTest, LogprobsWhenAsked) {
  Client client(server_->port());
  Json req = Request(2, 8);
  req["logprobs"] = true;
  req["top_logprobs"] = 4;
  const Json j = client.Post(req).json();
  uint64_t tokens = 0;
  for (const Json& c : j["choices"]) {
    ExpectLogprobsCoverContent(c["logprobs"], c["message"]["content"], 4);
    tokens += c["logprobs"]["content"].size();
  }
  EXPECT_EQ(j["usage"]["completion_tokens"].get<uint64_t>(), tokens);

  // logprobs alone: the sampled tokens, no alternatives.
  req.erase("top_logprobs");
  const Json alone = client.Post(req).json();
  ExpectLogprobsCoverContent(alone["choices"][0]["logprobs"],
                             alone["choices"][0]["message"]["content"], 0);

  // Streamed: each chunk's logprobs cover its delta.
  req["top_logprobs"] = 4;
  req["stream"] = true;
  const std::vector<std::string> events = SseData(client.Post(req).body);
  std::string text;
  for (size_t e = 0; e + 1 < events.size(); ++e) {
    const Json chunk = Json::parse(events[e]);
    const Json& c = chunk["choices"][0];
    if (!c["delta"].contains("content")) continue;
    ExpectLogprobsCoverContent(c["logprobs"], c["delta"]["content"], 4);
    if (c["index"] == 0) text += c["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, j["choices"][0]["message"]["content"]);
}

TEST_F(SimulatorTest, MaxTokensTruncates) {
  Client client(server_->port());
  Json req = Request(2, 3);
  req["max_completion_tokens"] = 5;
  const Json j = client.Post(req).json();
  for (const Json& c : j["choices"]) EXPECT_EQ(c["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 10);
}

struct BadCase {
  std::string body;
  std::string param;  // empty: null
};

TEST_F(SimulatorTest, InvalidRequestsNameTheField) {
  const std::string msgs = R"("messages": [{"role": "user", "content": "hi"}])";
  const std::vector<BadCase> cases = {
      {"{not json", ""},
      {"[1, 2]", ""},
      {"", ""},
      {std::string(200000, '['), ""},
      {R"({"model": "m"})", "messages"},
      {R"({"messages": []})", "messages"},
      {R"({"messages": "hi"})", "messages"},
      {R"({"messages": [5]})", "messages[0]"},
      {R"({"messages": [{"role": "robot", "content": "x"}]})", "messages[0].role"},
      {R"({"messages": [{"role": "user"}]})", "messages[0].content"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content"},
      {R"({"messages": [{"role": "user", "content": [{"text": "x"}]}]})",
       "messages[0].content[0].type"},
      {R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})",
       "messages[0].content[0].text"},
      {"{" + msgs + R"(, "model": 3})", "model"},
      {"{" + msgs + R"(, "n": 0})", "n"},
      {"{" + msgs + R"(, "n": 1000})", "n"},
      {"{" + msgs + R"(, "n": "3"})", "n"},
      {"{" + msgs + R"(, "n": 1.5})", "n"},
      {"{" + msgs + R"(, "temperature": 5})", "temperature"},
      {"{" + msgs + R"(, "temperature": "hot"})", "temperature"},
      {"{" + msgs + R"(, "top_p": 1.5})", "top_p"},
      {"{" + msgs + R"(, "seed": "x"})", "seed"},
      {"{" + msgs + R"(, "seed": 1e300})", "seed"},
      {"{" + msgs + R"(, "max_tokens": 0})", "max_tokens"},
      {"{" + msgs + R"(, "max_completion_tokens": -4})", "max_completion_tokens"},
      {"{" + msgs + R"(, "logprobs": 1})", "logprobs"},
      {"{" + msgs + R"(, "logprobs": true, "top_logprobs": 21})", "top_logprobs"},
      {"{" + msgs + R"(, "top_logprobs": 2})", "top_logprobs"},
      {"{" + msgs + R"(, "stream": "yes"})", "stream"},
      {"{" + msgs + R"(, "stream": true, "stream_options": 1})", "stream_options"},
      {"{" + msgs + R"(, "stream_options": {"include_usage": 1}})", "stream_options.include_usage"},
  };
  Client client(server_->port());
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 100));
    const Reply r = client.Send(http::verb::post, "/v1/chat/completions", c.body);
    ASSERT_EQ(r.status, 400u) << r.body;
    const Json j = r.json();
    ASSERT_TRUE(j.contains("error")) << r.body;
    const Json& e = j["error"];
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_TRUE(e["code"].is_null());
    if (c.param.empty()) {
      EXPECT_TRUE(e["param"].is_null()) << r.body;
      EXPECT_FALSE(e["message"].get<std::string>().empty());
    } else {
      EXPECT_EQ(e["param"], c.param);
      // The message names the field (its last component).
      const std::string leaf = c.param.substr(c.param.rfind('.') + 1);
      EXPECT_NE(e["message"].get<std::string>().find(leaf.substr(0, leaf.find('['))),
                std::string::npos)
          << e["message"];
    }
  }
  // Nulls are absent fields; valid after all that.
  const Reply ok = client.Send(http::verb::post, "/chat/completions",
                               "{" + msgs + R"(, "n": null, "seed": null, "stream": null})");
  EXPECT_EQ(ok.status, 200u) << ok.body;
}

TEST_F(SimulatorTest, UnknownPathAndWrongMethod) {
  Client client(server_->port());
  Reply r = client.Send(http::verb::get, "/v1/nothing");
  EXPECT_EQ(r.status, 404u);
  EXPECT_TRUE(r.json()["error"]["message"].is_string());
  r = client.Send(http::verb::get, "/v1/chat/completions");
  EXPECT_EQ(r.status, 405u);
  EXPECT_TRUE(r.json()["error"]["message"].is_string());
  EXPECT_EQ(client.Send(http::verb::delete_, "/health").status, 405u);
  EXPECT_EQ(client.Send(http::verb::post, "/v1/models", "{}").status, 405u);
  r = client.Send(http::verb::get, "/v1/models");
  ASSERT_EQ(r.status, 200u);
  const Json models = r.json();
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "sim-reasoner");
  EXPECT_EQ(models["data"][0]["object"], "model");
  EXPECT_EQ(models["data"][0]["owned_by"], "ptc");
  EXPECT_TRUE(models["data"][0]["created"].is_number_integer());
  r = client.Send(http::verb::get, "/health");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ok");
}

TEST_F(SimulatorTest, BodyOverOneMebibyteIs413) {
  Client client(server_->port());
  const std::string big = "{\"messages\": \"" + std::string((1 << 20) + 10, 'x') + "\"}";
  const Reply r = client.Send(http::verb::post, "/v1/chat/completions", big);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.json()["error"]["type"], "invalid_request_error");
  // Just under the limit is read (and rejected as a bad field, not for its size).
  Client again(server_->port());
  const std::string fits = "{\"messages\": \"" + std::string((1 << 20) - 100, 'x') + "\"}";
  const Reply ok = again.Send(http::verb::post, "/v1/chat/completions", fits);
  EXPECT_EQ(ok.status, 400u);
  EXPECT_EQ(ok.json()["error"]["param"], "messages");
}

TEST_F(SimulatorTest, PipelinedRequestsAnswerInOrder) {
  Client client(server_->port());
  client.Write(http::verb::post, "/v1/chat/completions", Request(2, 1).dump());
  client.Write(http::verb::get, "/health", "");
  client.Write(http::verb::get, "/nowhere", "");
  EXPECT_EQ(client.Read().json()["choices"].size(), 2u);
  EXPECT_EQ(client.Read().body, "ok");
  EXPECT_EQ(client.Read().status, 404u);
}

TEST_F(SimulatorTest, MalformedHttpDoesNotHurtTheServer) {
  for (const std::string& garbage :
       {std::string("NOT HTTP AT ALL\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost\r\n\r\n"),
        std::string("\x01\x02\x03\xff\r\n\r\n", 8),
        std::string("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: -1\r\n\r\n")}) {
    Client client(server_->port());
    net::write(client.socket(), net::buffer(garbage));
    std::string reply;
    boost::system::error_code ec;
    net::read(client.socket(), net::dynamic_buffer(reply), ec);  // to the server's close
    EXPECT_TRUE(reply.empty() || reply.rfind("HTTP/1.1 400", 0) == 0) << reply;
  }
  Client client(server_->port());
  EXPECT_EQ(client.Send(http::verb::get, "/health").body, "ok");
}

TEST_F(SimulatorTest, SimulatedFailureIs500) {
  Start(0.001, 1e6, 0, /*fail=*/1.0);
  Client client(server_->port());
  const Reply r = client.Post(Request(2, 1));
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.json()["error"]["type"], "server_error");
}

TEST_F(SimulatorTest, ClientLeavingMidStreamStopsTheSession) {
  // Slow chains: each takes seconds to stream, so the stream is surely still going.
  Start(0.001, 400, 2000);
  const auto begin = std::chrono::steady_clock::now();
  {
    Client client(server_->port());
    Json req = Request(8, 1);
    req["stream"] = true;
    client.Write(http::verb::post, "/v1/chat/completions", req.dump());
    std::string got;
    while (got.find("data: ") == std::string::npos) {
      char buf[4096];
      got.append(buf, client.socket().read_some(net::buffer(buf)));
    }
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u);
  }  // closes the connection
  ASSERT_TRUE(NoConnectionsWithin(*server_, std::chrono::seconds(4)))
      << server_->connections() << " open";
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));

  // The server carries on.
  Client client(server_->port());
  EXPECT_EQ(client.Send(http::verb::get, "/health").body, "ok");
  Json req = Request(1, 1);
  req["max_tokens"] = 10;
  EXPECT_EQ(client.Post(req).status, 200u);
}

TEST_F(SimulatorTest, StopIsIdempotentAndDropsOpenConnections) {
  Client idle(server_->port());
  EXPECT_EQ(idle.Send(http::verb::get, "/health").body, "ok");
  EXPECT_EQ(server_->connections(), 1u);
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(server_->connections(), 0u);
  boost::system::error_code ec;
  char c;
  idle.socket().read_some(net::buffer(&c, 1), ec);
  EXPECT_TRUE(ec);
}

TEST(SimulatorStartTest, BadListenAddressIsAnError) {
  EXPECT_FALSE(SimulatorServer::Start({}, "nonsense", 1).ok());
  EXPECT_FALSE(SimulatorServer::Start({}, "127.0.0.1:99999", 1).ok());
  v1::SimBackendConfig bad;
  bad.set_target_accuracy(3);
  EXPECT_FALSE(SimulatorServer::Start(bad, "127.0.0.1:0", 1).ok());
}

TEST(OpenAiJsonTest, ParsesEveryField) {
  std::string param;
  auto r = ParseChatRequest(R"({"model": "m", "n": 4, "temperature": 0.5, "top_p": 0.9,
      "seed": -3, "max_tokens": 50, "max_completion_tokens": 60, "logprobs": true,
      "top_logprobs": 3, "stream": true, "stream_options": {"include_usage": true},
      "messages": [{"role": "system", "content": "be brief"},
                   {"role": "user", "content": [{"type": "text", "text": "a"},
                                                {"type": "image_url", "image_url": {}},
                                                {"type": "text", "text": "b"}]},
                   {"role": "assistant", "content": null}]})",
                            &param);
  ASSERT_TRUE(r.ok()) << r.status() << " " << param;
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(r->n, 4u);
  EXPECT_FLOAT_EQ(*r->temperature, 0.5f);
  EXPECT_FLOAT_EQ(*r->top_p, 0.9f);
  EXPECT_EQ(*r->seed, -3);
  EXPECT_EQ(r->max_tokens, 60u);
  EXPECT_TRUE(r->logprobs);
  EXPECT_EQ(r->top_logprobs, 3u);
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  ASSERT_EQ(r->messages->size(), 3u);
  EXPECT_EQ((*r->messages)[0].role, ChatMessage::Role::kSystem);
  EXPECT_EQ((*r->messages)[1].role, ChatMessage::Role::kUser);
  EXPECT_EQ((*r->messages)[1].content, "a\nb");
  EXPECT_EQ((*r->messages)[2].role, ChatMessage::Role::kAssistant);
}

TEST(OpenAiJsonTest, ErrorBodyShape) {
  const Json e = Json::parse(ErrorBody("bad n", "invalid_request_error", "n"));
  EXPECT_EQ(e, Json::parse(R"({"error": {"message": "bad n", "type": "invalid_request_error",
                                         "param": "n", "code": null}})"));
}

TEST(OpenAiJsonTest, BodiesRoundTripThroughAJsonParser) {
  const std::string tricky =
      "quote \" backslash \\ nl \n tab \t ctl \x01 del \x7f \xc3\xa9 \xe2\x82\xac";
  const CompletionHeader h{"chatcmpl-1", 1700000000, "m\"odel"};
  TokenLogprob lp{tricky, -0.25f, {{tricky, -0.25f}, {" alt", -0.5f}}};
  const std::vector<TokenLogprob> lps = {lp};

  const Json chunk = Json::parse(ChunkBody(h, 2, true, &tricky, &lps, nullptr));
  EXPECT_EQ(chunk["id"], "chatcmpl-1");
  EXPECT_EQ(chunk["created"], 1700000000);
  EXPECT_EQ(chunk["model"], "m\"odel");
  const Json& c = chunk["choices"][0];
  EXPECT_EQ(c["index"], 2);
  EXPECT_EQ(c["delta"], Json({{"role", "assistant"}, {"content", tricky}}));
  EXPECT_TRUE(c["finish_reason"].is_null());
  EXPECT_EQ(c["logprobs"]["content"][0]["token"], tricky);
  EXPECT_FLOAT_EQ(c["logprobs"]["content"][0]["logprob"].get<float>(), -0.25f);
  EXPECT_EQ(c["logprobs"]["content"][0]["bytes"].size(), tricky.size());
  EXPECT_EQ(c["logprobs"]["content"][0]["top_logprobs"][1]["token"], " alt");

  const Json last = Json::parse(ChunkBody(h, 0, false, nullptr, nullptr, "stop"));
  EXPECT_EQ(last["choices"][0]["delta"], Json::object());
  EXPECT_TRUE(last["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");

  const Json whole = Json::parse(CompletionBody(h, {{tricky, "length", lps}, {"b", "stop", {}}},
                                                /*logprobs=*/false, {7, 5}));
  EXPECT_EQ(whole["object"], "chat.completion");
  EXPECT_EQ(whole["choices"][0]["message"]["content"], tricky);
  EXPECT_EQ(whole["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(whole["choices"][1]["logprobs"].is_null());
  EXPECT_EQ(whole["usage"],
            Json({{"prompt_tokens", 7}, {"completion_tokens", 5}, {"total_tokens", 12}}));
  const Json usage = Json::parse(UsageChunkBody(h, {1, 2}));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["total_tokens"], 3);
}

TEST(ChoiceGeneratorTest, TokensSplitAsCounted) {
  EXPECT_EQ(SplitTokens("\n\nAnswer: C"), (std::vector<std::string>{"\n\n", "Answer:", " C"}));
  EXPECT_EQ(SplitTokens(" a b"), (std::vector<std::string>{" a", " b"}));
  EXPECT_EQ(SplitTokens("\n\nI cannot settle between the remaining options.").size(), 8u);
}

}  // namespace
}  // namespace ptc::sim
