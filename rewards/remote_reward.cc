#include "rewards/remote_reward.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/line_process.h"
#include "core/run_secret.h"
#include "core/utf8.h"
#include "proto/reward.grpc.pb.h"

namespace ascent {

namespace rv1 = ascent::reward::v1;

struct RemoteReward::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rv1::RewardService::Stub> stub;
  std::optional<LineProcess> server;  // when ascent started it
  absl::Status error;                 // the channel could not be made (tls_ca)
  void connect(const std::string& address, const std::string& tls_ca) {
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (!tls_ca.empty()) {
      std::ifstream f(tls_ca);
      std::stringstream pem;
      pem << f.rdbuf();
      if (!f || pem.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        error = absl::FailedPreconditionError(absl::StrCat("reward server ", address, ": tls_ca ", tls_ca,
                                                           " is not a readable PEM certificate"));
        return;
      }
      grpc::SslCredentialsOptions o;
      o.pem_root_certs = pem.str();
      creds = grpc::SslCredentials(o);
    }
    channel = grpc::CreateChannel(address, creds);
    stub = rv1::RewardService::NewStub(channel);
  }
};

RemoteReward::RemoteReward(RemoteOptions opt) : impl_(std::make_unique<Impl>()), opt_(std::move(opt)) {
  if (opt_.token.empty() && opt_.command.empty()) {
    const char* t = std::getenv(opt_.token_env.c_str());
    opt_.token = t == nullptr ? "" : t;
  } else if (opt_.token.empty()) {
    opt_.token = run_secret_make().value_or("");  // a started server's own
  }
  if (opt_.command.empty()) impl_->connect(opt_.address, opt_.tls_ca);
}

RemoteReward::~RemoteReward() = default;

absl::Status RemoteReward::start() {
  if (opt_.command.empty() || (impl_->server && impl_->server->alive())) return absl::OkStatus();
  const std::string what = absl::StrCat("reward server `", absl::StrJoin(opt_.command, " "), "`");
  std::error_code ec;
  if (!opt_.command_dir.empty() && !std::filesystem::is_directory(opt_.command_dir, ec)) {
    return absl::NotFoundError(absl::StrCat(what, ": its directory ", opt_.command_dir, " does not exist"));
  }
  // The variable asks the example servers to exit when their stdin (our pipe) closes.
  absl::StatusOr<LineProcess> p =
      LineProcess::start(opt_.command, opt_.command_dir,
                         // its own token; not the run's secret nor an actor's token (user code, model output)
                         {"ASCENT_REWARD_SERVER_PIPE=1", "ASCENT_REWARD_TOKEN=" + opt_.token,
                          "ASCENT_RUN_SECRET", "ASCENT_TOKEN"});
  if (!p.ok()) return absl::Status(p.status().code(), absl::StrCat(what, ": ", p.status().message()));
  absl::StatusOr<std::string> line = p->read_line(opt_.start_timeout_s);
  if (!line.ok()) {
    return absl::Status(
        line.status().code(),
        absl::StrCat(what, " did not print \"listening on PORT\": ", line.status().message()));
  }
  int port = 0;
  if (std::sscanf(line->c_str(), "listening on %d", &port) != 1 || port <= 0 || port > 65535) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": its first line must be \"listening on PORT\", got \"", *line, "\""));
  }
  opt_.address = absl::StrCat("127.0.0.1:", port);
  impl_->server = std::move(*p);
  impl_->connect(opt_.address, "");
  return absl::OkStatus();
}

absl::Status RemoteReward::ensure_server() {
  if (!impl_->error.ok()) return impl_->error;
  if (opt_.token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("reward server ", opt_.address, ": no token: set ",
                                                      opt_.token_env,
                                                      " to the token it checks (docs/security.md)"));
  }
  if (opt_.command.empty() || (impl_->server && impl_->server->alive())) return absl::OkStatus();
  if (impl_->server) {  // it ran and exited
    if (stats_.restarts >= opt_.max_restarts) {
      return absl::UnavailableError(absl::StrCat(
          "reward server exited ", stats_.restarts + 1, " times, last with ", impl_->server->exit_text(),
          " (max_restarts ", opt_.max_restarts, "): not started again"));
    }
    ++stats_.restarts;
    std::fprintf(stderr, "[reward] server `%s` exited (%s); starting it again (%lld of %d)\n",
                 absl::StrJoin(opt_.command, " ").c_str(), impl_->server->exit_text().c_str(),
                 static_cast<long long>(stats_.restarts), opt_.max_restarts);
  }
  return start();
}

namespace {

grpc::Status call(rv1::RewardService::Stub* stub, const std::string& token,
                  const std::vector<RewardInput>& items, size_t b, size_t e, double timeout_s,
                  rv1::ScoreResponse* resp) {
  rv1::ScoreRequest req;
  for (size_t k = b; k < e; ++k) {
    // Protobuf strings must be valid UTF-8 (a server's parser refuses the message otherwise), and a sampled
    // completion need not be: invalid bytes go as U+FFFD, as a tokenizer's lossy decode shows them.
    rv1::RewardItem* it = req.add_items();
    it->set_prompt(utf8_lossy(items[k].prompt));
    it->set_completion(utf8_lossy(items[k].completion));
    it->set_answer(utf8_lossy(items[k].answer));
    it->set_metadata_json(utf8_lossy(items[k].metadata_json));
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6)));
  grpc::Status st = stub->Score(&ctx, req, resp);
  if (st.ok() && resp->results_size() != static_cast<int>(e - b)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, absl::StrCat("server returned ", resp->results_size(),
                                                                  " results for ", e - b, " items"));
  }
  return st;
}

ComponentResult from_result(const rv1::ItemResult& r) {
  ComponentResult c{r.ok(), r.reward(), r.reason()};
  if (c.ok && !std::isfinite(c.value)) {
    c.ok = false;
    c.reason = std::isnan(c.value) ? "server returned NaN" : "server returned an infinite reward";
    c.value = 0;
  }
  if (!c.ok && c.reason.empty()) c.reason = "server could not score this item";
  return c;
}

std::string status_text(const grpc::Status& st) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  const int code = static_cast<int>(st.error_code());
  return absl::StrCat("reward server: ", code >= 0 && code <= 16 ? kNames[code] : "?", ": ",
                      st.error_message());
}

}  // namespace

std::vector<ComponentResult> RemoteReward::score(const std::vector<RewardInput>& items) {
  std::vector<ComponentResult> out(items.size());
  for (size_t b = 0; b < items.size(); b += static_cast<size_t>(opt_.max_batch)) {
    const size_t e = std::min(items.size(), b + static_cast<size_t>(opt_.max_batch));
    if (absl::Status up = ensure_server(); !up.ok()) {
      for (size_t k = b; k < e; ++k) out[k] = {false, 0, std::string(up.message())};
      stats_.errors += static_cast<int64_t>(e - b);
      continue;
    }
    rv1::ScoreResponse resp;
    grpc::Status st = call(impl_->stub.get(), opt_.token, items, b, e, opt_.batch_timeout_s, &resp);
    if (st.ok()) {
      for (size_t k = b; k < e; ++k) out[k] = from_result(resp.results(static_cast<int>(k - b)));
    } else {
      // One by one: only the items that fail again lose their reward.
      ++stats_.batch_failures;
      // A started server that died gets a fresh one for its items (it may take a moment to be reaped);
      // if it cannot start, the items carry that reason.
      for (int i = 0; st.error_code() == grpc::StatusCode::UNAVAILABLE && i < 20 && impl_->server &&
                      impl_->server->alive();
           ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      const absl::Status up = ensure_server();
      for (size_t k = b; k < e; ++k) {
        if (!up.ok()) {
          out[k] = {false, 0, std::string(up.message())};
          continue;
        }
        grpc::Status ist;
        for (int attempt = 0; attempt <= opt_.retries; ++attempt) {
          rv1::ScoreResponse one;
          ist = call(impl_->stub.get(), opt_.token, items, k, k + 1, opt_.item_timeout_s, &one);
          if (ist.ok()) {
            out[k] = from_result(one.results(0));
            break;
          }
        }
        if (!ist.ok()) out[k] = {false, 0, status_text(ist)};
      }
    }
    for (size_t k = b; k < e; ++k) (out[k].ok ? stats_.scored : stats_.errors) += 1;
  }
  return out;
}

}  // namespace ascent
