// GEMM for one instruction set; included by kernels_impl.h inside its namespace (see there).
//
// C = alpha·op(A)·op(B) + beta·C, row-major. Three kernels, chosen by layout and shape only (never
// by thread count, so results are thread-independent):
//
//  1. Broadcast form (NN, TN, and NT/TT with m > 2·VW): a tile of MR rows × 2 vectors of C lives in
//     registers; each step p broadcasts one element of op(A) per row and multiplies it by a row of
//     B. Aᵀ is packed per (KC × MC) block into MR-wide panels (A itself is read in place). B is
//     packed per KC-deep block into contiguous NB-wide panels when m > 2·VW (cost n·k against
//     m·n·k multiply-adds; contiguous panels stay in L1 whatever B's leading dimension); with few
//     rows (the backward step dh += dg·W_hh, m = batch) it is read in place, where the weight's
//     rows already run along n.
//
//  2. Transposed broadcast (NT with VW ≤ m ≤ 2·VW: the recurrent step h·W_hhᵀ at batch 16–32,
//     the RNN shape 32×2048×512): computes Cᵀ = B·op(A)ᵀ, broadcasting from B's rows, so
//     the weight, stored [out, in] as PyTorch stores it, is read in place exactly once, with no
//     packing: its layout already is the packed layout this kernel wants. Only h (m×k, small) is
//     transposed per call.
//
//  3. Dot form (NT with m < VW: sampling with batch 1): each output is a dot product of two
//     contiguous rows; VW of them run along k in vector lanes and are reduced together by a
//     transposing shuffle tree.
//
// Why not OpenBLAS: it repacks B on every call, which at the recurrent shape (B = a 4 MB weight,
// m = 32) costs as much as the product (the issue measured ~94 GFLOP/s there against ~160 on square
// sizes). Kernel 2 needs no packing of the weight at all, which is what "weights packed once per
// optimizer step" would buy, at zero cost and with no packed copy to keep in sync with the
// weights. Measured on this machine (Zen 5, one core, CPU time; bench/native-gemm.ts): ~180 vs
// ~110 GFLOP/s at 32×2048×512, ~185 vs ~190 at 512³ (OpenBLAS 0.3.21, SkylakeX kernels).

#if RECUR_VW == 16
constexpr int MR = 12;
constexpr int TRMAX[3] = {0, 16, 12};  // kernel 2: rows of B per tile, by vectors of m
#elif RECUR_VW == 8
constexpr int MR = 6;
constexpr int TRMAX[3] = {0, 12, 6};
#else
constexpr int MR = 4;
constexpr int TRMAX[3] = {0, 12, 6};
#endif
constexpr int NB = 2 * VW;  // columns of a broadcast tile
constexpr long KC = 384;    // depth of a packed block (an A micro-panel stays in L1 while B panels stream)
constexpr long MC = 16 * MR;  // rows of a packed A block (fits L2)

// ---------------------------------------------------------------- transposing copies
//
// Packing a matrix stored the other way round (Bᵀ panels, hᵀ) is a transpose; done an element at a
// time its strided stores cost more than the product at m ≈ 64, so it goes VW×VW tiles at a time
// through registers: log2(VW) rounds of two-input shuffles (Eklundh's scheme).

// Round with block size b: rows i and i + b swap their off-diagonal b-blocks.
constexpr int tr_index(int b, int l, int second) {
  return (l % (2 * b) < b ? 0 : VW) + (l / (2 * b)) * 2 * b + (l % b) + second * b;
}
template <int B, int... L>
inline void tr_round(vf* t, std::integer_sequence<int, L...>) {
#pragma GCC unroll 16
  for (int i = 0; i < VW; i++) {
    if (i & B) continue;
    vf x = t[i], y = t[i + B];
    t[i] = __builtin_shufflevector(x, y, tr_index(B, L, 0)...);
    t[i + B] = __builtin_shufflevector(x, y, tr_index(B, L, 1)...);
  }
  if constexpr (B > 1) tr_round<B / 2>(t, std::integer_sequence<int, L...>{});
}

// dst[c·ld + r] = src[r·ls + c] for c < nc, with VW lanes per destination row (source rows
// r ≥ nr read as zero). nr, nc ≤ VW.
inline void transpose_tile(const float* src, long ls, int nr, int nc, float* dst, long ld) {
  vf t[VW];
#pragma GCC unroll 16
  for (int r = 0; r < VW; r++) t[r] = r < nr ? (nc == VW ? load(src + r * ls) : loadn(src + r * ls, nc)) : vf{};
  tr_round<VW / 2>(t, std::make_integer_sequence<int, VW>{});
  for (int c = 0; c < nc; c++) store(dst + c * ld, t[c]);
}

// dst[p·ld + i] = src[i·ls + p] for i < VW·ceil(m/VW) (zero past m), p < k: an [m×k] block
// becomes k rows of ld floats.
inline void transpose_into(const float* src, long ls, long m, long k, float* dst, long ld) {
  for (long i0 = 0; i0 < m; i0 += VW) {
    int nr = (int)lmin(VW, m - i0);
    for (long p = 0; p < k; p += VW)
      transpose_tile(src + i0 * ls + p, ls, nr, (int)lmin(VW, k - p), dst + p * ld + i0, ld);
  }
}

// ---------------------------------------------------------------- 1. broadcast form

// acc = Σ_{p<kc} a(r, p) · B[p, 0:cols] for r < R, where a(r, p) = A[r·lda + p] (DIRECT: op(A) = A
// read in place) or A[p·MR + r] (a packed panel); then C = (readC ? bmul·C : 0) + alpha·acc.
// NVt vectors per row; when MASK, the last one holds only `last` lanes.
// dst[0, W) = src[0, n) followed by zeros (a panel's last, partial row or column group).
template <long W>
inline void copy_padded(const float* src, long n, float* dst) {
  if (n == W) {
    std::memcpy(dst, src, W * sizeof(float));
    return;
  }
  for (long q = 0; q < n; q++) dst[q] = src[q];
  for (long q = n; q < W; q++) dst[q] = 0;
}

// The accumulators of an R×NVt register tile, cleared (unrolled: they live in registers).
template <int R, int NVt>
inline __attribute__((always_inline)) void zero(vf (&acc)[R][NVt]) {
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NVt; v++) acc[r][v] = vf{};
}

template <int R, int NVt, bool MASK, bool DIRECT>
void bkernel(long kc, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int last, float alpha,
             float bmul, bool readC) {
  // The C tile is read after the loop; fetching it now hides the miss (C of a big product lives
  // in memory, and its rows, ldc apart, often share L1 sets).
  if (readC)
    for (int r = 0; r < R; r++) {
      __builtin_prefetch(C + r * ldc);
      __builtin_prefetch(C + r * ldc + NVt * VW - 1);
    }
  vf acc[R][NVt];
  zero(acc);
  for (long p = 0; p < kc; p++) {
    const float* b = B + p * ldb;
    vf bv[NVt];
#pragma GCC unroll 4
    for (int v = 0; v < NVt; v++) bv[v] = (MASK && v == NVt - 1) ? loadn(b + v * VW, last) : load(b + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      vf a = splat(DIRECT ? A[r * lda + p] : A[p * MR + r]);
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

template <int R>
void fill_btable(BKernel (*t)[2][2][2]) {
  t[R][0][0][0] = bkernel<R, 1, false, false>;
  t[R][0][1][0] = bkernel<R, 1, true, false>;
  t[R][1][0][0] = bkernel<R, 2, false, false>;
  t[R][1][1][0] = bkernel<R, 2, true, false>;
  t[R][0][0][1] = bkernel<R, 1, false, true>;
  t[R][0][1][1] = bkernel<R, 1, true, true>;
  t[R][1][0][1] = bkernel<R, 2, false, true>;
  t[R][1][1][1] = bkernel<R, 2, true, true>;
  if constexpr (R > 1) fill_btable<R - 1>(t);
}
struct BTable {
  BKernel k[MR + 1][2][2][2];  // [rows][vectors − 1][masked][direct A]
  BTable() { fill_btable<MR>(k); }
};

// Packs rows [i0, i0+mc) × depth [p0, p0+kc) of Aᵀ (A stored [k×m]) into MR-wide panels: panel t
// holds rows i0 + t·MR … as kc rows of MR floats (rows past m are zero).
void pack_at(const float* A, long lda, long m, long i0, long mc, long p0, long kc, float* P) {
  for (long t = 0; t * MR < mc; t++) {
    float* dst = P + t * kc * MR;
    long r0 = i0 + t * MR, R = lmin(MR, m - r0);
    for (long p = 0; p < kc; p++) {
      copy_padded<MR>(A + (p0 + p) * lda + r0, R, dst + p * MR);
    }
  }
}

// Packs depth [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NB-wide panels of kc rows (columns
// past nc are zero). TB: B is stored [n×k] and is transposed on the way.
template <bool TB>
void pack_b(const float* B, long ldb, long j0, long nc, long p0, long kc, float* P) {
  for (long jt = 0; jt * NB < nc; jt++) {
    float* dst = P + jt * kc * NB;
    long c0 = j0 + jt * NB, cols = lmin(NB, nc - jt * NB);
    if (!TB) {
      for (long p = 0; p < kc; p++) {
        copy_padded<NB>(B + (p0 + p) * ldb + c0, cols, dst + p * NB);
      }
    } else {
      for (long q0 = 0; q0 < NB; q0 += VW) {
        if (q0 >= cols) {
          for (long p = 0; p < kc; p++) store(dst + p * NB + q0, vf{});
          continue;
        }
        transpose_into(B + (c0 + q0) * ldb + p0, ldb, lmin(VW, cols - q0), kc, dst + q0, NB);
      }
    }
  }
}

// Kernel 1 driver. op(A) is packed when it is Aᵀ, else read in place; B is packed per depth block
// when it must be transposed (TB) or when there are enough rows to amortise it (m > 2·VW).
template <bool TA, bool TB>
void gemm_bcast(int th, long m, long n, long k, float alpha, const float* A, long lda, const float* B, long ldb,
                float beta, float* C, long ldc) {
  static const BTable table;
  const bool packB = TB || m > 2 * VW;
  long nib = cdiv(m, MC), ntj = cdiv(n, NB);
  int t = threads_for(th, m * n * k, kParGemm);
  // Tasks: groups of row blocks × groups of column tiles, a few per thread. Each task packs the
  // parts of A and B it needs, so splitting the larger dimension keeps repacking rare.
  long gi = 1, gj = 1;
  if (t > 1) {
    if (nib >= 2L * t) gi = lmin(nib, 4L * t);
    else gj = lmin(ntj, cdiv(4L * t, nib)), gi = nib;
  }
  long perI = cdiv(nib, gi), perJ = cdiv(ntj, gj);
  gi = cdiv(nib, perI);
  gj = cdiv(ntj, perJ);
  parallel_for(t, gi * gj, [&](long task) {
    long ib0 = (task / gj) * perI, ib1 = lmin(nib, ib0 + perI);
    long jt0 = (task % gj) * perJ, jt1 = lmin(ntj, jt0 + perJ);
    float* Ap = TA ? scratch(3, (size_t)(MC * KC)) : nullptr;  // this thread's own
    float* Bp = packB ? scratch(0, (size_t)(KC * (jt1 - jt0) * NB)) : nullptr;
    for (long p0 = 0; p0 < k; p0 += KC) {
      long kc = lmin(KC, k - p0);
      bool readC = p0 > 0 || beta != 0;
      float bmul = p0 > 0 ? 1.0f : beta;
      if (packB) pack_b<TB>(B, ldb, jt0 * NB, lmin(n, jt1 * NB) - jt0 * NB, p0, kc, Bp);
      for (long ib = ib0; ib < ib1; ib++) {
        long i0 = ib * MC, mc = lmin(MC, m - i0);
        if (TA) pack_at(A, lda, m, i0, mc, p0, kc, Ap);
        for (long it = 0; it * MR < mc; it++) {
          int R = (int)lmin(MR, mc - it * MR);
          const float* At = TA ? Ap + it * kc * MR : A + (i0 + it * MR) * lda + p0;
          for (long jt = jt0; jt < jt1; jt++) {
            long j0 = jt * NB;
            int cols = (int)lmin(NB, n - j0);
            int nvt = cols > VW ? 2 : 1, last = cols - (nvt - 1) * VW;
            const float* Bt = packB ? Bp + (jt - jt0) * kc * NB : B + p0 * ldb + j0;
            long ldbt = packB ? NB : ldb;
            table.k[R][nvt - 1][last != VW][!TA](kc, At, lda, Bt, ldbt, C + (i0 + it * MR) * ldc + j0, ldc, last, alpha,
                                                bmul, readC);
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------- 2. transposed broadcast

// For R rows of B (= R columns of C): acc[r] = Σ_p B[r, p] · hT[p, 0:NVt·VW]; then
// C[j, r] = alpha·acc[r][j] (+ beta·C[j, r]) for the m valid rows j.
template <int R, int NVt>
void tkernel(long k, const float* B, long ldb, const float* hT, long m, float* C, long ldc, float alpha, float beta) {
  vf acc[R][NVt];
  zero(acc);
  for (long p = 0; p < k; p++) {
    vf h[NVt];
#pragma GCC unroll 4
    for (int v = 0; v < NVt; v++) h[v] = load(hT + p * (NVt * VW) + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      vf w = splat(B[r * ldb + p]);
#pragma GCC unroll 4
      for (int v = 0; v < NVt; v++) acc[r][v] += w * h[v];
    }
  }
  // Transposed store through a small buffer: column r of this tile is row r of acc.
  alignas(64) float out[R][NVt * VW];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NVt; v++) store(&out[r][v * VW], splat(alpha) * acc[r][v]);
  for (long j = 0; j < m; j++) {
    float* c = C + j * ldc;
    if (beta == 0)
      for (int r = 0; r < R; r++) c[r] = out[r][j];
    else
      for (int r = 0; r < R; r++) c[r] = beta * c[r] + out[r][j];
  }
}

typedef void (*TKernel)(long, const float*, long, const float*, long, float*, long, float, float);

template <int NVt, int R>
void fill_ttable(TKernel* t) {
  t[R] = tkernel<R, NVt>;
  if constexpr (R > 1) fill_ttable<NVt, R - 1>(t);
}
struct TTable {
  TKernel k[3][17] = {};
  TTable() {
    fill_ttable<1, TRMAX[1]>(k[1]);
    fill_ttable<2, TRMAX[2]>(k[2]);
  }
};

void gemm_nt_small(int th, long m, long n, long k, float alpha, const float* A, long lda, const float* B, long ldb,
                   float beta, float* C, long ldc) {
  static const TTable table;
  int nv = (int)cdiv(m, VW);
  long mp = nv * VW;
  // hT[p, i] = A[i, p], zero-padded to mp columns.
  float* hT = scratch(0, (size_t)(k * mp));
  transpose_into(A, lda, m, k, hT, mp);
  int R = TRMAX[nv];
  long tiles = cdiv(n, R);
  int t = threads_for(th, m * n * k, kParGemm);
  long ntasks = t <= 1 ? 1 : lmin(tiles, 4L * t), per = cdiv(tiles, ntasks);
  ntasks = cdiv(tiles, per);
  parallel_for(t, ntasks, [&](long task) {
    for (long tt = task * per, te = lmin(tiles, (task + 1) * per); tt < te; tt++) {
      long j0 = tt * R;
      int r = (int)lmin(R, n - j0);
      table.k[nv][r](k, B + j0 * ldb, ldb, hT, m, C + j0, ldc, alpha, beta);
    }
  });
}

// ---------------------------------------------------------------- 3. dot form

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
#pragma GCC unroll 16
  for (int i = 0; i < S / 2; i++) a[i] = fold<S>(a[2 * i], a[2 * i + 1], std::make_integer_sequence<int, VW>{});
  if constexpr (S > 2) reduce_level<S / 2>(a);
}
// Lane q of the result = the sum of the lanes of a[q]; every element through the same tree.
inline vf reduce_all(vf* a) {
  reduce_level<VW>(a);
  return a[0];
}

// C[r, c] = alpha·⟨A row r, B row c⟩ + beta·C[r, c] for r < R, c < CC (accumulator r·CM + c).
template <int R, int CC, int CM>
void dkernel(long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc, float alpha, float beta) {
  vf acc[VW];
#pragma GCC unroll 16
  for (int i = 0; i < VW; i++) acc[i] = vf{};
  long p = 0;
  for (; p + VW <= k; p += VW) {
    vf a[R], b[CC];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) a[r] = load(A + r * lda + p);
#pragma GCC unroll 16
    for (int c = 0; c < CC; c++) b[c] = load(B + c * ldb + p);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
      for (int c = 0; c < CC; c++) acc[r * CM + c] += a[r] * b[c];
  }
  if (p < k) {
    int rem = (int)(k - p);
    vf a[R], b[CC];
    for (int r = 0; r < R; r++) a[r] = loadn(A + r * lda + p, rem);
    for (int c = 0; c < CC; c++) b[c] = loadn(B + c * ldb + p, rem);
    for (int r = 0; r < R; r++)
      for (int c = 0; c < CC; c++) acc[r * CM + c] += a[r] * b[c];
  }
  vf s = reduce_all(acc);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < CC; c++) {
      float* cp = C + r * ldc + c;
      float v = alpha * s[r * CM + c];
      *cp = beta == 0 ? v : beta * *cp + v;
    }
}

typedef void (*DKernel)(long, const float*, long, const float*, long, float*, long, float, float);

template <int CC>
void fill_dtable(DKernel* t) {
  t[CC] = dkernel<1, CC, VW>;
  if constexpr (CC > 1) fill_dtable<CC - 1>(t);
}
struct DTable {
  DKernel k[VW + 1];
  DTable() { fill_dtable<VW>(k); }
};

// Rows of A one at a time against VW rows of B per tile (all VW accumulators busy): at m < VW the
// product is a few matrix-vector products, bound by reading B, which each row streams from cache.
void gemm_dot(int th, long m, long n, long k, float alpha, const float* A, long lda, const float* B, long ldb,
              float beta, float* C, long ldc) {
  static const DTable table;
  // Sampling calls this with the same weight every step; a weight about the size of L2 (1 MB for
  // an LSTM-256's W_hh) thrashes an LRU cache when swept in the same order each time, but sweeping
  // it forwards and backwards in turn starts each call on the rows the last one left in cache.
  // (The order of independent outputs does not change any result.)
  static std::atomic<unsigned> calls{0};
  bool backwards = calls.fetch_add(1, std::memory_order_relaxed) & 1;
  long ntj = cdiv(n, VW);
  int t = threads_for(th, m * n * k, kParGemm);
  long jg = t <= 1 ? 1 : lmin(ntj, 4L * t), per = cdiv(ntj, jg);
  jg = cdiv(ntj, per);
  parallel_for(t, jg, [&](long g) {
    long lo = g * per, hi = lmin(ntj, (g + 1) * per);
    for (long q = lo; q < hi; q++) {
      long jt = backwards ? lo + hi - 1 - q : q;
      long j0 = jt * VW;
      int cc = (int)lmin(VW, n - j0);
      for (long i = 0; i < m; i++)
        table.k[cc](k, A + i * lda, lda, B + j0 * ldb, ldb, C + i * ldc + j0, ldc, alpha, beta);
    }
  });
}

// ---------------------------------------------------------------- dispatch

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
  if (tb && !ta && m < VW) gemm_dot(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  else if (tb && !ta && m <= 2 * VW) gemm_nt_small(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  else if (ta && tb) gemm_bcast<true, true>(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  else if (ta) gemm_bcast<true, false>(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  else if (tb) gemm_bcast<false, true>(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  else gemm_bcast<false, false>(th, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// ---------------------------------------------------------------- 4. packed matrix-vector product
//
// Sampling multiplies the same weights by one vector per character. Read in place (kernel 3) the
// product streams VW rows of W at once and reduces each output across lanes: ~100 GB/s on this
// machine whatever the size. Repacked once into column panels, [panel][k][NP] with NP = 8·VW
// outputs per panel, it becomes one contiguous stream of broadcast multiply-adds with no
// reduction, ~165 GB/s while the panels fit in L2; with two threads each keeps its half of an
// LSTM-256's 1 MB W_hh in its own L2 (the pool gives a thread the same panels every call). The
// caller owns the packed copy and repacks it when the weights change (src/nn/packed.ts).
constexpr long NP = 8 * VW;

long packedFloats(long n, long k) { return cdiv(n, NP) * NP * k; }

void packMatvec(int th, long n, long k, const float* W, long ldw, float* P) {
  long panels = cdiv(n, NP);
  parallel_for(threads_for(th, n * k, kParGemm), panels, [&](long q) {
    float* dst = P + q * k * NP;
    long j0 = q * NP, cols = lmin(NP, n - j0);
    for (long p = 0; p < k; p++) {
      for (long c = 0; c < cols; c++) dst[p * NP + c] = W[(j0 + c) * ldw + p];
      for (long c = cols; c < NP; c++) dst[p * NP + c] = 0;
    }
  });
}

// One panel: NP outputs of W·x. The eight loads of a step issue in ascending address order (pinned
// by the empty volatile asm statements): the prefetchers then see one forward stream. GCC's generic
// schedule interleaves them out of order, and two threads sweeping their halves of a 1 MB weight
// took 7 µs instead of 5 on this machine.
inline void matvec_panel(long k, const float* w, const float* x, vf (&acc)[8]) {
#pragma GCC unroll 8
  for (int v = 0; v < 8; v++) acc[v] = vf{};
  for (long p = 0; p < k; p++, w += NP) {
    vf b = splat(x[p]);
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) {
      vf wv = load(w + v * VW);
      asm volatile("" : "+v"(wv));  // volatile statements keep their order, and each needs its load done
      acc[v] += b * wv;
    }
  }
}

// y = alpha·W·x + beta·y (beta 0: y is only written) from W packed by packMatvec.
void matvecPacked(int th, long n, long k, float alpha, const float* P, const float* x, float beta, float* y) {
  long panels = cdiv(n, NP);
  parallel_for(threads_for(th, n * k, kParGemm), panels, [&](long q) {
    vf acc[8];
    matvec_panel(k, P + q * k * NP, x, acc);
    long j0 = q * NP;
    for (int v = 0; v < 8; v++) {
      long j = j0 + v * VW;
      if (j >= n) break;
      int cnt = (int)lmin(VW, n - j);
      vf r = splat(alpha) * acc[v];
      if (beta != 0) r += splat(beta) * loadn(y + j, cnt);
      storen(y + j, r, cnt);
    }
  });
}
