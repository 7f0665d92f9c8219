/**
 * Vector ops. Memory-bound and cheap, so single-threaded, except the sum of squares: it is computed as f64
 * partial sums over fixed blocks of SUMSQ_BLOCK elements, which the JS side then adds in order. The blocks do not
 * depend on the thread count, so neither does the result.
 */
import { ld, st, splat, lowF64, highF64, hsumF64, at, partStart } from './simd';

export const SUMSQ_BLOCK: i32 = 16384;

export function sumSquaresBlock(): i32 {
  return SUMSQ_BLOCK;
}

export function fill(x: usize, n: i32, value: f32): void {
  const v = splat(value);
  for (let i = 0; i < n; i += 4) st(at(x, i), v, n - i);
}

export function copy(n: i32, src: usize, dst: usize): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** y += a·x */
export function axpy(n: i32, a: f32, x: usize, y: usize): void {
  const av = splat(a);
  for (let i = 0; i < n; i += 4) {
    const r = n - i;
    st(at(y, i), f32x4.add(ld(at(y, i), r), f32x4.mul(av, ld(at(x, i), r))), r);
  }
}

/** x *= a */
export function scale(n: i32, a: f32, x: usize): void {
  const av = splat(a);
  for (let i = 0; i < n; i += 4) {
    const r = n - i;
    st(at(x, i), f32x4.mul(ld(at(x, i), r), av), r);
  }
}

/** out = x ⊙ m */
export function mul(n: i32, x: usize, m: usize, out: usize): void {
  for (let i = 0; i < n; i += 4) {
    const r = n - i;
    st(at(out, i), f32x4.mul(ld(at(x, i), r), ld(at(m, i), r)), r);
  }
}

/** x = clamp(x, −t, t); NaN stays NaN. */
export function clampAbs(n: i32, x: usize, t: f32): void {
  const hi = splat(t), lo = splat(-t);
  for (let i = 0; i < n; i += 4) {
    const r = n - i;
    const v = ld(at(x, i), r);
    // pmin/pmax keep the first operand when the comparison is false, so NaN passes through
    st(at(x, i), f32x4.pmax(f32x4.pmin(v, hi), lo), r);
  }
}

/** partials[blk] = Σ x² (f64) over block blk of SUMSQ_BLOCK elements, for this part's blocks. */
export function sumSquares(n: i32, x: usize, partials: usize, part: i32, nparts: i32): void {
  const blocks = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
  const b1 = partStart(blocks, part + 1, nparts, 1);
  for (let b = partStart(blocks, part, nparts, 1); b < b1; b++) {
    const i0 = b * SUMSQ_BLOCK, i1 = min(n, i0 + SUMSQ_BLOCK);
    let s0 = f64x2.splat(0), s1 = s0;
    for (let i = i0; i < i1; i += 4) {
      const v = ld(at(x, i), i1 - i);
      const lo = lowF64(v), hi = highF64(v);
      s0 = f64x2.add(s0, f64x2.mul(lo, lo)); s1 = f64x2.add(s1, f64x2.mul(hi, hi));
    }
    store<f64>(partials + (<usize>b << 3), hsumF64(f64x2.add(s0, s1)));
  }
}
