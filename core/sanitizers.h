// Which sanitizers this translation unit is built with (-DASCENT_SANITIZE, -DASCENT_FUZZ: docs/testing.md):
// ASCENT_ASAN under AddressSanitizer, ASCENT_TSAN under ThreadSanitizer (gcc's __SANITIZE_ADDRESS__ and
// __SANITIZE_THREAD__, clang's __has_feature), and ASCENT_SANITIZED under either: both reserve terabytes of
// address space and catch SIGSEGV themselves, and both slow the code several times.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define ASCENT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASCENT_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define ASCENT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ASCENT_TSAN 1
#endif
#endif

#if defined(ASCENT_ASAN) || defined(ASCENT_TSAN)
#define ASCENT_SANITIZED 1
#endif
