// The edge of every gRPC port (transport/auth.h, transport/tls.h, learner/rollout_endpoint.h): callers without
// the run's token are refused before their requests are read, a token names its actor and no other, per-client
// state is bounded, oversized messages are refused, and TLS channels trust the run's CA and nothing else.
// References: RFC 4231's HMAC-SHA256 test vector, and the openssl command line for the certificates.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/run_secret.h"
#include "learner/rollout_endpoint.h"
#include "proto/rollout.grpc.pb.h"
#include "proto/weights.grpc.pb.h"
#include "scratch.h"
#include "test_credentials.h"
#include "transport/rollout_client.h"
#include "transport/rollout_server.h"
#include "transport/tls.h"
#include "transport/weight_client.h"
#include "transport/weight_server.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;
namespace rv1 = ascent::rollout::v1;

TEST(RunSecret, TokensAreRfc4231HmacSha256) {
  // RFC 4231, test case 1: key = 20 bytes of 0x0b, data = "Hi There".
  EXPECT_EQ(token_derive(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_NE(actor_token(kTestSecret, "actor-0"), actor_token(kTestSecret, "actor-1"));
  EXPECT_TRUE(token_equal("abc", "abc"));
  EXPECT_FALSE(token_equal("abc", "abd"));
  EXPECT_FALSE(token_equal("abc", "abcd"));
}

TEST(RunSecret, MadeOnceWithMode0600AndRefusedWhenOthersCanRead) {
  unsetenv(kRunSecretEnv);
  const std::string dir = scratch_dir("transport_security", "run_secret");
  EXPECT_EQ(run_secret_get(dir, /*create=*/false).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::string> s = run_secret_get(dir, /*create=*/true);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(run_secret_check(*s, "test").ok());
  struct stat st {};
  ASSERT_EQ(stat((fs::path(dir) / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(run_secret_get(dir, true).value_or(""), *s);  // kept, not made again
  chmod((fs::path(dir) / "secret").c_str(), 0644);
  absl::Status readable = run_secret_get(dir, false).status();
  EXPECT_EQ(readable.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(readable.message().find("chmod 600"), std::string::npos) << readable;
  setenv(kRunSecretEnv, kTestSecret, 1);  // the scheduler's secret wins over the file
  EXPECT_EQ(run_secret_get(dir, false).value_or(""), kTestSecret);
  setenv(kRunSecretEnv, "short", 1);
  EXPECT_EQ(run_secret_get(dir, false).status().code(), absl::StatusCode::kInvalidArgument);
  unsetenv(kRunSecretEnv);
}

// A learner's rollout port over a real endpoint and its leases, and raw stubs to call it as anyone.
class RolloutPort : public ::testing::Test {
 protected:
  RolloutPort()
      : leases_(4, 2, 5,
                [this]() -> absl::StatusOr<PromptRecord> {
                  return PromptRecord{absl::StrCat("p", next_), absl::StrCat("question ", next_++), "1", "{}",
                                      ""};
                }),
        endpoint_(EndpointConfig{}, &leases_),
        inbox_(64) {
    ServerSecurity s = auth_.security();
    s.max_receive_bytes = 1 << 20;
    server_ = std::make_unique<RolloutServer>(&inbox_, &endpoint_, "127.0.0.1:0", s);
    address_ = absl::StrCat("127.0.0.1:", server_->port());
    stub_ = rv1::RolloutService::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  // A call's context with the given credentials (token "" = none at all).
  static void as(grpc::ClientContext* ctx, const std::string& name, const std::string& token) {
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    if (!name.empty()) ctx->AddMetadata("x-ascent-actor", name);
  }
  grpc::StatusCode register_as(const std::string& name, const std::string& token, const std::string& claimed,
                               const std::string& incarnation) {
    grpc::ClientContext ctx;
    as(&ctx, name, token);
    rv1::RegisterRequest req;
    req.set_actor_name(claimed);
    req.set_incarnation(incarnation);
    rv1::RegisterResponse resp;
    return stub_->Register(&ctx, req, &resp).error_code();
  }
  grpc::StatusCode stream_as(const std::string& name, const std::string& incarnation,
                             int64_t completions = 1) {
    grpc::ClientContext ctx;
    as(&ctx, name, actor_token(kTestSecret, name));
    auto stream = stub_->Stream(&ctx);
    rv1::Group g;
    g.set_incarnation(incarnation);
    g.set_seq(0);
    for (int64_t i = 0; i < completions; ++i) g.add_completions()->add_tokens(1);
    stream->Write(g);
    stream->WritesDone();
    for (rv1::Ack ack; stream->Read(&ack);) {
    }
    return stream->Finish().error_code();
  }

  int64_t next_ = 0;
  PromptLeases leases_;
  RolloutEndpoint endpoint_;
  GroupInbox inbox_;
  TestAuth auth_;
  std::unique_ptr<RolloutServer> server_;
  std::string address_;
  std::unique_ptr<rv1::RolloutService::Stub> stub_;
};

TEST_F(RolloutPort, CallersWithoutTheRunsTokenAreRefusedAndCounted) {
  EXPECT_EQ(register_as("", "", "actor-0", "actor-0-i0"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(register_as("actor-0", "", "actor-0", "actor-0-i0"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(register_as("actor-0", std::string(64, 'a'), "actor-0", "actor-0-i0"),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(register_as("actor-0", actor_token(kTestSecret, "actor-1"), "actor-0", "actor-0-i0"),
            grpc::StatusCode::UNAUTHENTICATED);  // another actor's token under this name
  {
    grpc::ClientContext ctx;  // a heartbeat, a lease request and a stream without a token
    rv1::Heartbeat hb;
    rv1::HeartbeatAck ack;
    EXPECT_EQ(stub_->SendHeartbeat(&ctx, hb, &ack).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext ctx2;
    rv1::PromptsRequest pr;
    rv1::PromptsReply reply;
    EXPECT_EQ(stub_->GetPrompts(&ctx2, pr, &reply).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext ctx3;
    auto stream = stub_->Stream(&ctx3);
    rv1::Group g;
    g.set_incarnation("forged");
    g.add_completions()->set_reward(1.0);
    stream->Write(g);
    stream->WritesDone();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  rv1::Group g;
  EXPECT_FALSE(inbox_.take(&g, 100)) << "a forged group reached the inbox";
  EXPECT_EQ(auth_.auth.refused(), 7);
  std::vector<std::string> lines = auth_.auth.take_refusals();
  ASSERT_EQ(lines.size(), 1u);  // one peer
  EXPECT_NE(lines[0].find("7 calls from ipv4:127.0.0.1"), std::string::npos) << lines[0];
  EXPECT_TRUE(auth_.auth.take_refusals().empty());
  // The port still serves the run's actors.
  EXPECT_EQ(register_as("actor-0", actor_token(kTestSecret, "actor-0"), "actor-0", "actor-0-i0"),
            grpc::StatusCode::OK);
}

TEST_F(RolloutPort, ATokenNamesItsActorAndNoOther) {
  const std::string t0 = actor_token(kTestSecret, "actor-0"), t1 = actor_token(kTestSecret, "actor-1");
  ASSERT_EQ(register_as("actor-0", t0, "actor-0", "actor-0-1"), grpc::StatusCode::OK);
  // actor-1 cannot register under actor-0's name (the rogue that evicted actor-0 80 times in 20 s).
  EXPECT_EQ(register_as("actor-1", t1, "actor-0", "actor-1-rogue"), grpc::StatusCode::PERMISSION_DENIED);
  // nor take over actor-0's incarnation, heartbeat for it, lease prompts with it or stream its groups.
  EXPECT_EQ(register_as("actor-1", t1, "actor-1", "actor-0-1"), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(endpoint_
                .on_heartbeat("actor-1",
                              [] {
                                rv1::Heartbeat hb;
                                hb.set_incarnation("actor-0-1");
                                return hb;
                              }())
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  rv1::PromptsRequest pr;
  pr.set_incarnation("actor-0-1");
  pr.set_max(1);
  EXPECT_EQ(endpoint_.on_prompts("actor-1", pr).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(stream_as("actor-1", "actor-0-1"), grpc::StatusCode::PERMISSION_DENIED);
  rv1::Group g;
  EXPECT_FALSE(inbox_.take(&g, 100));
  std::vector<ActorView> actors = endpoint_.actors();
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_EQ(actors[0].incarnation, "actor-0-1");
  EXPECT_FALSE(actors[0].lost);
  // Its own groups go through.
  EXPECT_EQ(stream_as("actor-0", "actor-0-1"), grpc::StatusCode::OK);
  EXPECT_TRUE(inbox_.take(&g, 1000));
}

TEST_F(RolloutPort, PerClientStateAndMetricNamesAreBounded) {
  const std::string t0 = actor_token(kTestSecret, "actor-0");
  // 2000 restarts of one name keep two incarnations: the live one and the one lost last.
  for (int i = 0; i < 2000; ++i)
    ASSERT_EQ(register_as("actor-0", t0, "actor-0", absl::StrCat("actor-0-", i)), grpc::StatusCode::OK);
  std::vector<ActorView> actors = endpoint_.actors();
  ASSERT_EQ(actors.size(), 2u);
  EXPECT_EQ(endpoint_.actors_lost(), 1999);
  // A heartbeat cannot add metric names (20k made-up keys were 20k new metrics on every line).
  rv1::Heartbeat hb;
  hb.set_incarnation("actor-0-1999");
  (*hb.mutable_seconds())["decode"] = 1;
  EXPECT_TRUE(endpoint_.on_heartbeat("actor-0", hb).ok());
  for (int i = 0; i < 20000; ++i) (*hb.mutable_seconds())[absl::StrCat("k", i)] = 1;
  absl::Status st = endpoint_.on_heartbeat("actor-0", hb).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  for (const ActorView& a : endpoint_.actors()) EXPECT_LE(a.seconds.size(), 6u);
}

TEST_F(RolloutPort, AtMost4096ActorNames) {
  rv1::RegisterRequest req;
  for (size_t i = 0; i < RolloutEndpoint::kMaxActorNames; ++i) {
    const std::string name = absl::StrCat("n", i);
    req.set_actor_name(name);
    req.set_incarnation(name + "-1");
    ASSERT_TRUE(endpoint_.on_register(name, req).ok()) << i;
  }
  req.set_actor_name("one-too-many");
  req.set_incarnation("one-too-many-1");
  EXPECT_EQ(endpoint_.on_register("one-too-many", req).status().code(), absl::StatusCode::kResourceExhausted);
  req.set_actor_name("n7");  // a known name restarts as before
  req.set_incarnation("n7-2");
  EXPECT_TRUE(endpoint_.on_register("n7", req).ok());
}

TEST_F(RolloutPort, AMessageOverTheLimitIsRefusedAndThePortGoesOn) {
  const std::string t0 = actor_token(kTestSecret, "actor-0");
  ASSERT_EQ(register_as("actor-0", t0, "actor-0", "actor-0-big"), grpc::StatusCode::OK);
  // 300k completions of one token: over the 1 MiB this port takes.
  EXPECT_EQ(stream_as("actor-0", "actor-0-big", 300000), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(stream_as("actor-0", "actor-0-big", 1), grpc::StatusCode::OK);
  rv1::Group g;
  EXPECT_TRUE(inbox_.take(&g, 1000));
  EXPECT_EQ(g.completions_size(), 1);
}

TEST(WeightPort, RefusesCallersWithoutATokenAndServesTheRunsActors) {
  WeightPublisher pub(1024, WireDType::kF32);
  std::vector<float> w(1000, 0.5f);
  pub.publish(3, w.data(), static_cast<int64_t>(w.size()));
  TestAuth auth;
  WeightServer server(&pub, "127.0.0.1:0", auth.security());
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  ClientCredentials wrong = test_credentials("actor-0");
  wrong.token = actor_token(kTestSecret, "actor-1");
  EXPECT_EQ(WeightClient(address, wrong).manifest().status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(WeightClient(address, ClientCredentials{}).bucket(3, 0).status().code(),
            absl::StatusCode::kUnauthenticated);
  absl::StatusOr<WeightManifest> m = WeightClient(address, test_credentials("actor-0")).manifest();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version, 3);
  EXPECT_EQ(auth.auth.refused(), 2);
}

int run(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

TEST(RunCa, OpensslVerifiesTheServerCertificateForTheRunsHosts) {
  const std::string dir = scratch_dir("transport_security", "run_ca");
  absl::StatusOr<TlsFiles> f = tls_make_run_ca(dir + "/tls", {"10.200.0.1", "learner-0.ascent"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(run("openssl verify -CAfile " + f->ca + " " + f->cert), 0);
  EXPECT_EQ(run("openssl verify -CAfile " + f->ca + " -verify_ip 10.200.0.1 " + f->cert), 0);
  EXPECT_EQ(run("openssl verify -CAfile " + f->ca + " -verify_hostname learner-0.ascent " + f->cert), 0);
  EXPECT_EQ(run("openssl verify -CAfile " + f->ca + " -verify_ip 127.0.0.1 " + f->cert), 0);
  EXPECT_EQ(run("openssl verify -CAfile " + f->ca + " -verify_hostname ascent-learner " + f->cert), 0);
  EXPECT_NE(run("openssl verify -CAfile " + f->ca + " -verify_ip 10.200.0.9 " + f->cert), 0);
  EXPECT_NE(run("openssl verify -CAfile " + f->cert + " " + f->cert), 0);  // not a CA of its own
  struct stat st {};
  ASSERT_EQ(stat(f->key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Made again for the same hosts: the same files (actors holding the CA keep trusting the learner).
  std::ifstream before(f->ca);
  std::string ca_text((std::istreambuf_iterator<char>(before)), {});
  ASSERT_TRUE(tls_make_run_ca(dir + "/tls", {"10.200.0.1"}).ok());
  std::ifstream after(f->ca);
  EXPECT_EQ(ca_text, std::string((std::istreambuf_iterator<char>(after)), {}));
}

TEST(RunCa, ATlsPortServesClientsThatTrustItsCaAndNoOthers) {
  const std::string dir = scratch_dir("transport_security", "run_ca_port");
  absl::StatusOr<TlsFiles> f = tls_make_run_ca(dir + "/a", {});
  absl::StatusOr<TlsFiles> other = tls_make_run_ca(dir + "/b", {});
  ASSERT_TRUE(f.ok() && other.ok());
  PromptLeases leases(4, 2, 5,
                      []() -> absl::StatusOr<PromptRecord> { return absl::OutOfRangeError("none"); });
  RolloutEndpoint endpoint(EndpointConfig{}, &leases);
  GroupInbox inbox(4);
  TestAuth auth;
  ServerSecurity s = auth.security();
  s.tls = *f;
  RolloutServer server(&inbox, &endpoint, "127.0.0.1:0", s);
  ASSERT_GT(server.port(), 0) << server.error();
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  ClientCredentials c = test_credentials("actor-0");
  c.tls_ca = f->ca;
  EXPECT_TRUE(LearnerClient(address, c).register_actor("actor-0", "actor-0-i1", 10).ok());
  // A per-run CA's actors check the name ascent-learner whatever host they dial (transport/tls.h).
  c.tls_server_name = kRunCaServerName;
  EXPECT_TRUE(LearnerClient(address, c).register_actor("actor-0", "actor-0-i5", 10).ok());
  c.tls_server_name = "another-learner";
  EXPECT_FALSE(LearnerClient(address, c).register_actor("actor-0", "actor-0-i6", 3).ok());
  c.tls_server_name.clear();
  c.tls_ca = other->ca;  // a CA that did not sign the learner's certificate
  EXPECT_FALSE(LearnerClient(address, c).register_actor("actor-0", "actor-0-i2", 3).ok());
  c.tls_ca = "";  // plaintext against a TLS port
  EXPECT_FALSE(LearnerClient(address, c).register_actor("actor-0", "actor-0-i3", 3).ok());
  c.tls_ca = dir + "/missing.pem";
  absl::Status missing = LearnerClient(address, c).register_actor("actor-0", "actor-0-i4", 3).status();
  EXPECT_NE(missing.message().find("missing.pem"), std::string::npos) << missing;
  // Registered: i1, then i5 (taking over i1, which stays as the name's lost entry); nothing else got in.
  std::set<std::string> live, lost;
  for (const ActorView& a : endpoint.actors()) (a.lost ? lost : live).insert(a.incarnation);
  EXPECT_EQ(live, std::set<std::string>{"actor-0-i5"});
  EXPECT_EQ(lost, std::set<std::string>{"actor-0-i1"});
}

}  // namespace
}  // namespace ascent
