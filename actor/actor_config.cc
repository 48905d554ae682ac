#include "actor/actor_config.h"

#include "absl/strings/str_cat.h"

namespace ascent {

absl::StatusOr<ActorConfig> actor_config_make(const GenerationConfig& g, int64_t group_size, int64_t max_lag,
                                              const Model& m, TextCodec* codec) {
  auto decode = decode_settings_make(g, m, codec);
  if (!decode.ok()) return decode.status();
  if (decode->slots < group_size) {
    return absl::InvalidArgumentError(absl::StrCat("generation.slots (", decode->slots,
                                                   ") must be >= algorithm.group_size (", group_size, ")"));
  }
  ActorConfig c;
  c.decode = std::move(*decode);
  c.group_size = group_size;
  c.max_lag = max_lag;
  return c;
}

}  // namespace ascent
