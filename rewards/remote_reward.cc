#include "rewards/remote_reward.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "proto/reward.grpc.pb.h"

namespace ascent {

namespace rv1 = ascent::reward::v1;

struct RemoteReward::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rv1::RewardService::Stub> stub;
};

RemoteReward::RemoteReward(RemoteOptions opt) : impl_(std::make_unique<Impl>()), opt_(std::move(opt)) {
  impl_->channel = grpc::CreateChannel(opt_.address, grpc::InsecureChannelCredentials());
  impl_->stub = rv1::RewardService::NewStub(impl_->channel);
}

RemoteReward::~RemoteReward() = default;

namespace {

grpc::Status call(rv1::RewardService::Stub* stub, const std::vector<RewardInput>& items, size_t b, size_t e,
                  double timeout_s, rv1::ScoreResponse* resp) {
  rv1::ScoreRequest req;
  for (size_t k = b; k < e; ++k) {
    rv1::RewardItem* it = req.add_items();
    it->set_prompt(items[k].prompt);
    it->set_completion(items[k].completion);
    it->set_answer(items[k].answer);
    it->set_metadata_json(items[k].metadata_json);
  }
  grpc::ClientContext ctx;
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
    rv1::ScoreResponse resp;
    grpc::Status st = call(impl_->stub.get(), items, b, e, opt_.batch_timeout_s, &resp);
    if (st.ok()) {
      for (size_t k = b; k < e; ++k) out[k] = from_result(resp.results(static_cast<int>(k - b)));
    } else {
      // One by one: only the items that fail again lose their reward.
      ++stats_.batch_failures;
      for (size_t k = b; k < e; ++k) {
        grpc::Status ist;
        for (int attempt = 0; attempt <= opt_.retries; ++attempt) {
          rv1::ScoreResponse one;
          ist = call(impl_->stub.get(), items, k, k + 1, opt_.item_timeout_s, &one);
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
