// Which sanitizers this translation unit is built with (-DASCENT_SANITIZE, -DASCENT_FUZZ: docs/testing.md):
// ASCENT_ASAN is defined under AddressSanitizer (gcc's __SANITIZE_ADDRESS__, clang's __has_feature).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define ASCENT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASCENT_ASAN 1
#endif
#endif
