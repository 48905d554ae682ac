// CRC-32 (ISO-HDLC, the polynomial of zlib, gzip and PNG: the values zlib's crc32() gives) over bytes, through
// libdeflate's carry-less-multiply implementation (PCLMULQDQ/AVX), ~10x zlib 1.2's table-driven one on the
// weights and checkpoint files it guards. `crc` continues a previous value (0 to start).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ascent {

uint32_t crc32_update(uint32_t crc, const void* data, size_t bytes);

}  // namespace ascent
