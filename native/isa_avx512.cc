// Kernels compiled for avx512 (flags in binding.gyp).
#define RECUR_ISA_NS isa_avx512
#define RECUR_ISA_NAME "avx512"
#include "kernels_impl.h"

namespace recur {
const Kernels* kernels_avx512() { return &isa_avx512::table; }
}  // namespace recur
