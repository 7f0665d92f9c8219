/**
 * Attention kernels (nn/seq2seq/attention.ts): the softmax over a masked source axis and Bahdanau's additive
 * score over every (t, s) pair with its backward. Scores are [T×B×S], row (t, b); q rows t·B+b, k rows s·B+b.
 */
import { ld, st, splat, laneMask, at, partStart } from './simd';
import { exp4, tanh4 } from './math';

/** Σ of the four lanes of v, in f32. */
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

export function maskedSoftmax(T: i32, B: i32, S: i32, x: usize, out: usize, lengths: usize): void {
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    const r = t * B + b, xi = at(x, r * S), oi = at(out, r * S);
    const n = min(S, max(0, load<i32>(lengths + (<usize>b << 2))));
    let mx: f32 = -Infinity;
    for (let s = 0; s < n; s++) mx = max(mx, load<f32>(at(xi, s)));
    let sum = splat(0);
    for (let s = 0; s < n; s += 4) {
      const w = n - s;
      let e = exp4(f32x4.sub(ld(at(xi, s), w), splat(mx)));
      if (w < 4) e = v128.and(e, laneMask(w));
      st(at(oi, s), e, w);
      sum = f32x4.add(sum, e);
    }
    const inv = splat(<f32>1 / hsum(sum));
    for (let s = 0; s < n; s += 4) { const w = n - s; st(at(oi, s), f32x4.mul(ld(at(oi, s), w), inv), w); }
    for (let s = n; s < S; s++) store<f32>(at(oi, s), 0);
  }
}

export function additiveScore(T: i32, B: i32, S: i32, A: i32, q: usize, k: usize, v: usize, out: usize, part: i32, nparts: i32): void {
  const r1 = partStart(T * B, part + 1, nparts, 1);
  for (let r = partStart(T * B, part, nparts, 1); r < r1; r++) {
    const b = r % B, qi = at(q, r * A), oi = at(out, r * S);
    for (let s = 0; s < S; s++) {
      const ki = at(k, (s * B + b) * A);
      let acc = splat(0);
      for (let a = 0; a < A; a += 4) {
        const w = A - a;
        // lanes past A load zeros, and v is zero there: they add nothing
        acc = f32x4.add(acc, f32x4.mul(ld(at(v, a), w), tanh4(f32x4.add(ld(at(qi, a), w), ld(at(ki, a), w)))));
      }
      store<f32>(at(oi, s), hsum(acc));
    }
  }
}

export function additiveScoreBackward(T: i32, B: i32, S: i32, A: i32, q: usize, k: usize, v: usize, dout: usize,
  dq: usize, dk: usize, dv: usize): void {
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    const qi = at(q, (t * B + b) * A), dqi = at(dq, (t * B + b) * A), di = at(dout, (t * B + b) * S);
    for (let s = 0; s < S; s++) {
      const ki = at(k, (s * B + b) * A), dki = at(dk, (s * B + b) * A), d = splat(load<f32>(at(di, s)));
      for (let a = 0; a < A; a += 4) {
        const w = A - a;
        const e = tanh4(f32x4.add(ld(at(qi, a), w), ld(at(ki, a), w)));
        const g = f32x4.mul(f32x4.mul(d, ld(at(v, a), w)), f32x4.sub(splat(1), f32x4.mul(e, e)));
        st(at(dqi, a), f32x4.add(ld(at(dqi, a), w), g), w);
        st(at(dki, a), f32x4.add(ld(at(dki, a), w), g), w);
        st(at(dv, a), f32x4.add(ld(at(dv, a), w), f32x4.mul(d, e)), w);
      }
    }
  }
}
