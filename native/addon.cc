// Node-API entry points: argument unpacking, bounds checks and dispatch to the kernel table of the
// selected instruction set. Those of the table's kernels are generated (addon_kernels.generated.h, from
// src/kernels/table.ts); the argument helpers they use (Call) and the packed matvec are written here. The JS side (src/node/native.ts) passes the Backend interface's
// arguments unchanged, preceded by one integer cfg = isa·256 + threads.
//
// Every buffer is checked against the extent the kernel will touch (offsets, leading dimensions,
// ids), so a wrong argument is a RangeError in JS, never a write outside a typed array.
#include <sys/mman.h>
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "kernels.h"
#include "pool.h"

namespace {

using recur::Kernels;

const Kernels* g_isa[3] = {nullptr, nullptr, nullptr};  // avx512, avx2, sse (null: CPU lacks it)

void detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    g_isa[0] = recur::kernels_avx512();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) g_isa[1] = recur::kernels_avx2();
  g_isa[2] = recur::kernels_sse();  // SSE2 is part of x86-64
}

struct F32 {
  float* p;
  int64_t len;
};
struct I32 {
  const int32_t* p;
  int64_t len;
};

// One call's arguments. Helpers record the first error and throw it once; callers check `ok()`
// before running the kernel.
struct Call {
  napi_env env;
  const char* name;
  napi_value argv[24];
  size_t argc = 24;
  bool failed = false;
  const Kernels* k = nullptr;
  int th = 1;
  int isa = -1;

  Call(napi_env e, napi_callback_info info, const char* n, size_t expected) : env(e), name(n) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < expected) {
      fail("expected %d arguments", (int)expected);
      return;
    }
    int cfg = (int)integer(0);
    isa = cfg >> 8;
    th = cfg & 255;
    if (th < 1) th = 1;
    if (isa < 0 || isa > 2 || !g_isa[isa]) fail("instruction set %d not available", isa);
    else k = g_isa[isa];
  }

  template <class... A>
  void fail(const char* fmt, A... a) {
    if (failed) return;
    failed = true;
    char msg[200], full[256];
    snprintf(msg, sizeof msg, fmt, a...);
    snprintf(full, sizeof full, "native %s: %s", name, msg);
    napi_throw_range_error(env, nullptr, full);
  }
  bool ok() const { return !failed; }

  double num(int i) {
    double v = 0;
    if (!failed && napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument %d must be a number", i);
    return v;
  }
  int64_t integer(int i) {
    double v = num(i);
    if (!failed && !(v == std::floor(v) && std::fabs(v) < 9007199254740992.0)) fail("argument %d must be an integer", i);
    return failed ? 0 : (int64_t)v;
  }
  int64_t count(int i) {
    int64_t v = integer(i);
    if (!failed && v < 0) fail("argument %d must not be negative", i);
    return v;
  }
  bool boolean(int i) {
    bool b = false;
    if (failed) return false;
    if (napi_get_value_bool(env, argv[i], &b) == napi_ok) return b;
    return num(i) != 0;
  }
  bool isNull(int i) {
    napi_valuetype t;
    return napi_typeof(env, argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined);
  }
  F32 f32(int i, bool nullable = false) {
    F32 r{nullptr, 0};
    if (failed || (nullable && isNull(i))) return r;
    r.p = static_cast<float*>(typed(i, napi_float32_array, "a Float32Array (the native backend is float32 only)", &r.len));
    return r;
  }
  I32 i32(int i) {
    I32 r{nullptr, 0};
    if (failed) return r;
    r.p = static_cast<const int32_t*>(typed(i, napi_int32_array, "an Int32Array", &r.len));
    return r;
  }
  // The data and length of argument i, which must be a typed array of `want`'s type (null and a failure if not).
  void* typed(int i, napi_typedarray_type want, const char* what, int64_t* len) {
    napi_typedarray_type type;
    size_t length;
    void* data;
    if (napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
      fail("argument %d must be %s", i, what);
      return nullptr;
    }
    *len = (int64_t)length;
    return data;
  }

  // A [rows×cols] matrix with leading dimension ld at element offset off must lie inside b.
  float* mat(const F32& b, int64_t off, int64_t rows, int64_t cols, int64_t ld, const char* what) {
    if (failed) return nullptr;
    if (rows == 0 || cols == 0) return b.p ? b.p + (off >= 0 && off <= b.len ? off : 0) : nullptr;
    if (!b.p) {
      fail("%s is null", what);
      return nullptr;
    }
    if (off < 0 || (rows > 1 && ld < cols)) {
      fail("%s: bad offset %lld or leading dimension %lld < %lld", what, (long long)off, (long long)ld, (long long)cols);
      return nullptr;
    }
    __int128 end = (__int128)off + (__int128)(rows - 1) * ld + cols;
    if (end > b.len) {
      fail("%s: needs %lld elements, the buffer has %lld", what, (long long)end, (long long)b.len);
      return nullptr;
    }
    return b.p + off;
  }
  float* vec(const F32& b, int64_t off, int64_t n, const char* what) { return mat(b, off, 1, n, n, what); }
  const int32_t* ids(const I32& b, int64_t off, int64_t n, const char* what) {
    if (failed) return nullptr;
    if (off < 0 || off + n > b.len) {
      fail("%s: needs %lld ids from offset %lld, the array has %lld", what, (long long)n, (long long)off, (long long)b.len);
      return nullptr;
    }
    return b.p + off;
  }
  // Every id < limit (negative ids mean "none" and are allowed).
  void idsBelow(const int32_t* p, int64_t n, int64_t limit, const char* what) {
    if (failed) return;
    for (int64_t i = 0; i < n; i++)
      if (p[i] >= limit) {
        fail("%s: id %d at %lld is out of range (< %lld)", what, p[i], (long long)i, (long long)limit);
        return;
      }
  }

  napi_value undefined() { return nullptr; }
  napi_value number(double v) {
    napi_value r;
    napi_create_double(env, v, &r);
    return r;
  }
};

#define FN(name) napi_value name(napi_env env, napi_callback_info info)

// ---- packed weights (sampling): memory the addon owns, handed to JS as an external whose finalizer
// frees it. Large copies get 2 MB-aligned memory advised as huge pages: a matrix-vector product
// streams the whole copy every character, and with 4 KB pages the hardware prefetchers stop at
// every page boundary (a 1 MB product in a C harness here: 7.1 and 8.5 µs with huge pages, 9.7 and
// 8.9 µs without, in two sessions: a small gain, within this VM's drift the second time).
struct PackedMatrix {
  static constexpr uint32_t kMagic = 0x7265636bu;
  uint32_t magic = kMagic;
  int isa = -1;
  int64_t n = 0, k = 0;
  size_t bytes = 0;
  float* p = nullptr;
};

void FreePacked(napi_env env, void* data, void*) {
  auto* m = static_cast<PackedMatrix*>(data);
  if (m->bytes) napi_adjust_external_memory(env, -(int64_t)m->bytes, nullptr);
  std::free(m->p);
  m->magic = 0;
  delete m;
}

bool AllocPacked(PackedMatrix* m, size_t bytes) {
  constexpr size_t kHuge = 2u << 20;
  size_t align = bytes >= kHuge / 2 ? kHuge : 64;
  size_t size = (bytes + align - 1) / align * align;
  void* q = std::aligned_alloc(align, size);
  if (!q) return false;
#ifdef MADV_HUGEPAGE
  if (align == kHuge) madvise(q, size, MADV_HUGEPAGE);
#endif
  std::free(m->p);
  m->p = static_cast<float*>(q);
  m->bytes = size;
  return true;
}

// packMatvec(cfg, n, k, W, wOff, ldw, into) -> external: W [n×k] packed for matvecPacked, reusing
// `into` (an earlier result) when it is not null.
FN(PackMatvec) {
  Call c(env, info, "packMatvec", 7);
  int64_t n = c.count(1), k = c.count(2), ldw = c.integer(5);
  const float* W = c.mat(c.f32(3), c.integer(4), n, k, ldw, "W");
  if (!c.ok()) return nullptr;
  PackedMatrix* m = nullptr;
  napi_value out = nullptr;
  if (!c.isNull(6)) {
    void* data = nullptr;
    if (napi_get_value_external(env, c.argv[6], &data) != napi_ok || !data ||
        static_cast<PackedMatrix*>(data)->magic != PackedMatrix::kMagic) {
      c.fail("argument 6 must be a packed matrix or null");
      return nullptr;
    }
    m = static_cast<PackedMatrix*>(data);
    out = c.argv[6];
  }
  size_t bytes = (size_t)c.k->packedFloats(n, k) * sizeof(float);
  bool fresh = m == nullptr;
  if (fresh) m = new PackedMatrix();
  if (fresh || m->bytes < bytes) {
    int64_t before = (int64_t)m->bytes;
    if (!AllocPacked(m, bytes)) {
      if (fresh) delete m;
      c.fail("out of memory for %lld floats", (long long)(bytes / sizeof(float)));
      return nullptr;
    }
    napi_adjust_external_memory(env, (int64_t)m->bytes - before, nullptr);
  }
  m->isa = c.isa;
  m->n = n;
  m->k = k;
  if (n && k) c.k->packMatvec(c.th, n, k, W, ldw, m->p);
  if (fresh && napi_create_external(env, m, FreePacked, nullptr, &out) != napi_ok) {
    FreePacked(env, m, nullptr);
    c.fail("cannot create the packed matrix");
    return nullptr;
  }
  return out;
}

// matvecPacked(cfg, P, alpha, x, xOff, beta, y, yOff): y[n] = alpha·W·x + beta·y.
FN(MatvecPacked) {
  Call c(env, info, "matvecPacked", 8);
  if (!c.ok()) return nullptr;
  void* data = nullptr;
  if (napi_get_value_external(env, c.argv[1], &data) != napi_ok || !data ||
      static_cast<PackedMatrix*>(data)->magic != PackedMatrix::kMagic) {
    c.fail("argument 1 must be a packed matrix");
    return nullptr;
  }
  auto* m = static_cast<PackedMatrix*>(data);
  if (m->isa != c.isa) c.fail("the matrix was packed for another instruction set");
  float alpha = (float)c.num(2), beta = (float)c.num(5);
  const float* x = c.vec(c.f32(3), c.integer(4), m->k, "x");
  float* y = c.vec(c.f32(6), c.integer(7), m->n, "y");
  if (c.ok() && m->n) c.k->matvecPacked(c.th, m->n, m->k, alpha, m->p, x, beta, y);
  return nullptr;
}

#include "addon_kernels.generated.h"

// ------------------------------------------------------------------------------- utilities

// Element offset at which a Float32Array over this ArrayBuffer starts on a 64-byte boundary.
FN(AlignOffset) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* data = nullptr;
  size_t len = 0;
  if (argc < 1 || napi_get_arraybuffer_info(env, argv[0], &data, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "native alignOffset: expected an ArrayBuffer");
    return nullptr;
  }
  uintptr_t a = reinterpret_cast<uintptr_t>(data);
  napi_value r;
  napi_create_uint32(env, (uint32_t)(((64 - (a & 63)) & 63) / 4), &r);
  return r;
}

// The instruction sets this CPU runs, best first.
FN(Isas) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  for (int i = 0; i < 3; i++)
    if (g_isa[i]) {
      napi_value s;
      napi_create_string_utf8(env, g_isa[i]->isa, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, arr, n++, s);
    }
  (void)info;
  return arr;
}

// {jobs, workerTasks}: parallel jobs run so far and the tasks the pool's workers took (tests use it
// to check that a parallel path really ran in parallel).
FN(PoolStats) {
  (void)info;
  recur::PoolStats s = recur::pool_stats();
  napi_value r, jobs, tasks;
  napi_create_object(env, &r);
  napi_create_double(env, (double)s.jobs, &jobs);
  napi_create_double(env, (double)s.workerTasks, &tasks);
  napi_set_named_property(env, r, "jobs", jobs);
  napi_set_named_property(env, r, "workerTasks", tasks);
  return r;
}

}  // namespace

NAPI_MODULE_INIT() {
  detect();
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {
      RECUR_TABLE_ENTRY_POINTS,
      {"packMatvec", PackMatvec}, {"matvecPacked", MatvecPacked},
      {"alignOffset", AlignOffset}, {"isas", Isas}, {"poolStats", PoolStats},
  };
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}
