// Kernels compiled for sse (flags in binding.gyp).
#define RECUR_ISA_NS isa_sse
#define RECUR_ISA_NAME "sse"
#include "kernels_impl.h"

namespace recur {
const Kernels* kernels_sse() { return &isa_sse::table; }
}  // namespace recur
