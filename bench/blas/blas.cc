// OpenBLAS, loaded on demand for benchmarks only (bench/native-gemm.ts compares recur's gemm with it).
//
// recur does not link OpenBLAS: its own kernels won the measurements (see native/kernels_impl.h), and
// not depending on it keeps the install free of a system library. OPENBLAS_CORETYPE must be in the
// environment before load() (the library reads it when it is loaded).
//
//   load() -> core name, or null when libopenblas is not installed
//   sgemm(threads, transA, transB, m, n, k, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc)
#include <dlfcn.h>
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace {

typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
sgemm_t g_sgemm = nullptr;
void (*g_threads)(int) = nullptr;
char* (*g_core)() = nullptr;

napi_value Load(napi_env env, napi_callback_info) {
  if (!g_sgemm) {
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"}) {
      void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (!h) continue;
      g_sgemm = (sgemm_t)dlsym(h, "cblas_sgemm");
      g_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
      g_core = (char* (*)())dlsym(h, "openblas_get_corename");
      if (g_sgemm) break;
    }
  }
  napi_value r;
  if (!g_sgemm) napi_get_null(env, &r);
  else napi_create_string_utf8(env, g_core ? g_core() : "unknown", NAPI_AUTO_LENGTH, &r);
  return r;
}

double Num(napi_env env, napi_value v) {
  double d = NAN;
  napi_get_value_double(env, v, &d);
  return d;
}

bool Bool(napi_env env, napi_value v) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) b = Num(env, v) != 0;
  return b;
}

// The matrix [rows×cols] (leading dimension ld) at element offset off of a Float32Array, or null when it does not fit.
float* Mat(napi_env env, napi_value v, double off, long rows, long cols, long ld) {
  napi_typedarray_type type;
  size_t len;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array) return nullptr;
  if (!(off >= 0 && off == std::floor(off)) || ld < cols) return nullptr;
  if (rows > 0 && cols > 0 && (long)off + (rows - 1) * ld + cols > (long)len) return nullptr;
  return static_cast<float*>(data) + (long)off;
}

napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 17;
  napi_value a[17];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc < 17 || !g_sgemm) {
    napi_throw_error(env, nullptr, "blas sgemm: OpenBLAS is not loaded, or too few arguments");
    return nullptr;
  }
  int threads = (int)Num(env, a[0]);
  bool ta = Bool(env, a[1]), tb = Bool(env, a[2]);
  long m = (long)Num(env, a[3]), n = (long)Num(env, a[4]), k = (long)Num(env, a[5]);
  float alpha = (float)Num(env, a[6]), beta = (float)Num(env, a[13]);
  long lda = (long)Num(env, a[9]), ldb = (long)Num(env, a[12]), ldc = (long)Num(env, a[16]);
  const float* A = ta ? Mat(env, a[7], Num(env, a[8]), k, m, lda) : Mat(env, a[7], Num(env, a[8]), m, k, lda);
  const float* B = tb ? Mat(env, a[10], Num(env, a[11]), n, k, ldb) : Mat(env, a[10], Num(env, a[11]), k, n, ldb);
  float* C = Mat(env, a[14], Num(env, a[15]), m, n, ldc);
  if (!A || !B || !C || m < 0 || n < 0 || k < 0) {
    napi_throw_range_error(env, nullptr, "blas sgemm: an operand does not fit its Float32Array");
    return nullptr;
  }
  if (g_threads) g_threads(threads);
  g_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, (int)m, (int)n, (int)k, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value load, sgemm;
  napi_create_function(env, "load", NAPI_AUTO_LENGTH, Load, nullptr, &load);
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, Sgemm, nullptr, &sgemm);
  napi_set_named_property(env, exports, "load", load);
  napi_set_named_property(env, exports, "sgemm", sgemm);
  return exports;
}
