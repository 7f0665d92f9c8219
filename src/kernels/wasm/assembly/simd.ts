/**
 * Small SIMD building blocks shared by every kernel file.
 *
 * `fma` is the one place where the relaxed-SIMD build differs from the plain one: with relaxed SIMD it is a fused
 * multiply-add where the hardware has one, otherwise a multiply then an add. Everything else is plain SIMD128.
 * `ld`/`st` let elementwise loops run the same vector code on a row's last 1..3 elements (zero-padded lanes), so a
 * tail never takes a separate scalar path with different rounding.
 */

@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** Load 4 lanes, or the first r < 4 lanes with zeros after them. */
@inline export function ld(p: usize, r: i32): v128 {
  return r >= 4 ? v128.load(p) : ldTail(p, r);
}

/** Store 4 lanes, or only the first r < 4. */
@inline export function st(p: usize, v: v128, r: i32): void {
  if (r >= 4) v128.store(p, v);
  else stTail(p, v, r);
}

function ldTail(p: usize, r: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (r > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (r > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

function stTail(p: usize, v: v128, r: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (r > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (r > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** [Σa, Σb, Σc, Σd]: the horizontal sums of four vectors, in a fixed order. */
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** Σ of the two f64 lanes. */
@inline export function hsumF64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** The low and high halves of an f32x4 widened to f64x2. */
@inline export function lowF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline export function highF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Element range [start, end) of part `part` of `nparts` over n items, split at multiples of `align`. */
@inline export function partStart(n: i32, part: i32, nparts: i32, align: i32): i32 {
  const units = (n + align - 1) / align;
  const s = <i32>((<i64>units * part) / nparts) * align;
  return s < n ? s : n;
}

/** All-ones in the first r lanes, zeros after: masks a zero-padded tail out of a reduction. */
@inline export function laneMask(r: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(r));
}

/** Whether row b is held by the mask (mask = 0: no mask). */
@inline export function held(mask: usize, b: i32): bool {
  return mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0;
}

/** Byte address of element `index` of an f32 array at `base`. */
@inline export function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}
