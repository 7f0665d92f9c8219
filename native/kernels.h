// The kernel table: one instance per instruction set (AVX-512, AVX2+FMA, SSE2), all built from the
// same source (kernels_impl.h) with different compiler flags; addon.cc picks one at run time.
// Pointers arrive already offset; lengths have been checked by the caller (addon.cc).
#pragma once
#include <cstdint>

namespace recur {

struct Kernels {
  const char* isa;
  void (*gemm)(int th, bool ta, bool tb, long m, long n, long k, float alpha, const float* A, long lda,
               const float* B, long ldb, float beta, float* C, long ldc);
  // Packed matrix-vector product (sampling): P holds W [n×k] in this instruction set's panel layout.
  long (*packedFloats)(long n, long k);
  void (*packMatvec)(int th, long n, long k, const float* W, long ldw, float* P);
  void (*matvecPacked)(int th, long n, long k, float alpha, const float* P, const float* x, float beta, float* y);
  void (*addRowVector)(int th, float* C, long rows, long cols, long ldc, const float* bias);
  void (*sumRows)(int th, const float* src, long rows, long cols, long lds, float* dst);
  void (*gatherRows)(int th, const float* table, long dim, const int32_t* ids, long n, float* dst, long ldd, float beta);
  void (*scatterAddRows)(int th, const float* src, long lds, const int32_t* ids, long n, float* table, long dim);
  void (*gatherCols)(int th, const float* W, long rows, long cols, const int32_t* ids, long n, float* dst, long ldd, float beta);
  void (*scatterAddCols)(int th, const float* src, long lds, const int32_t* ids, long n, float* W, long rows, long cols);

  void (*elmanForward)(int th, int act, long B, long H, const float* pre, const float* hPrev, float* h, const float* mask);
  void (*elmanBackward)(int th, int act, long B, long H, const float* h, const float* dh, float* dpre, float* dhPrev,
                        const float* mask);
  void (*lstmForward)(int th, long B, long H, float* gates, const float* cPrev, float* c, const float* hPrev, float* h,
                      const float* mask);
  void (*lstmBackward)(int th, long B, long H, const float* gates, const float* cPrev, const float* c, const float* dh,
                       const float* dc, float* dgates, float* dcPrev, float* dhPrev, const float* mask);
  void (*gruForward)(int th, long B, long H, const float* xg, const float* hg, const float* hPrev, float* h, float* cache,
                     const float* mask);
  void (*gruBackward)(int th, long B, long H, const float* hPrev, const float* cache, const float* dh, float* dxg,
                      float* dhg, float* dhPrev, const float* mask);

  void (*softmax)(int th, long rows, long cols, const float* x, float* out, float temperature);
  void (*softmaxBackward)(int th, long rows, long cols, const float* p, const float* dp, float* dx, bool accumulate);
  double (*softmaxCrossEntropy)(int th, long rows, long cols, const float* logits, const int32_t* targets, float* dlogits,
                                float scale);
  double (*squaredError)(int th, long n, const float* pred, const float* target, const float* weight, float* dpred,
                         float scale);

  void (*fill)(int th, float* x, long n, float value);
  void (*copy)(int th, long n, const float* src, float* dst);
  void (*axpy)(int th, long n, float a, const float* x, float* y);
  void (*scale)(int th, long n, float a, float* x);
  void (*mul)(int th, long n, const float* x, const float* m, float* out);
  double (*sumSquares)(int th, long n, const float* x);
  void (*clampAbs)(int th, long n, float* x, float t);

  void (*sgdStep)(int th, long n, float* p, const float* g, float* v, float lr, float momentum, bool nesterov,
                  float weightDecay, bool first);
  void (*adagradStep)(int th, long n, float* p, const float* g, float* s, float lr, float eps, float weightDecay);
  void (*rmspropStep)(int th, long n, float* p, const float* g, float* s, float lr, float alpha, float eps,
                      float weightDecay);
  void (*adamStep)(int th, long n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2,
                   float eps, float weightDecay, bool decoupled, double step);
};

const Kernels* kernels_avx512();
const Kernels* kernels_avx2();
const Kernels* kernels_sse();

}  // namespace recur
