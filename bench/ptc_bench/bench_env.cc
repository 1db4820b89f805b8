#include "bench/ptc_bench/bench_env.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "bench/ptc_bench/targets.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "nlohmann/json.hpp"

namespace ptc::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// A GPQA-style prompt of the usual size (about 700 bytes).
constexpr char kPrompt[] =
    "Answer the following multiple choice question. The last line of your response should be of "
    "the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think "
    "step by step before answering.\n\n"
    "A spin-half particle is in a linear superposition 0.5|up> + sqrt(3)/2|down> of its spin-up "
    "and spin-down states. If |up> and |down> are the eigenstates of sigma_z, what is the "
    "expectation value up to one decimal place of the operator 10 sigma_z + 5 sigma_x? Consider "
    "the standard Pauli matrices and take the states to be normalised; report the value to one "
    "decimal place.\n\n"
    "A) -1.4\nB) -0.7\nC) 0.85\nD) 1.65";

int FreePort() {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> StartFakeBackend(const BenchPaths& paths, int threads,
                                                               std::string* url) {
  auto child = ChildProcess::Spawn(
      {paths.fake_bin, "--listen=127.0.0.1:0", absl::StrCat("--threads=", threads)},
      paths.out_dir + "/fake-backend.log");
  if (!child.ok()) return child.status();
  auto line = (*child)->WaitForLine("listening on", std::chrono::seconds(20));
  if (!line.ok()) return line.status();
  *url = *line;
  return child;
}

std::string PtcServerConfigText(const std::string& fake_url, int worker_threads) {
  return absl::StrCat(
      "# Written by ptc-bench: one OpenAI-compatible backend on the fake model server.\n"
      "listen: \"127.0.0.1:0\"\n"
      "metrics_listen: \"off\"\n",
      worker_threads > 0 ? absl::StrCat("worker_threads: ", worker_threads, "\n") : "",
      "backends {\n"
      "  name: \"fake\"\n"
      "  config {\n"
      "    [type.googleapis.com/ptc.v1.OpenAiBackendConfig] {\n"
      "      default_model: \"fake\"\n"
      "      http {\n"
      "        endpoints: \"",
      fake_url,
      "\"\n"
      "        max_connections_per_endpoint: 16384\n"
      "        retry { max_attempts: 1 }\n"
      "        circuit_breaker { disabled: true }\n"
      "      }\n"
      "    }\n"
      "  }\n"
      "}\n"
      "pricing { backend: \"fake\" input_usd_per_mtok: 1 output_usd_per_mtok: 1 }\n");
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartPtcServer(const BenchPaths& paths,
                                                             const std::string& fake_url,
                                                             const std::string& tag,
                                                             std::string* address) {
  const std::string config_path = paths.out_dir + "/ptc-server.pbtxt";
  {
    std::ofstream out(config_path);
    out << PtcServerConfigText(fake_url, paths.server_threads);
    if (!out) return absl::UnavailableError("cannot write " + config_path);
  }
  auto child = ChildProcess::Spawn({paths.server_bin, "--config=" + config_path},
                                   paths.out_dir + "/ptc-server-" + tag + ".log");
  if (!child.ok()) return child.status();
  auto line = (*child)->WaitForLine("ptc-server listening on", std::chrono::seconds(30));
  if (!line.ok()) return line.status();
  *address = line->substr(0, line->find(' '));
  return child;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartPortkey(const BenchPaths& paths,
                                                           std::string* url) {
  const int port = FreePort();
  const std::string script =
      paths.portkey_dir + "/node_modules/@portkey-ai/gateway/build/start-server.js";
  auto child =
      ChildProcess::Spawn({paths.node, script, absl::StrCat("--port=", port), "--headless"},
                          paths.out_dir + "/portkey.log", {"NODE_ENV=production"});
  if (!child.ok()) return child.status();
  auto line = (*child)->WaitForLine("Ready for connections", std::chrono::seconds(60));
  if (!line.ok()) return line.status();
  *url = absl::StrCat("http://127.0.0.1:", port, "/v1");
  return child;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartAsyncioPeer(const BenchPaths& paths,
                                                               const std::string& fake_url,
                                                               const std::string& tag,
                                                               std::string* address) {
  auto child = ChildProcess::Spawn(
      {paths.python, paths.asyncio_script, "--listen=127.0.0.1:0", "--backend=" + fake_url,
       "--proto_dir=" + paths.proto_dir, "--gen_dir=" + paths.out_dir + "/asyncio_pb"},
      paths.out_dir + "/asyncio-" + tag + ".log");
  if (!child.ok()) return child.status();
  auto line = (*child)->WaitForLine("asyncio-fanout listening on", std::chrono::seconds(60));
  if (!line.ok()) return line.status();
  *address = *line;
  return child;
}

absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path) {
  namespace http = beast::http;
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("no port in " + host_port);
  try {
    net::io_context io;
    tcp::socket socket(io);
    socket.connect(
        tcp::endpoint(net::ip::make_address(host_port.substr(0, colon)),
                      static_cast<unsigned short>(std::stoi(host_port.substr(colon + 1)))));
    http::request<http::empty_body> req(http::verb::get, path, 11);
    req.set(http::field::host, host_port);
    req.keep_alive(false);
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    if (res.result_int() != 200) {
      return absl::UnavailableError(absl::StrCat("GET ", path, ": HTTP ", res.result_int()));
    }
    return res.body();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": ", e.what()));
  }
}

v1::SolveRequest SolveRequestFor(const Workload& w) {
  v1::SolveRequest req;
  v1::Message* m = req.add_messages();
  m->set_role(v1::Message::ROLE_USER);
  m->set_content(kPrompt);
  v1::SamplingGroup* g = req.add_sampling();
  g->set_backend("fake");
  g->set_model(w.model);
  g->set_n(w.n);
  g->set_max_tokens(w.max_tokens);
  return req;
}

std::string ChatBodyFor(const Workload& w, bool stream) {
  nlohmann::json body = {
      {"model", w.model},
      {"messages", nlohmann::json::array({{{"role", "user"}, {"content", kPrompt}}})},
      {"stream", stream},
      {"max_completion_tokens", w.max_tokens}};
  if (stream) body["stream_options"] = {{"include_usage", true}};
  return body.dump();
}

absl::StatusOr<std::unique_ptr<Target>> MakeTarget(const Subject& s, const Workload& w,
                                                   boost::asio::io_context& io,
                                                   const std::string& fake_url) {
  switch (s.via) {
    case Via::kPtc:
    case Via::kAsyncio: {
      auto target = std::make_unique<SolveTarget>(s.address, SolveRequestFor(w), kExpectedAnswer);
      if (absl::Status st = target->WaitReady(std::chrono::seconds(10)); !st.ok()) return st;
      return target;
    }
    case Via::kGrpcHealth: {
      auto target = std::make_unique<HealthTarget>(s.address);
      if (absl::Status st = target->WaitReady(std::chrono::seconds(10)); !st.ok()) return st;
      return target;
    }
    case Via::kDirect:
      return HttpTarget::Create(io, fake_url, ChatBodyFor(w, s.stream), {}, w.n);
    case Via::kPortkey:
      return HttpTarget::Create(io, s.address, ChatBodyFor(w, s.stream),
                                {{"x-portkey-provider", "openai"},
                                 {"x-portkey-custom-host", fake_url},
                                 {"authorization", "Bearer sk-bench"}},
                                w.n);
  }
  return absl::InternalError("unknown subject");
}

}  // namespace ptc::bench
