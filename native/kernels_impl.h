// Every kernel of the Backend interface (src/kernels/backend.ts), written once over the vector type
// of simd.h and compiled three times (isa_avx512.cc, isa_avx2.cc, isa_sse.cc). Each including unit
// defines RECUR_ISA_NS and RECUR_ISA_NAME first; everything here lives in that namespace.
//
// Results never depend on the thread count: work is split into tasks along output rows or columns,
// and the arithmetic for one output element (its order of additions, which lanes, which tail path)
// depends only on the problem's shape. Row tails use masked loads and stores in the same vector code
// as full vectors, so an element computes the same value wherever a task boundary falls.
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
// handing it to a worker costs more than it saves.
constexpr long kParGemm = 1L << 16;
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

// ================================================================================ GEMM
//
// Two micro-kernels, chosen by layout:
//
//  * Broadcast form for op(B) = B (NN, TN): a tile of MR rows × NB columns of C lives in registers;
//    each step p broadcasts one element of op(A) per row and multiplies it by NB contiguous
//    elements of row p of B. Both operands are read where they lie: B's rows are already
//    contiguous along n, and A is read one scalar at a time, so its layout does not matter.
//  * Dot form for op(B) = Bᵀ with few rows (NT with m small: the recurrent step h·W_hhᵀ, the
//    output head while sampling): B is stored [n×k], PyTorch's [out, in], so each output element
//    is a dot product of two contiguous rows. A DR×DC tile of dot products runs along k in vector
//    lanes; the DR·DC = VW partial-sum vectors are then reduced together by a transposing tree
//    (log2 VW shuffle+add levels for VW results at once), which costs ~3 operations per element
//    against k/VW multiply-adds.
//
// Why not OpenBLAS: it repacks B on every call. At the RNN's recurrent shape (32×2048×512, B the
// weight [out,in]) packing the 4 MB weight costs as much as the product itself (the issue measured
// ~94 GFLOP/s there against ~160 square). The dot form needs no packing at all: the weight's
// PyTorch layout already is the packed layout for it, which is the "weights packed once per
// optimizer step" the issue asks for, at zero cost. For NT with many rows (the input projection of
// a whole sequence, the output head in training) packing B once per call is amortised over m rows
// and the broadcast kernel, which needs no reductions, is faster; bench/native-gemm.ts measures
// both against OpenBLAS (see the numbers there).
#if RECUR_VW == 16
constexpr int MR = 8, DR = 4, DC = 4;
#elif RECUR_VW == 8
constexpr int MR = 6, DR = 2, DC = 4;
#else
constexpr int MR = 4, DR = 2, DC = 2;
#endif
constexpr int NV = 2;
constexpr int NB = NV * VW;
constexpr long KC = 256;
// NT problems with at least this many rows pack B and use the broadcast kernel.
constexpr long kPackRows = 64;

// acc ← Σ_{p<kc} op(A)[r, p] · B[p, 0:cols] for r < R; then C = (readC ? bmul·C : 0) + alpha·acc.
// NVt vectors per row; when MASK, the last one holds only `last` lanes.
template <int R, int NVt, bool MASK, bool TA>
void bkernel(long kc, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int last, float alpha,
             float bmul, bool readC) {
  vf acc[R][NVt];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NVt; v++) acc[r][v] = vf{};
  for (long p = 0; p < kc; p++) {
    const float* b = B + p * ldb;
    vf bv[NVt];
#pragma GCC unroll 4
    for (int v = 0; v < NVt; v++) bv[v] = (MASK && v == NVt - 1) ? loadn(b + v * VW, last) : load(b + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      vf a = splat(TA ? A[p * lda + r] : A[r * lda + p]);
#pragma GCC unroll 4
      for (int v = 0; v < NVt; v++) acc[r][v] += a * bv[v];
    }
  }
  vf va = splat(alpha), vb = splat(bmul);
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NVt; v++) {
      float* c = C + r * ldc + v * VW;
      bool part = MASK && v == NVt - 1;
      vf res = va * acc[r][v];
      if (readC) res = vb * (part ? loadn(c, last) : load(c)) + res;
      if (part) storen(c, res, last);
      else store(c, res);
    }
}

typedef void (*BKernel)(long, const float*, long, const float*, long, float*, long, int, float, float, bool);

template <bool TA, int R>
void fill_btable(BKernel (*t)[2][2]) {
  t[R][0][0] = bkernel<R, 1, false, TA>;
  t[R][0][1] = bkernel<R, 1, true, TA>;
  t[R][1][0] = bkernel<R, 2, false, TA>;
  t[R][1][1] = bkernel<R, 2, true, TA>;
  if constexpr (R > 1) fill_btable<TA, R - 1>(t);
}

template <bool TA>
struct BTable {
  BKernel k[MR + 1][2][2];
  BTable() { fill_btable<TA, MR>(k); }
};

template <bool TA>
void btile(int R, long kc, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int cols,
           float alpha, float bmul, bool readC) {
  static const BTable<TA> table;
  int nvt = cols > VW ? 2 : 1;
  int last = cols - (nvt - 1) * VW;
  table.k[R][nvt - 1][last != VW](kc, A, lda, B, ldb, C, ldc, last, alpha, bmul, readC);
}

// C = alpha·op(A)·B + beta·C with the broadcast kernel. B is either the caller's [k×n] matrix
// (packed = false) or panels made by pack_bt (packed = true: panel jt holds columns
// [jt·NB, jt·NB+NB) as k rows of NB floats).
template <bool TA>
void gemm_bcast(int th, long m, long n, long k, float alpha, const float* A, long lda, const float* B, long ldb,
                bool packed, float beta, float* C, long ldc) {
  long nti = cdiv(m, MR), ntj = cdiv(n, NB);
  int t = threads_for(th, m * n * k, kParGemm);
  // Split along whichever dimension has more tiles, into a few tasks per thread.
  bool splitJ = ntj >= nti;
  long tiles = splitJ ? ntj : nti;
  long ntasks = t <= 1 ? 1 : lmin(tiles, 4L * t);
  long per = cdiv(tiles, ntasks);
  ntasks = cdiv(tiles, per);
  parallel_for(t, ntasks, [&](long task) {
    long i0t = 0, i1t = nti, j0t = 0, j1t = ntj;
    if (splitJ) { j0t = task * per; j1t = lmin(ntj, j0t + per); }
    else { i0t = task * per; i1t = lmin(nti, i0t + per); }
    for (long p0 = 0; p0 < k; p0 += KC) {
      long kc = lmin(KC, k - p0);
      bool readC = p0 > 0 || beta != 0;
      float bmul = p0 > 0 ? 1.0f : beta;
      for (long jt = j0t; jt < j1t; jt++) {
        long j0 = jt * NB;
        int cols = (int)lmin(NB, n - j0);
        const float* Bp = packed ? B + jt * k * NB + p0 * NB : B + p0 * ldb + j0;
        long ldbp = packed ? NB : ldb;
        for (long it = i0t; it < i1t; it++) {
          long i0 = it * MR;
          int R = (int)lmin(MR, m - i0);
          const float* Ap = TA ? A + p0 * lda + i0 : A + i0 * lda + p0;
          btile<TA>(R, kc, Ap, lda, Bp, ldbp, C + i0 * ldc + j0, ldc, cols, alpha, bmul, readC);
        }
      }
    }
  });
}

// Packs Bᵀ (B stored [n×k]) into NB-wide panels for gemm_bcast; columns past n are zero.
float* pack_bt(int th, long n, long k, const float* B, long ldb) {
  long ntj = cdiv(n, NB);
  float* P = scratch(0, (size_t)(ntj * k * NB));
  parallel_for(threads_for(th, n * k, 4 * kParElems), ntj, [&](long jt) {
    float* dst = P + jt * k * NB;
    long j0 = jt * NB, cols = lmin(NB, n - j0);
    // Blocks of 8 rows of k keep both the reads and the strided writes in L1.
    for (long p0 = 0; p0 < k; p0 += 64) {
      long p1 = lmin(k, p0 + 64);
      for (long q = 0; q < cols; q++) {
        const float* src = B + (j0 + q) * ldb;
        for (long p = p0; p < p1; p++) dst[p * NB + q] = src[p];
      }
      for (long q = cols; q < NB; q++)
        for (long p = p0; p < p1; p++) dst[p * NB + q] = 0;
    }
  });
  return P;
}

// ---- dot form

// One level of the transposing reduction: x and y hold VW/S accumulators each, as blocks of S
// partial sums; the result holds all of them as blocks of S/2 (x's first), each partial sum the
// pair (o, o + S/2) of its block added.
constexpr int fold_index(int S, int l, int second) {
  return (l < VW / 2 ? 0 : VW) + ((l % (VW / 2)) / (S / 2)) * S + (l % (VW / 2)) % (S / 2) + second * (S / 2);
}
template <int S, int... L>
inline vf fold(vf x, vf y, std::integer_sequence<int, L...>) {
  return __builtin_shufflevector(x, y, fold_index(S, L, 0)...) + __builtin_shufflevector(x, y, fold_index(S, L, 1)...);
}
template <int S>
inline void reduce_level(vf* a) {
  constexpr int count = 2 * VW / S;  // vectors at this level
#pragma GCC unroll 16
  for (int i = 0; i < count / 2; i++) a[i] = fold<S>(a[2 * i], a[2 * i + 1], std::make_integer_sequence<int, VW>{});
  if constexpr (S > 2) reduce_level<S / 2>(a);
}
// Lane q of the result = the sum of the lanes of a[q]; every element through the same tree.
inline vf reduce_all(vf* a) {
  reduce_level<VW>(a);
  return a[0];
}

// C[r, c] = alpha·⟨A row r, B row c⟩ + beta·C[r, c] for r < R, c < CC (accumulator r·DC + c).
template <int R, int CC>
void dkernel(long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc, float alpha, float beta) {
  vf acc[VW];
#pragma GCC unroll 16
  for (int i = 0; i < VW; i++) acc[i] = vf{};
  long p = 0;
  for (; p + VW <= k; p += VW) {
    vf a[R], b[CC];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) a[r] = load(A + r * lda + p);
#pragma GCC unroll 4
    for (int c = 0; c < CC; c++) b[c] = load(B + c * ldb + p);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
      for (int c = 0; c < CC; c++) acc[r * DC + c] += a[r] * b[c];
  }
  if (p < k) {
    int rem = (int)(k - p);
    vf a[R], b[CC];
    for (int r = 0; r < R; r++) a[r] = loadn(A + r * lda + p, rem);
    for (int c = 0; c < CC; c++) b[c] = loadn(B + c * ldb + p, rem);
    for (int r = 0; r < R; r++)
      for (int c = 0; c < CC; c++) acc[r * DC + c] += a[r] * b[c];
  }
  vf s = reduce_all(acc);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < CC; c++) {
      float* cp = C + r * ldc + c;
      float v = alpha * s[r * DC + c];
      *cp = beta == 0 ? v : beta * *cp + v;
    }
}

typedef void (*DKernel)(long, const float*, long, const float*, long, float*, long, float, float);

template <int R, int CC>
void fill_dtable(DKernel (*t)[DC + 1]) {
  t[R][CC] = dkernel<R, CC>;
  if constexpr (CC > 1) fill_dtable<R, CC - 1>(t);
  else if constexpr (R > 1) fill_dtable<R - 1, DC>(t);
}
struct DTable {
  DKernel k[DR + 1][DC + 1];
  DTable() { fill_dtable<DR, DC>(k); }
};

void gemm_dot(int th, long m, long n, long k, float alpha, const float* A, long lda, const float* B, long ldb,
              float beta, float* C, long ldc) {
  static const DTable table;
  long nti = cdiv(m, DR), ntj = cdiv(n, DC);
  // Rows of A per block: the block stays in L2 while B's micro-panels stream through L1.
  long ib = lmax(1, 65536 / (DR * lmax(k, 1)));
  long nib = cdiv(nti, ib);
  int t = threads_for(th, m * n * k, kParGemm);
  long jg = t <= 1 ? 1 : lmin(ntj, 4L * t), per = cdiv(ntj, jg);
  jg = cdiv(ntj, per);
  parallel_for(t, jg * nib, [&](long task) {
    long bi = task / jg, gj = task % jg;
    long it0 = bi * ib, it1 = lmin(nti, it0 + ib);
    for (long jt = gj * per, je = lmin(ntj, (gj + 1) * per); jt < je; jt++) {
      long j0 = jt * DC;
      int cc = (int)lmin(DC, n - j0);
      for (long it = it0; it < it1; it++) {
        long i0 = it * DR;
        int r = (int)lmin(DR, m - i0);
        table.k[r][cc](k, A + i0 * lda, lda, B + j0 * ldb, ldb, C + i0 * ldc + j0, ldc, alpha, beta);
      }
    }
  });
}

void gemm(int th, bool ta, bool tb, long m, long n, long k, float alpha, const float* A, long lda, const float* B,
          long ldb, float beta, float* C, long ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    for (long i = 0; i < m; i++) {
      float* c = C + i * ldc;
      if (beta == 0) std::memset(c, 0, n * sizeof(float));
      else if (beta != 1)
        for (long j = 0; j < n; j++) c[j] *= beta;
    }
    return;
  }
  if (!tb) {
    if (ta) gemm_bcast<true>(th, m, n, k, alpha, A, lda, B, ldb, false, beta, C, ldc);
    else gemm_bcast<false>(th, m, n, k, alpha, A, lda, B, ldb, false, beta, C, ldc);
  } else if (!ta && m < kPackRows) {
    gemm_dot(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    const float* P = pack_bt(th, n, k, B, ldb);
    if (ta) gemm_bcast<true>(th, m, n, k, alpha, A, lda, P, NB, true, beta, C, ldc);
    else gemm_bcast<false>(th, m, n, k, alpha, A, lda, P, NB, true, beta, C, ldc);
  }
}

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
  long tasks = cdiv(nr, 16 * VW);
  int t = threads_for(th, n * nr, kParElems);
  if (n > 2 * cols) {
    float* WT = scratch(1, (size_t)(nr * cols));
    parallel_for(t, tasks, [&](long task) {
      long r0 = task * 16 * VW, r1 = lmin(nr, r0 + 16 * VW), w = r1 - r0;
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
    long r0 = task * 16 * VW, r1 = lmin(nr, r0 + 16 * VW);
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

void lstmBackward(int th, long B, long H, const float* gates, const float* cPrev, const float* c, const float* dh,
                  const float* dc, float* dgates, float* dcPrev, float* dhPrev, const float* mask) {
  rows(th, B, H, 4, [&](long b) {
    const float *g = gates + b * 4 * H, *cp = cPrev + b * H, *co = c + b * H, *d = dh + b * H, *dco = dc + b * H;
    float *dg = dgates + b * 4 * H, *dcp = dcPrev + b * H, *hp = dhPrev + b * H;
    if (held(mask, b)) {
      vec_loop(H, [&](long j, int w) {
        st(hp + j, ld(hp + j, w) + ld(d + j, w), w);
        st(dcp + j, ld(dco + j, w), w);
        for (int q = 0; q < 4; q++) st(dg + q * H + j, vf{}, w);
      });
      return;
    }
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
    vec_loop(cols, [&](long j, int w) {
      s += pad_tail(vexp(ld(li + j, w) - splat(mx)), w, 0);
    });
    double sum = hsum(s);
    double lse = mx + std::log(sum);
    losses[r] = lse - li[t];
    if (di) {
      vf k = splat((float)(scale / sum));
      vec_loop(cols, [&](long j, int w) { st(di + j, vexp(ld(li + j, w) - splat(mx)) * k, w); });
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

void adamStep(int th, long n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2,
              float eps, float weightDecay, bool decoupled, double step) {
  double bc1 = 1 - std::pow((double)beta1, step), bc2 = 1 - std::pow((double)beta2, step);
  float stepSize = (float)(lr / bc1), invSq = (float)(1 / std::sqrt(bc2));
  float decay = (float)(1 - (double)lr * weightDecay);
  bool wd = weightDecay != 0;
  chunked(th, n, [&](long lo, long hi) {
    vec_loop(hi - lo, [&](long j, int w) {
      long i = lo + j;
      vf pp = ld(p + i, w), d = ld(g + i, w);
      if (wd) {
        if (decoupled) pp = pp * splat(decay);
        else d = d + splat(weightDecay) * pp;
      }
      vf mm = splat(beta1) * ld(m + i, w) + splat(1 - beta1) * d;
      vf vv = splat(beta2) * ld(v + i, w) + splat(1 - beta2) * d * d;
      st(m + i, mm, w);
      st(v + i, vv, w);
      st(p + i, pp - splat(stepSize) * mm / (vsqrt(vv) * splat(invSq) + splat(eps)), w);
    });
  });
}

}  // namespace

const Kernels table = {
    RECUR_ISA_NAME, gemm, addRowVector, sumRows, gatherRows, scatterAddRows, gatherCols, scatterAddCols,
    elmanForward, elmanBackward, lstmForward, lstmBackward, gruForward, gruBackward,
    softmax, softmaxBackward, softmaxCrossEntropy, squaredError,
    fill, copy, axpy, scale, mul, sumSquares, clampAbs,
    sgdStep, adagradStep, rmspropStep, adamStep,
};

}  // namespace RECUR_ISA_NS
}  // namespace recur
