// The kernel table: one instance per instruction set (AVX-512, AVX2+FMA, SSE2), all built from the
// same source (kernels_impl.h) with different compiler flags; addon.cc picks one at run time.
// Pointers arrive already offset; lengths have been checked by the caller (addon.cc). The members
// for the table's kernels are generated (kernels.generated.h); packed matvec is the addon's own.
#pragma once
#include <cstdint>

namespace recur {

struct Kernels {
  const char* isa;
  // Packed matrix-vector product (sampling): P holds W [n×k] in this instruction set's panel layout.
  long (*packedFloats)(long n, long k);
  void (*packMatvec)(int th, long n, long k, const float* W, long ldw, float* P);
  void (*matvecPacked)(int th, long n, long k, float alpha, const float* P, const float* x, float beta, float* y);
  // The table's kernels (src/kernels/table.ts), in its order.
#include "kernels.generated.h"
};

const Kernels* kernels_avx512();
const Kernels* kernels_avx2();
const Kernels* kernels_sse();

}  // namespace recur
