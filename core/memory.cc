#include "core/memory.h"

#include <malloc.h>

namespace ascent {

void memory_keep_freed_pages() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // serve blocks below 1 GiB from the heap, not fresh mmaps
  mallopt(M_TRIM_THRESHOLD, -1);       // never hand the heap's free top back to the kernel
}

}  // namespace ascent
