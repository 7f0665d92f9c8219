// Every kernel of the Backend interface (src/kernels/backend.ts), written once over the vector type
// of simd.h and compiled three times (isa_avx512.cc, isa_avx2.cc, isa_sse.cc). Each including unit
// defines RECUR_ISA_NS and RECUR_ISA_NAME first; everything here lives in that namespace.
//
// Results never depend on the thread count: work is split into tasks along output rows or columns,
// and the arithmetic for one output element (its order of additions, which lanes, which tail path)
// depends only on the problem's shape. Row tails use masked loads and stores in the same vector code
// as full vectors, so an element computes the same value wherever a task boundary falls.
#include <atomic>
#include <cmath>
#include <cstring>
#include <utility>

#include "kernels.h"
#include "pool.h"
#include "simd.h"

namespace recur {
namespace RECUR_ISA_NS {
namespace {

inline long cdiv(long a, long b) { return (a + b - 1) / b; }
inline long lmin(long a, long b) { return a < b ? a : b; }
inline long lmax(long a, long b) { return a > b ? a : b; }

// Work below this many multiply-adds (GEMM) or elements (elementwise) stays on the calling thread:
// handing it to a worker costs more than it saves. (At 2^16, min-char-rnn's 25×83×100 products were
// split and W1 ran at 140k chars/s on two threads against 190k on one; at 2^18, 300k. An LSTM-256's
// 1024×256 matrix-vector product in sampling, 2^18, still splits.)
constexpr long kParGemm = 1L << 18;
constexpr long kParElems = 1L << 14;
// 1-D kernels split into chunks of this many elements (a multiple of every vector width).
constexpr long kChunk = 1L << 14;

inline int threads_for(int th, long work, long minWork) { return work < minWork ? 1 : th; }

// Runs f(lo, hi) over [0, n) in chunks of kChunk, in parallel when n is large.
template <class F>
void chunked(int th, long n, const F& f) {
  long tasks = cdiv(n, kChunk);
  parallel_for(threads_for(th, n, 2 * kChunk), tasks, [&](long t) { f(t * kChunk, lmin(n, (t + 1) * kChunk)); });
}

// Runs f(b) for each row b of a [B×H] block, in parallel when the block is large.
template <class F>
void rows(int th, long B, long H, long cost, const F& f) {
  int t = threads_for(th, B * H * cost, kParElems);
  if (t <= 1) {
    for (long b = 0; b < B; b++) f(b);
    return;
  }
  long tasks = lmin(B, 4L * t), per = cdiv(B, tasks);
  tasks = cdiv(B, per);
  parallel_for(t, tasks, [&](long k) {
    for (long b = k * per, e = lmin(B, (k + 1) * per); b < e; b++) f(b);
  });
}

// ==================================================================================== GEMM

#include "gemm_impl.h"

// ======================================================================= rows and columns

// Applies f(offset, lanes) over [0, n) in vectors, the last one partial.
template <class F>
inline void vec_loop(long n, const F& f) {
  long j = 0;
  for (; j + VW <= n; j += VW) f(j, VW);
  if (j < n) f(j, (int)(n - j));
}
inline vf ld(const float* p, int w) { return w == VW ? load(p) : loadn(p, w); }
inline void st(float* p, vf v, int w) {
  if (w == VW) store(p, v);
  else storen(p, v, w);
}

void addRowVector(int th, float* C, long rows_, long cols, long ldc, const float* bias) {
  rows(th, rows_, cols, 1, [&](long r) {
    float* c = C + r * ldc;
    vec_loop(cols, [&](long j, int w) { st(c + j, ld(c + j, w) + ld(bias + j, w), w); });
  });
}

// dst[j] += Σ_r src[r, j], rows added in order (as the reference does), 8 vectors of columns at a time.
void sumRows(int th, const float* src, long nrows, long cols, long lds, float* dst) {
  constexpr long W = 8 * VW;
  long tasks = cdiv(cols, W);
  parallel_for(threads_for(th, nrows * cols, kParElems), tasks, [&](long t) {
    long j0 = t * W, w = lmin(W, cols - j0);
    if (w == W) {
      vf acc[8];
      for (int v = 0; v < 8; v++) acc[v] = load(dst + j0 + v * VW);
      for (long r = 0; r < nrows; r++) {
        const float* s = src + r * lds + j0;
#pragma GCC unroll 8
        for (int v = 0; v < 8; v++) acc[v] += load(s + v * VW);
      }
      for (int v = 0; v < 8; v++) store(dst + j0 + v * VW, acc[v]);
    } else {
      vec_loop(w, [&](long j, int lanes) {
        vf a = ld(dst + j0 + j, lanes);
        for (long r = 0; r < nrows; r++) a += ld(src + r * lds + j0 + j, lanes);
        st(dst + j0 + j, a, lanes);
      });
    }
  });
}

void gatherRows(int th, const float* table, long dim, const int32_t* ids, long n, float* dst, long ldd, float beta) {
  rows(th, n, dim, 1, [&](long i) {
    float* d = dst + i * ldd;
    int32_t id = ids[i];
    vf vb = splat(beta);
    vec_loop(dim, [&](long j, int w) {
      vf prev = beta == 0 ? vf{} : vb * ld(d + j, w);
      st(d + j, id < 0 ? prev : prev + ld(table + (long)id * dim + j, w), w);
    });
  });
}

// table[ids[i], :] += src[i, :], rows in order; tasks own column ranges, so repeated ids never race.
void scatterAddRows(int th, const float* src, long lds, const int32_t* ids, long n, float* table, long dim) {
  constexpr long W = 16 * VW;
  long tasks = cdiv(dim, W);
  parallel_for(threads_for(th, n * dim, kParElems), tasks, [&](long t) {
    long j0 = t * W, j1 = lmin(dim, j0 + W);
    for (long i = 0; i < n; i++) {
      int32_t id = ids[i];
      if (id < 0) continue;
      const float* s = src + i * lds;
      float* d = table + (long)id * dim;
      vec_loop(j1 - j0, [&](long j, int w) { st(d + j0 + j, ld(d + j0 + j, w) + ld(s + j0 + j, w), w); });
    }
  });
}

// dst[i, r] = beta·dst[i, r] + W[r, ids[i]]: reading a column of W is a strided gather, so for many
// ids W is first transposed into scratch (one pass) and each id becomes a contiguous row.
void gatherCols(int th, const float* W, long nr, long cols, const int32_t* ids, long n, float* dst, long ldd,
                float beta) {
  if (n > 2 * cols) {
    float* WT = scratch(1, (size_t)(nr * cols));
    parallel_for(threads_for(th, nr * cols, 4 * kParElems), cdiv(cols, 16), [&](long t) {
      for (long c = t * 16, ce = lmin(cols, c + 16); c < ce; c++)
        for (long r = 0; r < nr; r++) WT[c * nr + r] = W[r * cols + c];
    });
    gatherRows(th, WT, nr, ids, n, dst, ldd, beta);
    return;
  }
  rows(th, n, nr, 2, [&](long i) {
    float* d = dst + i * ldd;
    int32_t id = ids[i];
    for (long r = 0; r < nr; r++) {
      float prev = beta == 0 ? 0.0f : beta * d[r];
      d[r] = id < 0 ? prev : prev + W[r * cols + id];
    }
  });
}

// W[:, ids[i]] += src[i, :]. Many ids: sum into a transposed scratch (contiguous rows), then add its
// transpose into W; otherwise add straight into W's columns. Tasks own ranges of W's rows.
void scatterAddCols(int th, const float* src, long lds, const int32_t* ids, long n, float* W, long nr, long cols) {
  int t = threads_for(th, n * nr, kParElems);
  // One range of W's rows per thread, in whole vectors: each source row is then read in long
  // contiguous runs (it is a large buffer that streams from memory).
  long per = cdiv(cdiv(nr, t), VW) * VW, tasks = cdiv(nr, per);
  if (n > 2 * cols) {
    float* WT = scratch(1, (size_t)(nr * cols));
    parallel_for(t, tasks, [&](long task) {
      long r0 = task * per, r1 = lmin(nr, r0 + per), w = r1 - r0;
      for (long c = 0; c < cols; c++) std::memset(WT + c * nr + r0, 0, w * sizeof(float));
      for (long i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0) continue;
        const float* s = src + i * lds + r0;
        float* d = WT + (long)id * nr + r0;
        vec_loop(w, [&](long j, int lanes) { st(d + j, ld(d + j, lanes) + ld(s + j, lanes), lanes); });
      }
      for (long r = r0; r < r1; r++)
        for (long c = 0; c < cols; c++) W[r * cols + c] += WT[c * nr + r];
    });
    return;
  }
  parallel_for(t, tasks, [&](long task) {
    long r0 = task * per, r1 = lmin(nr, r0 + per);
    for (long i = 0; i < n; i++) {
      int32_t id = ids[i];
      if (id < 0) continue;
      const float* s = src + i * lds;
      for (long r = r0; r < r1; r++) W[r * cols + id] += s[r];
    }
  });
}

// ==================================================================== fused recurrent steps

inline bool held(const float* mask, long b) { return mask && mask[b] == 0; }

inline vf activate(int act, vf x) {
  switch (act) {
    case 0: return vtanh(x);
    case 1: return vsigmoid(x);
    case 2: return vmax(x, vf{});
    default: return x;
  }
}
inline vf activate_grad(int act, vf y) {
  switch (act) {
    case 0: return splat(1.0f) - y * y;
    case 1: return y * (splat(1.0f) - y);
    case 2: return y > vf{} ? splat(1.0f) : vf{};
    default: return splat(1.0f);
  }
}

void elmanForward(int th, int act, long B, long H, const float* pre, const float* hPrev, float* h, const float* mask) {
  rows(th, B, H, 2, [&](long b) {
    const float *p = pre + b * H, *q = hPrev + b * H;
    float* o = h + b * H;
    bool keep = held(mask, b);
    vec_loop(H, [&](long j, int w) { st(o + j, keep ? ld(q + j, w) : activate(act, ld(p + j, w)), w); });
  });
}

void elmanBackward(int th, int act, long B, long H, const float* h, const float* dh, float* dpre, float* dhPrev,
                   const float* mask) {
  rows(th, B, H, 1, [&](long b) {
    const float *y = h + b * H, *d = dh + b * H;
    float *p = dpre + b * H, *q = dhPrev + b * H;
    if (held(mask, b)) {
      vec_loop(H, [&](long j, int w) {
        st(p + j, vf{}, w);
        st(q + j, ld(q + j, w) + ld(d + j, w), w);
      });
      return;
    }
    vec_loop(H, [&](long j, int w) { st(p + j, activate_grad(act, ld(y + j, w)) * ld(d + j, w), w); });
  });
}

void lstmForward(int th, long B, long H, float* gates, const float* cPrev, float* c, const float* hPrev, float* h,
                 const float* mask) {
  rows(th, B, H, 8, [&](long b) {
    float* g = gates + b * 4 * H;
    const float *cp = cPrev + b * H, *hp = hPrev + b * H;
    float *co = c + b * H, *ho = h + b * H;
    bool keep = held(mask, b);
    vec_loop(H, [&](long j, int w) {
      vf i = vsigmoid(ld(g + j, w));
      vf f = vsigmoid(ld(g + H + j, w));
      vf gg = vtanh(ld(g + 2 * H + j, w));
      vf o = vsigmoid(ld(g + 3 * H + j, w));
      st(g + j, i, w);
      st(g + H + j, f, w);
      st(g + 2 * H + j, gg, w);
      st(g + 3 * H + j, o, w);
      if (keep) {
        st(co + j, ld(cp + j, w), w);
        st(ho + j, ld(hp + j, w), w);
      } else {
        vf cn = f * ld(cp + j, w) + i * gg;
        st(co + j, cn, w);
        st(ho + j, o * vtanh(cn), w);
      }
    });
  });
}

// A masked LSTM row's backward: the held state passes its gradients through (dh to dhPrev, dc to dcPrev).
inline void hold_lstm_row(long H, const float* d, const float* dco, float* dg, float* dcp, float* hp) {
  vec_loop(H, [&](long j, int w) {
    st(hp + j, ld(hp + j, w) + ld(d + j, w), w);
    st(dcp + j, ld(dco + j, w), w);
    for (int q = 0; q < 4; q++) st(dg + q * H + j, vf{}, w);
  });
}

void lstmBackward(int th, long B, long H, const float* gates, const float* cPrev, const float* c, const float* dh,
                  const float* dc, float* dgates, float* dcPrev, float* dhPrev, const float* mask) {
  rows(th, B, H, 4, [&](long b) {
    const float *g = gates + b * 4 * H, *cp = cPrev + b * H, *co = c + b * H, *d = dh + b * H, *dco = dc + b * H;
    float *dg = dgates + b * 4 * H, *dcp = dcPrev + b * H, *hp = dhPrev + b * H;
    if (held(mask, b)) return hold_lstm_row(H, d, dco, dg, dcp, hp);
    vf one = splat(1.0f);
    vec_loop(H, [&](long j, int w) {
      vf i = ld(g + j, w), f = ld(g + H + j, w), gg = ld(g + 2 * H + j, w), o = ld(g + 3 * H + j, w);
      vf tc = vtanh(ld(co + j, w));
      vf dhj = ld(d + j, w);
      vf dct = ld(dco + j, w) + dhj * o * (one - tc * tc);
      st(dg + j, dct * gg * i * (one - i), w);
      st(dg + H + j, dct * ld(cp + j, w) * f * (one - f), w);
      st(dg + 2 * H + j, dct * i * (one - gg * gg), w);
      st(dg + 3 * H + j, dhj * tc * o * (one - o), w);
      st(dcp + j, dct * f, w);
    });
  });
}

void gruForward(int th, long B, long H, const float* xg, const float* hg, const float* hPrev, float* h, float* cache,
                const float* mask) {
  rows(th, B, H, 6, [&](long b) {
    const float *x = xg + b * 3 * H, *hh = hg + b * 3 * H, *hp = hPrev + b * H;
    float *ho = h + b * H, *k = cache + b * 4 * H;
    bool keep = held(mask, b);
    vf one = splat(1.0f);
    vec_loop(H, [&](long j, int w) {
      vf r = vsigmoid(ld(x + j, w) + ld(hh + j, w));
      vf z = vsigmoid(ld(x + H + j, w) + ld(hh + H + j, w));
      vf hn = ld(hh + 2 * H + j, w);
      vf n = vtanh(ld(x + 2 * H + j, w) + r * hn);
      st(k + j, r, w);
      st(k + H + j, z, w);
      st(k + 2 * H + j, n, w);
      st(k + 3 * H + j, hn, w);
      vf p = ld(hp + j, w);
      st(ho + j, keep ? p : (one - z) * n + z * p, w);
    });
  });
}

void gruBackward(int th, long B, long H, const float* hPrev, const float* cache, const float* dh, float* dxg,
                 float* dhg, float* dhPrev, const float* mask) {
  rows(th, B, H, 3, [&](long b) {
    const float *hp = hPrev + b * H, *k = cache + b * 4 * H, *d = dh + b * H;
    float *x = dxg + b * 3 * H, *hh = dhg + b * 3 * H, *dp = dhPrev + b * H;
    if (held(mask, b)) {
      vec_loop(H, [&](long j, int w) {
        st(dp + j, ld(dp + j, w) + ld(d + j, w), w);
        for (int q = 0; q < 3; q++) {
          st(x + q * H + j, vf{}, w);
          st(hh + q * H + j, vf{}, w);
        }
      });
      return;
    }
    vf one = splat(1.0f);
    vec_loop(H, [&](long j, int w) {
      vf r = ld(k + j, w), z = ld(k + H + j, w), n = ld(k + 2 * H + j, w), hn = ld(k + 3 * H + j, w);
      vf g = ld(d + j, w);
      vf dn = g * (one - z) * (one - n * n);
      vf dz = g * (ld(hp + j, w) - n) * z * (one - z);
      vf dr = dn * hn * r * (one - r);
      st(x + j, dr, w);
      st(x + H + j, dz, w);
      st(x + 2 * H + j, dn, w);
      st(hh + j, dr, w);
      st(hh + H + j, dz, w);
      st(hh + 2 * H + j, dn * r, w);
      st(dp + j, ld(dp + j, w) + g * z, w);
    });
  });
}

// ========================================================================= heads and losses

// Lanes [w, VW) of v replaced by `pad` (so a partial vector does not disturb a max or a sum).
inline vf pad_tail(vf v, int w, float pad) {
  if (w == VW) return v;
  vi lane;
  for (int l = 0; l < VW; l++) lane[l] = l;
  return lane < w ? v : splat(pad);
}

inline float row_max(const float* x, long cols, float mul) {
  vf m = splat(-INFINITY);
  vec_loop(cols, [&](long j, int w) { m = vmax(m, pad_tail(ld(x + j, w) * splat(mul), w, -INFINITY)); });
  return hmax(m);
}

void softmax(int th, long nrows, long cols, const float* x, float* out, float temperature) {
  float inv = 1.0f / temperature;
  rows(th, nrows, cols, 4, [&](long r) {
    const float* xi = x + r * cols;
    float* oi = out + r * cols;
    float mx = row_max(xi, cols, inv);
    vf s = vf{};
    vec_loop(cols, [&](long j, int w) {
      vf e = pad_tail(vexp(ld(xi + j, w) * splat(inv) - splat(mx)), w, 0);
      st(oi + j, e, w);
      s += e;
    });
    vf is = splat(1.0f / hsum(s));
    vec_loop(cols, [&](long j, int w) { st(oi + j, ld(oi + j, w) * is, w); });
  });
}

void softmaxBackward(int th, long nrows, long cols, const float* p, const float* dp, float* dx, bool accumulate) {
  rows(th, nrows, cols, 2, [&](long r) {
    const float *pi = p + r * cols, *di = dp + r * cols;
    float* xi = dx + r * cols;
    vf dot = vf{};
    vec_loop(cols, [&](long j, int w) { dot += ld(pi + j, w) * ld(di + j, w); });
    vf d = splat(hsum(dot));
    vec_loop(cols, [&](long j, int w) {
      vf v = ld(pi + j, w) * (ld(di + j, w) - d);
      st(xi + j, accumulate ? ld(xi + j, w) + v : v, w);
    });
  });
}

double softmaxCrossEntropy(int th, long nrows, long cols, const float* logits, const int32_t* targets, float* dlogits,
                           float scale) {
  // Per-row losses go to scratch and are summed in row order, so the total is thread-independent.
  double* losses = reinterpret_cast<double*>(scratch(2, (size_t)(2 * nrows + 2)));
  rows(th, nrows, cols, 4, [&](long r) {
    const float* li = logits + r * cols;
    float* di = dlogits ? dlogits + r * cols : nullptr;
    int32_t t = targets[r];
    if (t < 0) {
      losses[r] = 0;
      if (di) std::memset(di, 0, cols * sizeof(float));
      return;
    }
    float mx = row_max(li, cols, 1.0f);
    vf s = vf{};
    // One exp per logit: kept in dlogits when wanted, then scaled by scale/Σ.
    vec_loop(cols, [&](long j, int w) {
      vf e = vexp(ld(li + j, w) - splat(mx));
      if (di) st(di + j, e, w);
      s += pad_tail(e, w, 0);
    });
    double sum = hsum(s);
    losses[r] = mx + std::log(sum) - li[t];
    if (di) {
      vf k = splat((float)(scale / sum));
      vec_loop(cols, [&](long j, int w) { st(di + j, ld(di + j, w) * k, w); });
      di[t] -= scale;
    }
  });
  double total = 0;
  for (long r = 0; r < nrows; r++) total += losses[r];
  return total;
}

double squaredError(int th, long n, const float* pred, const float* target, const float* weight, float* dpred,
                    float scale) {
  long tasks = cdiv(n, kChunk);
  double* part = reinterpret_cast<double*>(scratch(2, (size_t)(2 * tasks + 2)));
  parallel_for(threads_for(th, n, 2 * kChunk), tasks, [&](long t) {
    long lo = t * kChunk, hi = lmin(n, lo + kChunk);
    double s = 0;
    for (long i = lo; i < hi; i++) {
      float w = weight ? weight[i] : 1.0f;
      float e = w == 0 ? 0.0f : pred[i] - target[i];
      s += (double)e * e;
      if (dpred) dpred[i] = 2 * scale * e;
    }
    part[t] = s;
  });
  double total = 0;
  for (long t = 0; t < tasks; t++) total += part[t];
  return total;
}

// ============================================================================== vector ops

void fill(int th, float* x, long n, float value) {
  chunked(th, n, [&](long lo, long hi) {
    vf v = splat(value);
    vec_loop(hi - lo, [&](long j, int w) { st(x + lo + j, v, w); });
  });
}
void copy(int th, long n, const float* src, float* dst) {
  if (src == dst || n <= 0) return;
  // Overlapping ranges (never in practice) get memmove's exact semantics on one thread.
  if ((src < dst + n && dst < src + n)) {
    std::memmove(dst, src, n * sizeof(float));
    return;
  }
  chunked(th, n, [&](long lo, long hi) { std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(float)); });
}
void axpy(int th, long n, float a, const float* x, float* y) {
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) { st(y + lo + j, ld(y + lo + j, w) + splat(a) * ld(x + lo + j, w), w); });
  });
}
void scale(int th, long n, float a, float* x) {
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) { st(x + lo + j, ld(x + lo + j, w) * splat(a), w); });
  });
}
void mul(int th, long n, const float* x, const float* m, float* out) {
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) { st(out + lo + j, ld(x + lo + j, w) * ld(m + lo + j, w), w); });
  });
}

#if RECUR_VW >= 8
typedef double vd __attribute__((vector_size(VW * 4)));
typedef float vh __attribute__((vector_size(VW * 2)));
#endif

double sumSquares(int th, long n, const float* x) {
  long tasks = cdiv(n, kChunk);
  double* part = reinterpret_cast<double*>(scratch(2, (size_t)(2 * tasks + 2)));
  parallel_for(threads_for(th, n, 2 * kChunk), tasks, [&](long t) {
    long lo = t * kChunk, hi = lmin(n, lo + kChunk);
    double s = 0;
#if RECUR_VW >= 8
    // Squares in double lanes: float32 products of large gradients would lose the norm's low bits.
    vd acc = vd{};
    long i = lo;
    for (; i + VW <= hi; i += VW) {
      vf v = load(x + i);
      vd a = __builtin_convertvector(*reinterpret_cast<vh*>(&v), vd);
      vd b = __builtin_convertvector(*(reinterpret_cast<vh*>(&v) + 1), vd);
      acc += a * a + b * b;
    }
    for (int l = 0; l < VW / 2; l++) s += acc[l];
    for (; i < hi; i++) s += (double)x[i] * x[i];
#else
    for (long i = lo; i < hi; i++) s += (double)x[i] * x[i];
#endif
    part[t] = s;
  });
  double total = 0;
  for (long t = 0; t < tasks; t++) total += part[t];
  return total;
}

void clampAbs(int th, long n, float* x, float t) {
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) { st(x + lo + j, vmax(vmin(ld(x + lo + j, w), splat(t)), splat(-t)), w); });
  });
}

// ======================================================================== optimizer updates

void sgdStep(int th, long n, float* p, const float* g, float* v, float lr, float momentum, bool nesterov,
             float weightDecay, bool first) {
  bool useV = v && momentum != 0;
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) {
      long i = lo + j;
      vf pp = ld(p + i, w);
      vf d = ld(g + i, w) + splat(weightDecay) * pp;
      if (useV) {
        vf vi_ = first ? d : splat(momentum) * ld(v + i, w) + d;
        st(v + i, vi_, w);
        d = nesterov ? d + splat(momentum) * vi_ : vi_;
      }
      st(p + i, pp - splat(lr) * d, w);
    });
  });
}

void adagradStep(int th, long n, float* p, const float* g, float* s, float lr, float eps, float weightDecay) {
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) {
      long i = lo + j;
      vf pp = ld(p + i, w);
      vf d = ld(g + i, w) + splat(weightDecay) * pp;
      vf ss = ld(s + i, w) + d * d;
      st(s + i, ss, w);
      st(p + i, pp - splat(lr) * d / (vsqrt(ss) + splat(eps)), w);
    });
  });
}

void rmspropStep(int th, long n, float* p, const float* g, float* s, float lr, float alpha, float eps,
                 float weightDecay) {
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) {
      long i = lo + j;
      vf pp = ld(p + i, w);
      vf d = ld(g + i, w) + splat(weightDecay) * pp;
      vf ss = splat(alpha) * ld(s + i, w) + splat(1 - alpha) * d * d;
      st(s + i, ss, w);
      st(p + i, pp - splat(lr) * d / (vsqrt(ss) + splat(eps)), w);
    });
  });
}

// Adam / AdamW with the per-step factors computed once by the caller (src/train/optim.ts): l2 = wd for
// coupled decay, decay = 1 − lr·wd for decoupled (else 0 and 1, and those multiplies are skipped).
void adamStep(int th, long n, float* p, const float* g, float* m, float* v, float beta1, float beta2, float eps,
              float stepSize, float invSq, float decay, float l2) {
  bool coupled = l2 != 0, decoupled = decay != 1;
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) {
      long i = lo + j;
      vf pp = ld(p + i, w), d = ld(g + i, w);
      if (coupled) d = d + splat(l2) * pp;
      if (decoupled) pp = pp * splat(decay);
      vf mm = splat(beta1) * ld(m + i, w) + splat(1 - beta1) * d;
      vf vv = splat(beta2) * ld(v + i, w) + splat(1 - beta2) * d * d;
      st(m + i, mm, w);
      st(v + i, vv, w);
      st(p + i, pp - splat(stepSize) * mm / (vsqrt(vv) * splat(invSq) + splat(eps)), w);
    });
  });
}

// =============================================================================== attention
// Scores are [T×B×S], row (t, b) = t·B + b; q rows t·B + b, k rows s·B + b (nn/seq2seq/attention.ts).

void maskedSoftmax(int th, long T, long B, long S, const float* x, float* out, const int32_t* lengths) {
  rows(th, T * B, S, 4, [&](long r) {
    const float* xi = x + r * S;
    float* oi = out + r * S;
    long n = lmin(S, lmax(0, lengths[r % B]));
    float mx = row_max(xi, n, 1.0f);
    vf s = vf{};
    vec_loop(n, [&](long j, int w) {
      vf e = pad_tail(vexp(ld(xi + j, w) - splat(mx)), w, 0);
      st(oi + j, e, w);
      s += e;
    });
    vf is = splat(1.0f / hsum(s));
    vec_loop(n, [&](long j, int w) { st(oi + j, ld(oi + j, w) * is, w); });
    for (long j = n; j < S; j++) oi[j] = 0;
  });
}

void additiveScore(int th, long T, long B, long S, long A, const float* q, const float* k, const float* v, float* out) {
  rows(th, T * B, S * A, 4, [&](long r) {
    const float* qi = q + r * A;
    const float* kb = k + (r % B) * A;
    for (long s = 0; s < S; s++) {
      const float* ki = kb + s * B * A;
      vf acc = vf{};
      vec_loop(A, [&](long a, int w) { acc += pad_tail(ld(v + a, w) * vtanh(ld(qi + a, w) + ld(ki + a, w)), w, 0); });
      out[r * S + s] = hsum(acc);
    }
  });
}

// One task per batch row b: it alone writes dq[·, b] and dk[·, b]; dv is summed over b in order afterwards (in
// scratch), so the result does not depend on the thread count.
void additiveScoreBackward(int th, long T, long B, long S, long A, const float* q, const float* k, const float* v,
                           const float* dout, float* dq, float* dk, float* dv) {
  float* part = reinterpret_cast<float*>(scratch(3, (size_t)(B * A + 16)));
  std::memset(part, 0, B * A * sizeof(float));
  parallel_for(threads_for(th, T * S * A * B * 4, kParElems), B, [&](long b) {
    float* pv = part + b * A;
    for (long t = 0; t < T; t++) {
      long r = t * B + b;
      const float* qi = q + r * A;
      float* dqi = dq + r * A;
      for (long s = 0; s < S; s++) {
        const float* ki = k + (s * B + b) * A;
        float* dki = dk + (s * B + b) * A;
        vf d = splat(dout[r * S + s]);
        vec_loop(A, [&](long a, int w) {
          vf e = vtanh(ld(qi + a, w) + ld(ki + a, w));
          vf g = d * ld(v + a, w) * (splat(1.0f) - e * e);
          st(dqi + a, ld(dqi + a, w) + g, w);
          st(dki + a, ld(dki + a, w) + g, w);
          st(pv + a, ld(pv + a, w) + d * e, w);
        });
      }
    }
  });
  for (long b = 0; b < B; b++) vec_loop(A, [&](long a, int w) { st(dv + a, ld(dv + a, w) + ld(part + b * A + a, w), w); });
}

// ============================================================ GRU, reset gate before the recurrent product
// (Cho et al. 2014; ONNX linear_before_reset = 0): two kernels around W_hn (r ⊙ h), forward and backward.

void gruResetGates(int th, long B, long H, const float* xg, const float* hrz, const float* hPrev, float* cache, float* rh) {
  rows(th, B, H, 3, [&](long b) {
    float *k = cache + b * 3 * H, *o = rh + b * H;
    const float *x = xg + b * 3 * H, *hr = hrz + b * 2 * H, *hp = hPrev + b * H;
    vec_loop(H, [&](long j, int w) {
      vf r = vsigmoid(ld(x + j, w) + ld(hr + j, w));
      st(k + H + j, vsigmoid(ld(x + H + j, w) + ld(hr + H + j, w)), w);
      st(k + j, r, w);
      st(o + j, r * ld(hp + j, w), w);
    });
  });
}

void gruResetUpdate(int th, long B, long H, const float* xg, const float* hn, const float* hPrev, float* h, float* cache,
                    const float* mask) {
  rows(th, B, H, 3, [&](long b) {
    float *k = cache + b * 3 * H, *ho = h + b * H;
    const float *x = xg + b * 3 * H + 2 * H, *hh = hn + b * H, *hp = hPrev + b * H;
    bool keep = held(mask, b);
    vec_loop(H, [&](long j, int w) {
      vf n = vtanh(ld(x + j, w) + ld(hh + j, w)), z = ld(k + H + j, w), p = ld(hp + j, w);
      st(k + 2 * H + j, n, w);
      st(ho + j, keep ? p : (splat(1.0f) - z) * n + z * p, w);
    });
  });
}

void gruResetUpdateBackward(int th, long B, long H, const float* hPrev, const float* cache, const float* dh, float* dxg,
                            float* dhPrev, const float* mask) {
  rows(th, B, H, 2, [&](long b) {
    const float *hp = hPrev + b * H, *k = cache + b * 3 * H, *d = dh + b * H;
    float *x = dxg + b * 3 * H, *dp = dhPrev + b * H;
    if (held(mask, b)) {
      vec_loop(H, [&](long j, int w) {
        st(dp + j, ld(dp + j, w) + ld(d + j, w), w);
        for (int q = 0; q < 3; q++) st(x + q * H + j, vf{}, w);
      });
      return;
    }
    vf one = splat(1.0f);
    vec_loop(H, [&](long j, int w) {
      vf z = ld(k + H + j, w), n = ld(k + 2 * H + j, w), g = ld(d + j, w);
      st(x + H + j, g * (ld(hp + j, w) - n) * z * (one - z), w);
      st(x + 2 * H + j, g * (one - z) * (one - n * n), w);
      st(dp + j, ld(dp + j, w) + g * z, w);
    });
  });
}

void gruResetGatesBackward(int th, long B, long H, const float* hPrev, const float* cache, const float* drh, float* dxg,
                           float* dhPrev, const float* mask) {
  rows(th, B, H, 2, [&](long b) {
    const float *hp = hPrev + b * H, *k = cache + b * 3 * H, *d = drh + b * H;
    float *x = dxg + b * 3 * H, *dp = dhPrev + b * H;
    bool keep = held(mask, b);
    vf one = splat(1.0f);
    vec_loop(H, [&](long j, int w) {
      if (keep) { st(x + j, vf{}, w); return; }
      vf r = ld(k + j, w), g = ld(d + j, w);
      st(x + j, g * ld(hp + j, w) * r * (one - r), w);
      st(dp + j, ld(dp + j, w) + g * r, w);
    });
  });
}

// ============================================================ LSTM with peepholes (ONNX LSTM's input P)
// peep [3H] holds p_i, p_f, p_o: the gates i and f also read c_{t−1}, and o reads c_t.

void lstmPeepholeForward(int th, long B, long H, float* gates, const float* peep, const float* cPrev, float* c,
                         const float* hPrev, float* h, const float* mask) {
  rows(th, B, H, 8, [&](long b) {
    float *g = gates + b * 4 * H, *co = c + b * H, *ho = h + b * H;
    const float *cp = cPrev + b * H, *hp = hPrev + b * H;
    bool keep = held(mask, b);
    vec_loop(H, [&](long j, int w) {
      vf cPrevJ = ld(cp + j, w);
      vf i = vsigmoid(ld(g + j, w) + ld(peep + j, w) * cPrevJ);
      vf f = vsigmoid(ld(g + H + j, w) + ld(peep + H + j, w) * cPrevJ);
      vf gg = vtanh(ld(g + 2 * H + j, w));
      vf cn = f * cPrevJ + i * gg;
      vf o = vsigmoid(ld(g + 3 * H + j, w) + ld(peep + 2 * H + j, w) * cn);
      st(g + j, i, w), st(g + H + j, f, w), st(g + 2 * H + j, gg, w), st(g + 3 * H + j, o, w);
      st(ho + j, keep ? ld(hp + j, w) : o * vtanh(cn), w);
      st(co + j, keep ? cPrevJ : cn, w);
    });
  });
}

void lstmPeepholeBackward(int th, long B, long H, const float* gates, const float* peep, const float* cPrev,
                          const float* c, const float* dh, const float* dc, float* dgates, float* dcPrev, float* dhPrev,
                          const float* mask) {
  rows(th, B, H, 5, [&](long b) {
    const float *g = gates + b * 4 * H, *cp = cPrev + b * H, *co = c + b * H, *d = dh + b * H, *dco = dc + b * H;
    float *dg = dgates + b * 4 * H, *dcp = dcPrev + b * H;
    if (held(mask, b)) return hold_lstm_row(H, d, dco, dg, dcp, dhPrev + b * H);
    vf one = splat(1.0f);
    vec_loop(H, [&](long j, int w) {
      vf i = ld(g + j, w), f = ld(g + H + j, w), gg = ld(g + 2 * H + j, w), o = ld(g + 3 * H + j, w);
      vf tc = vtanh(ld(co + j, w)), dhj = ld(d + j, w);
      // o reads c_t through its peephole: c's total gradient gains do'·p_o besides h's and the future's
      vf dO = dhj * tc * o * (one - o);
      vf dct = ld(dco + j, w) + dhj * o * (one - tc * tc) + dO * ld(peep + 2 * H + j, w);
      vf dI = dct * gg * i * (one - i), dF = dct * ld(cp + j, w) * f * (one - f);
      st(dg + j, dI, w), st(dg + H + j, dF, w), st(dg + 2 * H + j, dct * i * (one - gg * gg), w), st(dg + 3 * H + j, dO, w);
      // c_{t−1} enters c_t through f and i, f through their peepholes
      st(dcp + j, dct * f + dI * ld(peep + j, w) + dF * ld(peep + H + j, w), w);
    });
  });
}

void lstmPeepholeGrads(int, long nrows, long H, const float* dgates, const float* cPrev, const float* c, float* dpeep) {
  vec_loop(H, [&](long j, int w) {
    vf si = ld(dpeep + j, w), sf = ld(dpeep + H + j, w), so = ld(dpeep + 2 * H + j, w);
    for (long r = 0; r < nrows; r++) {
      const float *dg = dgates + r * 4 * H, *cp = cPrev + r * H + j;
      si += ld(dg + j, w) * ld(cp, w);
      sf += ld(dg + H + j, w) * ld(cp, w);
      so += ld(dg + 3 * H + j, w) * ld(c + r * H + j, w);
    }
    st(dpeep + j, si, w), st(dpeep + H + j, sf, w), st(dpeep + 2 * H + j, so, w);
  });
}

}  // namespace

const Kernels table = {RECUR_ISA_NAME, packedFloats, packMatvec, matvecPacked, RECUR_TABLE_KERNELS};

}  // namespace RECUR_ISA_NS
}  // namespace recur
