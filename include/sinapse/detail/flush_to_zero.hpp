#pragma once

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace sinapse {
namespace detail {

/// Turns on flush-to-zero for the calling thread while it exists: a float or double
/// result that would be subnormal (below about 1.2e-38 or 2.2e-308 in magnitude) becomes
/// 0. x86 processors compute subnormal results in a slow microcode assist. Subnormal
/// inputs are left as they are. On processors without SSE it does nothing.
class ScopedFlushToZero {
 public:
#if defined(__SSE__) || defined(_M_X64)
  ScopedFlushToZero() : previous_(_MM_GET_FLUSH_ZERO_MODE()) {
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  }
  ~ScopedFlushToZero() { _MM_SET_FLUSH_ZERO_MODE(previous_); }

 private:
  unsigned int previous_;
#else
  ScopedFlushToZero() = default;
#endif

 public:
  ScopedFlushToZero(const ScopedFlushToZero&) = delete;
  ScopedFlushToZero& operator=(const ScopedFlushToZero&) = delete;
};

}  // namespace detail
}  // namespace sinapse
