// lossfn — configuration and error reporting.
#pragma once

#include <string>

#ifndef LOSSFN_NO_EXCEPTIONS
#if !defined(__cpp_exceptions) && !defined(__EXCEPTIONS) && !defined(_CPPUNWIND)
#define LOSSFN_NO_EXCEPTIONS
#endif
#endif

#ifndef LOSSFN_NO_EXCEPTIONS
#include <stdexcept>
#else
#include <cstdio>
#include <cstdlib>
#endif

/// On the drivers' SIMD loops: inline every call they make (the loss's
/// evaluate, the packet math, the driver's own lambdas) whatever the
/// compiler's inlining budget: in a large translation unit g++ may
/// otherwise call the per-packet step out of line, which doubles a cheap
/// loss's time. Only in optimized builds (__OPTIMIZE__): at -O0 (debug,
/// sanitizer and fuzz builds) inlining buys nothing, and flattening every
/// loss into every driver loop only makes those builds bigger and slower
/// to compile. (The arithmetic is the same: at -O0 neither compiler
/// contracts across the statements that inlining would bring together.)
#if (defined(__GNUC__) || defined(__clang__)) && defined(__OPTIMIZE__)
#define LOSSFN_FLATTEN __attribute__((flatten))
#else
#define LOSSFN_FLATTEN
#endif

/// A cold path that a flattened loop calls rather than inlines (flatten
/// leaves noinline functions out of line): the loop keeps one copy of its
/// hot code per unrolled step instead of one copy of both paths.
#if defined(__GNUC__) || defined(__clang__)
#define LOSSFN_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define LOSSFN_NOINLINE __declspec(noinline)
#else
#define LOSSFN_NOINLINE
#endif

/// g++ 12's AVX-512 intrinsics write _mm512_undefined_ps/pd() as `__Y = __Y`
/// (avx512fintrin.h; its headers were fixed in GCC 13), and each use that
/// inlines into lossfn's packet code (a widening, an extract, Eigen's pmax)
/// warns -Wmaybe-uninitialized or -Wuninitialized in the consumer's -Wall
/// build: 366 warnings in one translation unit calling three losses with
/// -march=native on AVX-512. Every lossfn header turns those two off around
/// its own code, and only there (g++ < 13 with AVX-512; no other compiler,
/// instruction set or warning).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13 && defined(__AVX512F__)
#define LOSSFN_WARNINGS_OFF                                                                  \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define LOSSFN_WARNINGS_ON _Pragma("GCC diagnostic pop")
#else
#define LOSSFN_WARNINGS_OFF
#define LOSSFN_WARNINGS_ON
#endif

namespace lossfn {

#ifndef LOSSFN_NO_EXCEPTIONS
/// Thrown for every bad argument: wrong shapes, labels out of range, bad
/// weights, options out of range. Derived from std::invalid_argument; what()
/// names the loss, the argument, the position and the bad value.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
#endif

namespace detail {

/// Reports a bad argument. With exceptions: throws lossfn::invalid_argument.
/// Without (-fno-exceptions): prints the message to stderr and aborts.
/// Define LOSSFN_THROW(message) before including lossfn to route errors
/// elsewhere (it must not return).
#ifndef LOSSFN_THROW
#ifndef LOSSFN_NO_EXCEPTIONS
#define LOSSFN_THROW(message) throw ::lossfn::invalid_argument(message)
#else
#define LOSSFN_THROW(message)                                                 \
  do {                                                                        \
    std::fprintf(stderr, "lossfn error: %s\n", std::string(message).c_str()); \
    std::abort();                                                             \
  } while (false)
#endif
#endif

[[noreturn]] inline void fail(const std::string& message) {
  LOSSFN_THROW(message);
#if defined(__GNUC__) || defined(__clang__)
  __builtin_unreachable();
#endif
}

}  // namespace detail
}  // namespace lossfn
