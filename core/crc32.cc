#include "core/crc32.h"

#include <libdeflate.h>

namespace ascent {

uint32_t crc32_update(uint32_t crc, const void* data, size_t bytes) {
  return libdeflate_crc32(crc, data, bytes);
}

}  // namespace ascent
