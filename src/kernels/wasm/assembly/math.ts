/**
 * Vector exp / tanh / sigmoid for f32x4.
 *
 * exp uses the Cephes expf scheme (Cody–Waite range reduction to |r| ≤ ln2/2, degree-5 polynomial, exponent built
 * from integer bits): about 1 ulp. tanh splits at |x| = 0.625: below it an odd polynomial (Cephes tanhf) keeps the
 * relative error small near 0, where 1 − 2/(e^{2x}+1) would cancel; above it the exp form is accurate. Both branches
 * are computed and selected per lane, which is cheaper than branching in SIMD.
 */
import { fma, splat } from './simd';

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.0;       // exp(88) < FLT_MAX with the exponent trick; beyond: +Inf
const EXP_LO: f32 = -87.33654;  // below: results would be subnormal; we return 0
/** 1.5·2^23: adding it rounds to an integer held in the low mantissa bits (no float→int conversion needed). */
const ROUNDER: f32 = 12582912.0;
const ROUNDER_BITS: i32 = 0x4b400000;

/** e^x per lane; +Inf above 88, 0 below −87.3, NaN stays NaN. */
@inline export function exp4(x: v128): v128 {
  // pmin/pmax are single instructions and let NaN through (the poly then keeps it NaN)
  const xc = f32x4.pmin(f32x4.pmax(x, splat(EXP_LO)), splat(EXP_HI));
  const t = fma(xc, splat(LOG2E), splat(ROUNDER));
  const n = f32x4.sub(t, splat(ROUNDER));
  let r = fma(n, splat(-LN2_HI), xc);
  r = fma(n, splat(-LN2_LO), r);
  let y = fma(splat(1.9875691500e-4), r, splat(1.3981999507e-3));
  y = fma(y, r, splat(8.3334519073e-3));
  y = fma(y, r, splat(4.1665795894e-2));
  y = fma(y, r, splat(1.6666665459e-1));
  y = fma(y, r, splat(5.0000001201e-1));
  y = fma(y, f32x4.mul(r, r), f32x4.add(r, splat(1)));
  const pow2n = i32x4.shl(i32x4.sub(t, i32x4.splat(ROUNDER_BITS - 127)), 23);
  const e = v128.andnot(f32x4.mul(y, pow2n), f32x4.lt(x, splat(EXP_LO)));  // underflow → 0
  return v128.bitselect(splat(Infinity), e, f32x4.gt(x, splat(EXP_HI)));   // overflow → +Inf
}

/** tanh per lane, relative error ~1e-7 everywhere including near 0. */
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  // small |x|: x + x·s·P(s), s = x²
  const s = f32x4.mul(x, x);
  let p = fma(splat(-5.70498872745e-3), s, splat(2.06390887954e-2));
  p = fma(p, s, splat(-5.37397155531e-2));
  p = fma(p, s, splat(1.33314422036e-1));
  p = fma(p, s, splat(-3.33332819422e-1));
  const small = fma(f32x4.mul(p, s), x, x);
  // large |x|: 1 − 2/(e^{2|x|} + 1), sign restored by bit copy
  const e = exp4(f32x4.add(ax, ax));
  const t = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  const large = v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, large, f32x4.lt(ax, splat(0.625)));
}

/** 1/(1 + e^{−x}) per lane. */
@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), exp4(f32x4.neg(x))));
}

/** x > 0 ? x : 0 per lane (NaN → 0, as the reference). */
@inline export function relu4(x: v128): v128 {
  return f32x4.pmax(splat(0), x);
}
