// TLS and mTLS on the real gRPC server in-process (loopback, port 0), certificate rotation, the
// TLS config's validation, and the client side: MakeChannel's flag errors, the API key metadata
// and `ptc hash-key`.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/clock.h"
#include "common/mcq_dataset.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "ptc/v1/backends/sim.pb.h"
#include "ptc/v1/orchestrator.grpc.pb.h"
#include "service/client/connection.h"
#include "service/config.h"
#include "service/server.h"
#include "service/tls_config.h"
#include "tests/fakes/test_certs.h"

namespace ptc {
namespace {

using client::ConnectionOptions;
using client::MakeChannel;
using ::testing::HasSubstr;

// A directory of its own per test (gtest cases run as parallel processes), removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ptc_tls_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  // Writes `name` atomically (a temporary file renamed over it), as a secret mount or a
  // certificate manager would, so a reload never reads a half-written file.
  std::string Write(const std::string& name, const std::string& contents) const {
    const std::string target = path_ + "/" + name;
    const std::string tmp = target + ".tmp";
    std::ofstream(tmp, std::ios::binary) << contents;
    std::filesystem::rename(tmp, target);
    return target;
  }

 private:
  std::string path_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto questions = LoadMcqJsonl(DefaultSampleDatasetPath());
    ASSERT_TRUE(questions.ok()) << questions.status();
    question_ = (*questions)[0];
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::ZeroDuration());
  }

  // The default config on a fast simulated backend, TLS from `pki`'s server files (and mTLS
  // trusting `pki`'s CA when `mtls`).
  v1::ServerConfig Config(const fakes::TestPki& pki, bool mtls, uint32_t reload_s = 0) {
    v1::ServerConfig c = LocalServerConfig(DefaultServerConfig());
    c.set_worker_threads(2);
    v1::SimBackendConfig sim;
    sim.set_time_to_first_token_s(0.001);
    sim.set_tokens_per_second(1e5);
    c.mutable_backends(0)->mutable_config()->PackFrom(sim);
    v1::TlsConfig* tls = c.mutable_tls();
    tls->set_cert_file(dir_.Write("server.pem", pki.server_cert_pem));
    tls->set_key_file(dir_.Write("server.key", pki.server_key_pem));
    if (mtls) tls->set_client_ca_file(dir_.Write("client-ca.pem", pki.ca_cert_pem));
    tls->set_reload_interval_s(reload_s);
    return WithDefaults(std::move(c));
  }

  void Start(const v1::ServerConfig& c) {
    ASSERT_TRUE(ValidateServerConfig(c).ok()) << ValidateServerConfig(c);
    auto s = Server::Start(c);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  // A client trusting `pki`'s CA, with `pki`'s client certificate when `with_cert`.
  ConnectionOptions Trusting(const fakes::TestPki& pki, bool with_cert = false) {
    ConnectionOptions o;
    const std::string tag = std::to_string(files_++);
    o.tls_ca = dir_.Write("ca" + tag + ".pem", pki.ca_cert_pem);
    if (with_cert) {
      o.tls_cert = dir_.Write("client" + tag + ".pem", pki.client_cert_pem);
      o.tls_key = dir_.Write("client" + tag + ".key", pki.client_key_pem);
    }
    return o;
  }

  // One Solve call on a new channel (so no connection is reused across checks).
  grpc::Status Solve(const ConnectionOptions& o, int deadline_ms = 10000) {
    auto channel = MakeChannel(server_->address(), o);
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, channel.status().ToString());
    auto stub = v1::Orchestrator::NewStub(*channel);
    v1::SolveRequest r;
    auto* m = r.add_messages();
    m->set_role(v1::Message::ROLE_USER);
    m->set_content(FormatMcqPrompt(question_, 1).text);
    r.add_sampling()->set_n(2);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    v1::SolveResponse response;
    grpc::Status s = stub->Solve(&ctx, r, &response);
    if (s.ok()) {
      EXPECT_EQ(response.ledger().chains_succeeded(), 2u);
    }
    return s;
  }

  TempDir dir_;
  int files_ = 0;
  McqQuestion question_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, ClientTrustingTheCaCanSolve) {
  const fakes::TestPki pki = fakes::MakeTestPki();
  Start(Config(pki, /*mtls=*/false));
  grpc::Status s = Solve(Trusting(pki));
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(TlsTest, ServerNameOverrideIsChecked) {
  const fakes::TestPki pki = fakes::MakeTestPki("ptc.internal", /*with_loopback_ip=*/false);
  Start(Config(pki, false));
  ConnectionOptions o = Trusting(pki);
  EXPECT_EQ(Solve(o).error_code(), grpc::StatusCode::UNAVAILABLE);  // 127.0.0.1 not in the cert
  o.tls_server_name = "ptc.internal";
  grpc::Status s = Solve(o);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(TlsTest, PlaintextClientIsRefused) {
  const fakes::TestPki pki = fakes::MakeTestPki();
  Start(Config(pki, false));
  EXPECT_EQ(Solve(ConnectionOptions{}).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ClientTrustingAnotherCaIsRefused) {
  const fakes::TestPki pki = fakes::MakeTestPki();
  Start(Config(pki, false));
  EXPECT_EQ(Solve(Trusting(fakes::MakeTestPki())).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MtlsRequiresAClientCertificateFromTheClientCa) {
  const fakes::TestPki pki = fakes::MakeTestPki();
  Start(Config(pki, /*mtls=*/true));
  EXPECT_EQ(Solve(Trusting(pki)).error_code(), grpc::StatusCode::UNAVAILABLE);  // no certificate

  grpc::Status s = Solve(Trusting(pki, /*with_cert=*/true));
  EXPECT_TRUE(s.ok()) << s.error_message();

  // Trusts the right server CA but presents a certificate from another CA.
  const fakes::TestPki other = fakes::MakeTestPki();
  ConnectionOptions o = Trusting(pki);
  o.tls_cert = dir_.Write("other.pem", other.client_cert_pem);
  o.tls_key = dir_.Write("other.key", other.client_key_pem);
  EXPECT_EQ(Solve(o).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, RotatedCertificateIsServedWithoutARestart) {
  const fakes::TestPki old_pki = fakes::MakeTestPki();
  Start(Config(old_pki, false, /*reload_s=*/1));
  ASSERT_TRUE(Solve(Trusting(old_pki)).ok());
  const fakes::TestPki new_pki = fakes::MakeTestPki();
  const ConnectionOptions trusts_new = Trusting(new_pki);
  EXPECT_EQ(Solve(trusts_new).error_code(), grpc::StatusCode::UNAVAILABLE);

  // Back to back, as docs/security.md advises; a check that falls between the two renames sees a
  // mismatched pair and fails handshakes until the next one, which the polling below tolerates.
  dir_.Write("server.key", new_pki.server_key_pem);
  dir_.Write("server.pem", new_pki.server_cert_pem);
  const absl::Time give_up = absl::Now() + absl::Seconds(15);
  grpc::Status s;
  do {
    s = Solve(trusts_new, 2000);
    if (s.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < give_up);
  EXPECT_TRUE(s.ok()) << "the new certificate was not served within 15 s: " << s.error_message();
  EXPECT_EQ(Solve(Trusting(old_pki)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

// --- validation ---

class TlsConfigTest : public ::testing::Test {
 protected:
  std::string Message(const v1::TlsConfig& tls) {
    absl::Status s = ValidateTlsConfig(tls);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return std::string(s.message());
  }
  TempDir dir_;
  fakes::TestPki pki_ = fakes::MakeTestPki();
};

TEST_F(TlsConfigTest, UnsetOrEmptyIsPlaintext) {
  EXPECT_TRUE(ValidateTlsConfig(v1::TlsConfig()).ok());
  EXPECT_FALSE(TlsEnabled(v1::TlsConfig()));
}

TEST_F(TlsConfigTest, ValidFilesPass) {
  v1::TlsConfig tls;
  tls.set_cert_file(dir_.Write("c.pem", pki_.server_cert_pem));
  tls.set_key_file(dir_.Write("k.pem", pki_.server_key_pem));
  tls.set_client_ca_file(dir_.Write("ca.pem", pki_.ca_cert_pem + pki_.ca_cert_pem));  // a bundle
  EXPECT_TRUE(ValidateTlsConfig(tls).ok()) << ValidateTlsConfig(tls);
}

TEST_F(TlsConfigTest, ErrorsNameTheField) {
  const std::string cert = dir_.Write("c.pem", pki_.server_cert_pem);
  const std::string key = dir_.Write("k.pem", pki_.server_key_pem);
  const std::string garbage = dir_.Write("garbage.pem", "not a certificate\n");
  const std::string missing = dir_.path() + "/missing.pem";
  v1::TlsConfig tls;

  tls.set_key_file(key);
  EXPECT_THAT(Message(tls), HasSubstr("tls.cert_file: required"));
  tls.clear_key_file();
  tls.set_cert_file(cert);
  EXPECT_THAT(Message(tls), HasSubstr("tls.key_file: required"));

  tls.set_cert_file(missing);
  tls.set_key_file(key);
  EXPECT_EQ(Message(tls),
            "tls.cert_file: cannot read \"" + missing + "\": No such file or directory");
  tls.set_cert_file(dir_.path());
  EXPECT_THAT(Message(tls), HasSubstr("tls.cert_file: cannot read"));
  tls.set_cert_file(garbage);
  EXPECT_THAT(Message(tls), HasSubstr("tls.cert_file: \"" + garbage + "\" is not PEM"));
  tls.set_cert_file(key);  // a key where the certificate belongs
  EXPECT_THAT(Message(tls), HasSubstr("tls.cert_file:"));

  tls.set_cert_file(cert);
  tls.set_key_file(garbage);
  EXPECT_THAT(Message(tls), HasSubstr("tls.key_file: \"" + garbage + "\" is not"));
  tls.set_key_file(dir_.Write("other.key", pki_.client_key_pem));
  EXPECT_THAT(Message(tls), HasSubstr("tls.key_file: not the key of tls.cert_file"));

  tls.set_key_file(key);
  tls.set_client_ca_file(missing);
  EXPECT_THAT(Message(tls), HasSubstr("tls.client_ca_file: cannot read"));
  tls.set_client_ca_file(garbage);
  EXPECT_THAT(Message(tls), HasSubstr("tls.client_ca_file:"));

  tls.clear_client_ca_file();
  tls.set_reload_interval_s(86401);
  EXPECT_THAT(Message(tls), HasSubstr("tls.reload_interval_s: must be in [1, 86400]"));
}

TEST_F(TlsConfigTest, UnreadableFileIsNamed) {
  v1::TlsConfig tls;
  tls.set_cert_file(dir_.Write("c.pem", pki_.server_cert_pem));
  // A directory opens but cannot be read, for root too (file permissions would not stop root).
  const std::string key_dir = tls.cert_file() + ".d";
  std::filesystem::create_directory(key_dir);
  tls.set_key_file(key_dir);
  EXPECT_THAT(Message(tls),
              HasSubstr("tls.key_file: cannot read \"" + key_dir + "\": Is a directory"));
}

TEST_F(TlsConfigTest, ServerConfigAppliesTheReloadDefault) {
  v1::ServerConfig c = DefaultServerConfig();
  c.mutable_tls()->set_cert_file(dir_.Write("c.pem", pki_.server_cert_pem));
  c.mutable_tls()->set_key_file(dir_.Write("k.pem", pki_.server_key_pem));
  c = WithDefaults(std::move(c));
  EXPECT_EQ(c.tls().reload_interval_s(), 60u);
  EXPECT_TRUE(ValidateServerConfig(c).ok()) << ValidateServerConfig(c);
  c.mutable_tls()->set_key_file(dir_.path() + "/none.key");
  EXPECT_THAT(std::string(ValidateServerConfig(c).message()), HasSubstr("tls.key_file: cannot"));
}

// --- the client ---

TEST(ConnectionTest, FlagErrorsNameTheFlag) {
  TempDir dir;
  const fakes::TestPki pki = fakes::MakeTestPki();
  const std::string ca = dir.Write("ca.pem", pki.ca_cert_pem);
  auto error = [](const ConnectionOptions& o) {
    auto channel = MakeChannel("127.0.0.1:1", o);
    EXPECT_FALSE(channel.ok());
    return std::string(channel.status().message());
  };
  ConnectionOptions o;
  o.tls_cert = dir.Write("c.pem", pki.client_cert_pem);
  EXPECT_EQ(error(o), "--tls_cert: needs --tls_ca");
  o = {};
  o.tls_server_name = "x";
  EXPECT_EQ(error(o), "--tls_server_name: needs --tls_ca");
  o = {};
  o.tls_ca = dir.path() + "/missing.pem";
  EXPECT_EQ(error(o), "--tls_ca: cannot read \"" + o.tls_ca + "\": No such file or directory");
  o.tls_ca = dir.Write("garbage.pem", "garbage");
  EXPECT_THAT(error(o), HasSubstr("--tls_ca: \"" + o.tls_ca + "\" is not PEM certificates"));
  o.tls_ca = ca;
  o.tls_cert = dir.Write("c.pem", pki.client_cert_pem);
  EXPECT_EQ(error(o), "--tls_key: required with --tls_cert");
  o.tls_key = dir.Write("k.pem", pki.server_key_pem);
  EXPECT_EQ(error(o), "--tls_key: not the key of --tls_cert");
  o.tls_key = dir.Write("k.pem", pki.client_key_pem);
  EXPECT_TRUE(MakeChannel("127.0.0.1:1", o).ok());
}

TEST(ConnectionTest, FlagsAndEnvironmentMakeTheOptions) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_tls_ca, "/ca.pem");
  absl::SetFlag(&FLAGS_api_key_env, "PTC_TLS_TEST_KEY");
  ASSERT_EQ(setenv("PTC_TLS_TEST_KEY", "bad key", 1), 0);
  ConnectionOptions o = client::ConnectionOptionsFromFlags();
  EXPECT_EQ(o.tls_ca, "/ca.pem");
  EXPECT_EQ(o.api_key, "bad key");
  o.tls_ca.clear();
  auto channel = MakeChannel("127.0.0.1:1", o);
  ASSERT_FALSE(channel.ok());
  // Names the variable, never echoes the key.
  EXPECT_EQ(channel.status().message(),
            "--api_key_env: $PTC_TLS_TEST_KEY is not 1..4096 visible ASCII characters");
  absl::SetFlag(&FLAGS_api_key_env, "");
  EXPECT_TRUE(client::ConnectionOptionsFromFlags().api_key.empty());
}

// Records the x-api-key metadata of every call and answers UNIMPLEMENTED.
class MetadataRecorder : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto [begin, end] = ctx->client_metadata().equal_range(client::kApiKeyMetadata);
      for (auto it = begin; it != end; ++it)
        keys_.emplace_back(it->second.data(), it->second.size());
      ++calls_;
    }
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "")); }
      void OnDone() override { delete this; }
    };
    return new Reactor;
  }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;  // guards everything below
  std::vector<std::string> keys_;
  int calls_ = 0;
};

TEST(ConnectionTest, ApiKeyIsSentOnEveryCall) {
  MetadataRecorder recorder;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&recorder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  ConnectionOptions o;
  o.api_key = "sk-test_123";
  auto channel = MakeChannel("127.0.0.1:" + std::to_string(port), o);
  ASSERT_TRUE(channel.ok()) << channel.status();
  auto stub = v1::Orchestrator::NewStub(*channel);
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    v1::SolveResponse response;
    EXPECT_EQ(stub->Solve(&ctx, v1::SolveRequest(), &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  auto no_key = MakeChannel("127.0.0.1:" + std::to_string(port), ConnectionOptions{});
  ASSERT_TRUE(no_key.ok());
  grpc::ClientContext ctx;
  v1::SolveResponse response;
  v1::Orchestrator::NewStub(*no_key)->Solve(&ctx, v1::SolveRequest(), &response);
  EXPECT_EQ(recorder.calls(), 3);
  EXPECT_EQ(recorder.keys(), std::vector<std::string>({"sk-test_123", "sk-test_123"}));
  server->Shutdown();
}

TEST(HashKeyTest, PrintsTheSha256OfTheLine) {
  std::istringstream in("sk-secret\n");
  std::ostringstream out, err;
  EXPECT_EQ(client::RunHashKeyCommand(in, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), Sha256Hex("sk-secret") + "\n");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("sk-secret")));

  std::istringstream crlf("sk-secret\r\n");
  std::ostringstream out2;
  EXPECT_EQ(client::RunHashKeyCommand(crlf, out2, err), 0);
  EXPECT_EQ(out2.str(), out.str());
}

TEST(HashKeyTest, RefusesAnEmptyOrInvalidKey) {
  for (const char* input : {"", "\n", "two words\n", "tab\there\n"}) {
    std::istringstream in(input);
    std::ostringstream out, err;
    EXPECT_EQ(client::RunHashKeyCommand(in, out, err), 2) << input;
    EXPECT_TRUE(out.str().empty());
    EXPECT_THAT(err.str(), HasSubstr("ptc hash-key: "));
  }
}

}  // namespace
}  // namespace ptc
