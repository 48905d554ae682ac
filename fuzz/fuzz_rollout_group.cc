// The learner's edge (learner/rollout_proto.h): any bytes as a Group (what RolloutService receives) and as a
// TrainBatch (what rank 0 broadcasts). A group that passes rollout_group_validate must convert; one that
// fails is refused; nothing crashes.
#include "fuzz/fuzz_input.h"
#include "google/protobuf/stubs/logging.h"
#include "learner/rollout_proto.h"
#include "proto/rollout.pb.h"

// Protobuf logs every string field with invalid UTF-8 it refuses to parse: silence, not a finding.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ascent::rollout::v1::Group g;
  if (g.ParseFromArray(data, static_cast<int>(size))) {
    ascent::GroupLimits lim;
    lim.vocab_size = 1000, lim.max_completions = 16, lim.max_sequence_tokens = 4096, lim.max_version = 50;
    if (ascent::rollout_group_validate(g, lim).ok()) {
      int64_t dropped = 0;
      (void)ascent::prompt_group_from_proto(g, &dropped);
    }
  }
  ascent::rollout::v1::TrainBatch tb;
  if (tb.ParseFromArray(data, static_cast<int>(size))) (void)ascent::train_batch_from_proto(tb);
  return 0;
}
