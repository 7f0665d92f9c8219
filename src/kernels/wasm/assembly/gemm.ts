/**
 * GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, all four transpose combinations.
 *
 * Two register-blocked micro-kernels, each chosen for the layout of B it reads without transposing:
 *  - op(B) = B (B stored k×n, as in dY·W and Aᵀ·B): the "broadcast" kernel, a 4×8 tile of C held in 8 f32x4
 *    accumulators; per p it loads 8 values of a row of B and broadcasts 4 values of A. A is packed into 4-row
 *    panels (p-major); B is read in place, 8 columns at a time (only the ragged last sliver is copied, zero-padded).
 *  - op(B) = Bᵀ (B stored n×k: weights [out, in] as in x·Wᵀ): the "dot" kernel, a 2×4 tile of C as 8 dot products,
 *    each accumulated in 4 lanes along k and reduced once at the end. It reads rows of A and rows of B as they are
 *    stored, so the weights are never repacked (op(A) rows are packed only when A is transposed).
 * More than 8 accumulators spills on x64 (V8 keeps ~14 of 16 xmm registers allocatable): 4×12 and 3×4 measured slower.
 *
 * Every element of C is computed by one tile, whose arithmetic depends only on k (blocked by a fixed KC), never on
 * where the tile sits; a part of a multi-threaded call is a rectangle of whole tiles. So results are bit-identical
 * for any thread count. Tiles on the edges compute on zero-padded operands and store only their valid part.
 */
import { fma, splat, hsum4, partStart } from './simd';

// broadcast kernel
const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;
// dot kernel
const DR = 2;
const DN = 4;
const KCD = 512;
const MCD = 96;

/** Bytes of per-thread scratch gemm needs (packed A block, packed B sliver, one edge tile). */
export const GEMM_SCRATCH_BYTES: i32 = (MC * KC + KC * NR + MR * NR + MCD * KCD) * 4 + 256;

export function gemmScratchBytes(): i32 {
  return GEMM_SCRATCH_BYTES;
}

/**
 * Chunks of a multi-threaded product per thread: enough that a thread on a slower or busier core hands part of its
 * share to the others (this VM's two vCPUs differ by up to 30 %, and a browser's other tabs take cores), few enough
 * that the per-chunk work (re-packing A in the broadcast kernel, the atomic claim) stays small.
 */
const CHUNKS_PER_PART = 4;
/** Fewest tiles in a chunk: a broadcast-kernel chunk split along n re-packs its rows of A (cost ≈ 2/columns). */
const MIN_CHUNK_TILES_PACKED = 8;
const MIN_CHUNK_TILES = 4;
/** Bytes between two threads' cursors (one cache line each); the JS side's CTL.CURSOR_STRIDE (protocol.ts). */
const CURSOR_STRIDE: i32 = 64;

/**
 * Part `part` of `nparts` of C = alpha·op(A)·op(B) + beta·C. Pointers are byte addresses, leading dimensions in
 * elements. Part p uses the GEMM_SCRATCH_BYTES at scratch + p·GEMM_SCRATCH_BYTES.
 *
 * Split across threads, C is cut along its longer tile dimension into chunks of whole tiles; thread q owns a
 * contiguous run of chunks and claims them one by one through its cursor (an i32 at cursors + q·CURSOR_STRIDE, zero
 * when the call starts); when its run is done it takes what is left of the others'. So each thread gets the same
 * rows of a weight matrix every time step (still in its own cache) when the cores keep pace, and a slower one is
 * helped instead of waited for. Which thread computes a tile never changes its arithmetic.
 */
export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  scratch: usize, cursors: usize, part: i32, nparts: i32): void {
  if (m <= 0 || n <= 0) return;
  scratch += <usize>part * GEMM_SCRATCH_BYTES;
  if (nparts <= 1) { gemmBlock(transA, transB, 0, m, 0, n, k, alpha, A, lda, B, ldb, beta, C, ldc, scratch); return; }
  const tm = transB ? DR : MR, tn = transB ? DN : NR;
  const alongN = (n + tn - 1) / tn >= (m + tm - 1) / tm;
  const dim = alongN ? n : m, tile = alongN ? tn : tm;
  const units = (dim + tile - 1) / tile;
  const minTiles = alongN && !transB ? MIN_CHUNK_TILES_PACKED : MIN_CHUNK_TILES;
  const chunks = max(min(nparts * CHUNKS_PER_PART, units / minTiles), min(nparts, units));
  for (let r = 0; r < nparts; r++) {
    const q = (part + r) % nparts;
    const first = partStart(chunks, q, nparts, 1), end = partStart(chunks, q + 1, nparts, 1);
    const cursor = cursors + <usize>q * CURSOR_STRIDE;
    for (let t = first + atomic.add<i32>(cursor, 1); t < end; t = first + atomic.add<i32>(cursor, 1)) {
      const s0 = partStart(dim, t, chunks, tile), s1 = partStart(dim, t + 1, chunks, tile);
      if (alongN) gemmBlock(transA, transB, 0, m, s0, s1, k, alpha, A, lda, B, ldb, beta, C, ldc, scratch);
      else gemmBlock(transA, transB, s0, s1, 0, n, k, alpha, A, lda, B, ldb, beta, C, ldc, scratch);
    }
  }
}

/** C[i0:i1, j0:j1] of the product, on one thread. */
function gemmBlock(transA: i32, transB: i32, i0: i32, i1: i32, j0: i32, j1: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, scratch: usize): void {
  if (i0 >= i1 || j0 >= j1) return;
  if (k <= 0 || alpha == 0) { scaleBlock(C, ldc, i0, i1, j0, j1, beta); return; }
  if (transB) gemmDot(transA, i0, i1, j0, j1, k, alpha, A, lda, B, ldb, beta, C, ldc, scratch);
  else gemmBroadcast(transA, i0, i1, j0, j1, k, alpha, A, lda, B, ldb, beta, C, ldc, scratch);
}

/** C[i0:i1, j0:j1] *= beta (beta = 0 writes zeros, so NaNs in C do not survive). */
function scaleBlock(C: usize, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32, beta: f32): void {
  if (beta == 1) return;
  for (let i = i0; i < i1; i++) {
    const row = C + ((<usize>i * ldc + j0) << 2);
    for (let j = 0; j < j1 - j0; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
  }
}

// ------------------------------------------------------------------ epilogue

/** c = alpha·acc + beta·c for 4 lanes (beta = 0: c is not read). */
@inline function combine(c: usize, acc: v128, alpha: f32, beta: f32): void {
  const a = f32x4.mul(acc, splat(alpha));
  if (beta == 0) v128.store(c, a);
  else if (beta == 1) v128.store(c, f32x4.add(v128.load(c), a));
  else v128.store(c, fma(v128.load(c), splat(beta), a));
}

/** The scalar version of combine for the first `cols` lanes of a tile row kept in `tile`. */
function combinePartial(c: usize, tile: usize, cols: i32, alpha: f32, beta: f32): void {
  for (let j = 0; j < cols; j++) {
    const p = c + (<usize>j << 2);
    const a = load<f32>(tile + (<usize>j << 2)) * alpha;
    if (beta == 0) store<f32>(p, a);
    else if (beta == 1) store<f32>(p, load<f32>(p) + a);
    else store<f32>(p, load<f32>(p) * beta + a);
  }
}

// ------------------------------------------------------------------ broadcast kernel (op(B) = B)

function gemmBroadcast(transA: i32, i0: i32, i1: i32, j0: i32, j1: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, scratch: usize): void {
  const aPack = scratch;
  const bPack = aPack + ((MC * KC) << 2);
  const tile = bPack + ((KC * NR) << 2);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const bt = pc == 0 ? beta : <f32>1;
    for (let ic = i0; ic < i1; ic += MC) {
      const mc = min(MC, i1 - ic);
      packPanelsA(transA, A, lda, ic, pc, mc, kc, aPack);
      for (let jc = j0; jc < j1; jc += NR) {
        const nr = min(NR, j1 - jc);
        let bp: usize, bStride: usize;
        if (nr == NR) {
          // read B where it lies (measured faster than a packed copy, even when 32 rows reuse the sliver)
          bp = B + ((<usize>pc * ldb + jc) << 2); bStride = <usize>ldb << 2;
        } else {
          // the ragged last sliver: zero-padded copy
          packSliverB(B, ldb, pc, jc, kc, nr, bPack); bp = bPack; bStride = NR << 2;
        }
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          const c = C + ((<usize>(ic + ir) * ldc + jc) << 2);
          const ap = aPack + (<usize>(ir * kc) << 2);
          if (mr == MR) kernel4x8(kc, ap, bp, bStride, c, ldc, nr, alpha, bt, tile);
          else for (let r = 0; r < mr; r++) {
            kernel1x8(kc, ap + (<usize>r << 2), bp, bStride, c + ((<usize>r * ldc) << 2), nr, alpha, bt, tile);
          }
        }
      }
    }
  }
}

/** op(A)[ic:ic+mc, pc:pc+kc] as panels of 4 rows, p-major ([p][4]); missing rows are zeros. */
function packPanelsA(transA: i32, A: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    if (transA) packPanelFromColumns(A, lda, ic + ir, pc, rows, kc, panel);
    else packPanelFromRows(A, lda, ic + ir, pc, rows, kc, panel);
  }
}

/** A stored m×k: four rows, transposed 4×4 at a time. */
function packPanelFromRows(A: usize, lda: i32, i: i32, pc: i32, rows: i32, kc: i32, panel: usize): void {
  const la = <usize>lda << 2;
  const a0 = A + ((<usize>i * lda + pc) << 2);
  let p = 0;
  if (rows == MR) {
    for (; p + 4 <= kc; p += 4) {
      const o = a0 + (<usize>p << 2);
      const r0 = v128.load(o), r1 = v128.load(o + la), r2 = v128.load(o + 2 * la), r3 = v128.load(o + 3 * la);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = panel + (<usize>p << 4);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
      v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
      v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
    }
  }
  for (; p < kc; p++) {
    const d = panel + (<usize>p << 4);
    for (let r = 0; r < MR; r++) {
      store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(a0 + ((<usize>r * lda + p) << 2)) : 0);
    }
  }
}

/** A stored k×m (op(A) = Aᵀ): each p's four values are already adjacent. */
function packPanelFromColumns(A: usize, lda: i32, i: i32, pc: i32, rows: i32, kc: i32, panel: usize): void {
  const a0 = A + ((<usize>pc * lda + i) << 2);
  const la = <usize>lda << 2;
  if (rows == MR) {
    for (let p = 0; p < kc; p++) v128.store(panel + (<usize>p << 4), v128.load(a0 + <usize>p * la));
    return;
  }
  for (let p = 0; p < kc; p++) {
    const d = panel + (<usize>p << 4), s = a0 + <usize>p * la;
    for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + (<usize>r << 2)) : 0);
  }
}

/** B[pc:pc+kc, jc:jc+nr] (B stored k×n, nr < 8) as a [kc][8] sliver, the missing columns zeros. */
function packSliverB(B: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nr: i32, dst: usize): void {
  const lb = <usize>ldb << 2;
  let s = B + ((<usize>pc * ldb + jc) << 2);
  for (let p = 0; p < kc; p++, s += lb) {
    const d = dst + (<usize>p << 5);
    for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(s + (<usize>j << 2)) : 0);
  }
}

/** 4×8 tile: acc[r] += a[p][r] · b[p][0:8] over p; then the epilogue into C (nr < 8: via `tile`). */
function kernel4x8(kc: i32, a: usize, b: usize, bStride: usize, c: usize, ldc: i32, nr: i32,
  alpha: f32, beta: f32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a); c00 = fma(x, b0, c00); c01 = fma(x, b1, c01);
    x = v128.load32_splat(a, 4); c10 = fma(x, b0, c10); c11 = fma(x, b1, c11);
    x = v128.load32_splat(a, 8); c20 = fma(x, b0, c20); c21 = fma(x, b1, c21);
    x = v128.load32_splat(a, 12); c30 = fma(x, b0, c30); c31 = fma(x, b1, c31);
    a += 16; b += bStride;
  }
  const lc = <usize>ldc << 2;
  if (nr == NR) {
    combine(c, c00, alpha, beta); combine(c + 16, c01, alpha, beta); c += lc;
    combine(c, c10, alpha, beta); combine(c + 16, c11, alpha, beta); c += lc;
    combine(c, c20, alpha, beta); combine(c + 16, c21, alpha, beta); c += lc;
    combine(c, c30, alpha, beta); combine(c + 16, c31, alpha, beta);
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16); combinePartial(c, tile, nr, alpha, beta); c += lc;
  v128.store(tile, c10); v128.store(tile, c11, 16); combinePartial(c, tile, nr, alpha, beta); c += lc;
  v128.store(tile, c20); v128.store(tile, c21, 16); combinePartial(c, tile, nr, alpha, beta); c += lc;
  v128.store(tile, c30); v128.store(tile, c31, 16); combinePartial(c, tile, nr, alpha, beta);
}

/** One row of kernel4x8 (same per-element arithmetic), for the last m mod 4 rows; `a` strides by 4 values. */
function kernel1x8(kc: i32, a: usize, b: usize, bStride: usize, c: usize, nr: i32,
  alpha: f32, beta: f32, tile: usize): void {
  let c0 = f32x4.splat(0), c1 = c0;
  for (let p = 0; p < kc; p++) {
    const x = v128.load32_splat(a);
    c0 = fma(x, v128.load(b), c0); c1 = fma(x, v128.load(b, 16), c1);
    a += 16; b += bStride;
  }
  if (nr == NR) { combine(c, c0, alpha, beta); combine(c + 16, c1, alpha, beta); return; }
  v128.store(tile, c0); v128.store(tile, c1, 16); combinePartial(c, tile, nr, alpha, beta);
}

// ------------------------------------------------------------------ dot kernel (op(B) = Bᵀ)

function gemmDot(transA: i32, i0: i32, i1: i32, j0: i32, j1: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, scratch: usize): void {
  const aPack = scratch + ((MC * KC + KC * NR + MR * NR) << 2);
  const tile = aPack - ((MR * NR) << 2);
  const lb = <usize>ldb << 2;
  for (let pc = 0; pc < k; pc += KCD) {
    const kc = min(KCD, k - pc);
    const bt = pc == 0 ? beta : <f32>1;
    for (let ic = i0; ic < i1; ic += MCD) {
      const mc = min(MCD, i1 - ic);
      // rows of op(A): in place when A is not transposed, else packed [mc][kc]
      let a: usize, la: usize;
      if (transA) { packRowsFromColumns(A, lda, ic, pc, mc, kc, aPack); a = aPack; la = <usize>kc << 2; }
      else { a = A + ((<usize>ic * lda + pc) << 2); la = <usize>lda << 2; }
      for (let jc = j0; jc < j1; jc += DN) {
        const nr = min(DN, j1 - jc);
        // rows of B past the edge repeat the last valid row: computed, never stored
        const b0 = B + <usize>jc * lb + (<usize>pc << 2);
        const b1 = nr > 1 ? b0 + lb : b0, b2 = nr > 2 ? b0 + 2 * lb : b1, b3 = nr > 3 ? b0 + 3 * lb : b2;
        if (mc == 1 && jc + 2 * DN <= j1) {
          // One row (sampling: a matrix-vector product): eight columns at once keep eight independent FMA chains
          // in flight where the 1×4 kernel leaves half the FMA units idle; each element's arithmetic is unchanged.
          kernelDot1x8(kc, a, b0, lb, C + ((<usize>ic * ldc + jc) << 2), alpha, bt);
          jc += DN;
          continue;
        }
        for (let ir = 0; ir < mc; ir += DR) {
          const c = C + ((<usize>(ic + ir) * ldc + jc) << 2);
          const ar = a + <usize>ir * la;
          if (ir + 1 < mc) kernelDot2x4(kc, ar, ar + la, b0, b1, b2, b3, c, ldc, nr, alpha, bt, tile);
          else kernelDot1x4(kc, ar, b0, b1, b2, b3, c, nr, alpha, bt, tile);
        }
      }
    }
  }
}

/** op(A) = Aᵀ with A stored k×m: rows ic..ic+mc of op(A) over pc..pc+kc into dst[mc][kc], 4×4 transposes. */
function packRowsFromColumns(A: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const la = <usize>lda << 2, ld = <usize>kc << 2;
  let i = 0;
  for (; i + 4 <= mc; i += 4) {
    const s0 = A + ((<usize>pc * lda + ic + i) << 2), d0 = dst + <usize>i * ld;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const o = s0 + <usize>p * la;
      const r0 = v128.load(o), r1 = v128.load(o + la), r2 = v128.load(o + 2 * la), r3 = v128.load(o + 3 * la);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = d0 + (<usize>p << 2);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d + ld, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(d + 2 * ld, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(d + 3 * ld, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (; p < kc; p++) {
      for (let r = 0; r < 4; r++) store<f32>(d0 + <usize>r * ld + (<usize>p << 2), load<f32>(s0 + <usize>p * la + (<usize>r << 2)));
    }
  }
  for (; i < mc; i++) {
    const s0 = A + ((<usize>pc * lda + ic + i) << 2), d0 = dst + <usize>i * ld;
    for (let p = 0; p < kc; p++) store<f32>(d0 + (<usize>p << 2), load<f32>(s0 + <usize>p * la));
  }
}

/** v + Σ_{p in [k4, kc)} a[p]·[b0[p], b1[p], b2[p], b3[p]]: the k mod 4 tail of one dot-kernel row. */
@inline function dotTail(v: v128, k4: i32, kc: i32, a: usize, b0: usize, b1: usize, b2: usize, b3: usize): v128 {
  for (let p = k4; p < kc; p++) {
    const o = <usize>p << 2;
    let bv = f32x4.splat(load<f32>(b0 + o));
    bv = f32x4.replace_lane(bv, 1, load<f32>(b1 + o));
    bv = f32x4.replace_lane(bv, 2, load<f32>(b2 + o));
    bv = f32x4.replace_lane(bv, 3, load<f32>(b3 + o));
    v = fma(v128.load32_splat(a + o), bv, v);
  }
  return v;
}

/** Store one reduced dot-kernel row (4 columns of C, or the first nr via `tile`). */
@inline function storeDotRow(c: usize, v: v128, nr: i32, alpha: f32, beta: f32, tile: usize): void {
  if (nr == DN) combine(c, v, alpha, beta);
  else { v128.store(tile, v); combinePartial(c, tile, nr, alpha, beta); }
}

/** 2×4 tile of C: eight dot products of two rows of op(A) with four rows of B, 4 lanes each along k. */
function kernelDot2x4(kc: i32, a0: usize, a1: usize, b0: usize, b1: usize, b2: usize, b3: usize,
  c: usize, ldc: i32, nr: i32, alpha: f32, beta: f32, tile: usize): void {
  let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  const k4 = kc & ~3;
  let x0p = a0, x1p = a1, y0 = b0, y1 = b1, y2 = b2, y3 = b3;
  for (let p = 0; p < k4; p += 4) {
    const x0 = v128.load(x0p), x1 = v128.load(x1p);
    let y = v128.load(y0); s00 = fma(x0, y, s00); s10 = fma(x1, y, s10);
    y = v128.load(y1); s01 = fma(x0, y, s01); s11 = fma(x1, y, s11);
    y = v128.load(y2); s02 = fma(x0, y, s02); s12 = fma(x1, y, s12);
    y = v128.load(y3); s03 = fma(x0, y, s03); s13 = fma(x1, y, s13);
    x0p += 16; x1p += 16; y0 += 16; y1 += 16; y2 += 16; y3 += 16;
  }
  const v0 = dotTail(hsum4(s00, s01, s02, s03), k4, kc, a0, b0, b1, b2, b3);
  const v1 = dotTail(hsum4(s10, s11, s12, s13), k4, kc, a1, b0, b1, b2, b3);
  storeDotRow(c, v0, nr, alpha, beta, tile);
  storeDotRow(c + (<usize>ldc << 2), v1, nr, alpha, beta, tile);
}

/** One row of kernelDot2x4 with the same per-element arithmetic (odd m). */
function kernelDot1x4(kc: i32, a0: usize, b0: usize, b1: usize, b2: usize, b3: usize,
  c: usize, nr: i32, alpha: f32, beta: f32, tile: usize): void {
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  const k4 = kc & ~3;
  let xp = a0, y0 = b0, y1 = b1, y2 = b2, y3 = b3;
  for (let p = 0; p < k4; p += 4) {
    const x = v128.load(xp);
    s0 = fma(x, v128.load(y0), s0); s1 = fma(x, v128.load(y1), s1);
    s2 = fma(x, v128.load(y2), s2); s3 = fma(x, v128.load(y3), s3);
    xp += 16; y0 += 16; y1 += 16; y2 += 16; y3 += 16;
  }
  storeDotRow(c, dotTail(hsum4(s0, s1, s2, s3), k4, kc, a0, b0, b1, b2, b3), nr, alpha, beta, tile);
}

/** Eight full columns of one row: two kernelDot1x4 interleaved (the same arithmetic per element). */
function kernelDot1x8(kc: i32, a0: usize, b0: usize, lb: usize, c: usize, alpha: f32, beta: f32): void {
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  const k4 = kc & ~3;
  const b1 = b0 + lb, b2 = b1 + lb, b3 = b2 + lb, b4 = b3 + lb, b5 = b4 + lb, b6 = b5 + lb, b7 = b6 + lb;
  for (let p = 0; p < k4; p += 4) {
    const o = <usize>p << 2;
    const x = v128.load(a0 + o);
    s0 = fma(x, v128.load(b0 + o), s0); s1 = fma(x, v128.load(b1 + o), s1);
    s2 = fma(x, v128.load(b2 + o), s2); s3 = fma(x, v128.load(b3 + o), s3);
    s4 = fma(x, v128.load(b4 + o), s4); s5 = fma(x, v128.load(b5 + o), s5);
    s6 = fma(x, v128.load(b6 + o), s6); s7 = fma(x, v128.load(b7 + o), s7);
  }
  combine(c, dotTail(hsum4(s0, s1, s2, s3), k4, kc, a0, b0, b1, b2, b3), alpha, beta);
  combine(c + 16, dotTail(hsum4(s4, s5, s6, s7), k4, kc, a0, b4, b5, b6, b7), alpha, beta);
}
