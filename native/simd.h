// The vector type of one instruction set, chosen by the flags of the translation unit that includes
// this header: 16 floats with AVX-512, 8 with AVX2+FMA, 4 with SSE2. Arithmetic is written with GCC
// vector extensions (so one source serves all three); the few operations they lack (masked
// loads/stores for row tails, sqrt) use intrinsics.
//
// Only include this from a translation unit compiled for one ISA, and keep everything it defines
// inside that unit's namespace: an inline function shared between units built with different flags
// could be merged by the linker into the AVX-512 copy and then run on a CPU without AVX-512.
#pragma once
#include <immintrin.h>

#include <cstdint>

#if defined(__AVX512F__)
#define RECUR_VW 16
#elif defined(__AVX2__)
#define RECUR_VW 8
#else
#define RECUR_VW 4
#endif

constexpr int VW = RECUR_VW;
typedef float vf __attribute__((vector_size(VW * 4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));
// Unaligned variants for loads and stores at arbitrary float offsets.
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4), may_alias));

static inline vf load(const float* p) { return *reinterpret_cast<const vfu*>(p); }
static inline void store(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

// Loads lanes [0, n) and zeros the rest; stores lanes [0, n) only (0 <= n <= VW). Never touches
// memory past p + n, so row tails need no padding.
#if RECUR_VW == 16
static inline vf splat(float s) { return (vf)_mm512_set1_ps(s); }
static inline vf loadn(const float* p, int n) {
  return (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}
static inline void storen(float* p, vf v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v); }
static inline vf vsqrt(vf v) { return (vf)_mm512_sqrt_ps((__m512)v); }
#elif RECUR_VW == 8
static inline vf splat(float s) { return (vf)_mm256_set1_ps(s); }
static inline __m256i tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf loadn(const float* p, int n) { return (vf)_mm256_maskload_ps(p, tail_mask(n)); }
static inline void storen(float* p, vf v, int n) { _mm256_maskstore_ps(p, tail_mask(n), (__m256)v); }
static inline vf vsqrt(vf v) { return (vf)_mm256_sqrt_ps((__m256)v); }
#else
static inline vf splat(float s) { return (vf)_mm_set1_ps(s); }
static inline vf loadn(const float* p, int n) {
  vf v = {};
  for (int i = 0; i < n; i++) v[i] = p[i];
  return v;
}
static inline void storen(float* p, vf v, int n) {
  for (int i = 0; i < n; i++) p[i] = v[i];
}
static inline vf vsqrt(vf v) { return (vf)_mm_sqrt_ps((__m128)v); }
#endif

static inline vf vmin(vf a, vf b) { return a < b ? a : b; }
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }
// Horizontal sum and max by a fixed halving tree (the same order on every call).
#if RECUR_VW == 16
// (GCC 12's _mm512_reduce_* warn about their own uninitialised temporaries; plain shuffles do not.)
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
static inline v4f quarter_fold(vf v, bool max) {
  v8f a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
  v8f b = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  v8f c = max ? (a > b ? a : b) : a + b;
  v4f x = __builtin_shufflevector(c, c, 0, 1, 2, 3), y = __builtin_shufflevector(c, c, 4, 5, 6, 7);
  return max ? (x > y ? x : y) : x + y;
}
static inline float hsum(vf v) {
  __m128 x = (__m128)quarter_fold(v, false);
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}
static inline float hmax(vf v) {
  __m128 x = (__m128)quarter_fold(v, true);
  x = _mm_max_ps(x, _mm_movehl_ps(x, x));
  x = _mm_max_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}
#else
// A 256-bit vector's two 128-bit halves combined by op; a 128-bit vector is already one.
template <class Op>
static inline __m128 fold_halves(vf v, Op op) {
#if RECUR_VW == 8
  return op(_mm256_castps256_ps128((__m256)v), _mm256_extractf128_ps((__m256)v, 1));
#else
  (void)op;
  return (__m128)v;
#endif
}
static inline __m128 half_sum(vf v) { return fold_halves(v, [](__m128 a, __m128 b) { return _mm_add_ps(a, b); }); }
static inline __m128 half_max(vf v) { return fold_halves(v, [](__m128 a, __m128 b) { return _mm_max_ps(a, b); }); }
static inline float hsum(vf v) {
  __m128 x = half_sum(v);
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}
static inline float hmax(vf v) {
  __m128 x = half_max(v);
  x = _mm_max_ps(x, _mm_movehl_ps(x, x));
  x = _mm_max_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}
#endif

// exp(x), Cephes single-precision polynomial after reduction by ln 2 (about 1 ulp). Inputs below
// −87.3 give 0 and above 88 are clamped (the callers never need larger values).
static inline vf vexp(vf x) {
  vi under = x < splat(-87.33654f);
  x = vmin(x, splat(88.0f));
  x = vmax(x, splat(-87.33654f));
  // n = round(x / ln 2) by the add-magic trick (round-to-nearest, |x/ln2| < 2^22).
  vf n = (x * splat(1.44269504088896341f) + splat(12582912.f)) - splat(12582912.f);
  vf r = x - n * splat(0.693359375f);
  r = r - n * splat(-2.12194440e-4f);
  vf p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * (r * r) + r + splat(1.0f);
  vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  vf y = p * (vf)e;
  return under ? vf{} : y;
}

static inline vf vsigmoid(vf x) { return splat(1.0f) / (splat(1.0f) + vexp(-x)); }

// tanh: the Cephes odd polynomial near 0 (where 1 − 2/(e^{2x}+1) would cancel), the exponential
// form elsewhere.
static inline vf vtanh(vf x) {
  vf ax = vmax(x, -x);
  vf z = x * x;
  vf p = splat(-5.70498872745e-3f);
  p = p * z + splat(2.06390887954e-2f);
  p = p * z + splat(-5.37397155531e-2f);
  p = p * z + splat(1.33314422036e-1f);
  p = p * z + splat(-3.33332819422e-1f);
  vf small = p * z * x + x;
  vf big = splat(1.0f) - splat(2.0f) / (vexp(ax + ax) + splat(1.0f));
  big = x < splat(0.0f) ? -big : big;
  return ax < splat(0.625f) ? small : big;
}
