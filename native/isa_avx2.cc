// Kernels compiled for avx2 (flags in binding.gyp).
#define RECUR_ISA_NS isa_avx2
#define RECUR_ISA_NAME "avx2"
#include "kernels_impl.h"

namespace recur {
const Kernels* kernels_avx2() { return &isa_avx2::table; }
}  // namespace recur
