/**
 * Optimizer updates (PyTorch semantics), elementwise in f32x4. Multi-threaded calls split the parameter vector in
 * 4-aligned ranges; each element's update is independent, so the split cannot change results.
 * Scalars such as Adam's bias corrections are computed once in f64 by the caller.
 */
import { ld, st, splat, fma, at, partStart } from './simd';

/** PyTorch SGD: g += wd·p; v = μ·v + g (v = g at step 1); p −= lr·(nesterov ? g + μ·v : v). */
export function sgdStep(n: i32, p: usize, g: usize, v: usize, lr: f32, momentum: f32, nesterov: i32, wd: f32,
  first: i32, part: i32, nparts: i32): void {
  const i1 = partStart(n, part + 1, nparts, 4);
  const useV = v != 0 && momentum != 0;
  for (let i = partStart(n, part, nparts, 4); i < i1; i += 4) {
    const r = i1 - i;
    const pv = ld(at(p, i), r);
    let d = f32x4.add(ld(at(g, i), r), f32x4.mul(splat(wd), pv));
    if (useV) {
      const vi = first ? d : f32x4.add(f32x4.mul(splat(momentum), ld(at(v, i), r)), d);
      st(at(v, i), vi, r);
      d = nesterov ? f32x4.add(d, f32x4.mul(splat(momentum), vi)) : vi;
    }
    st(at(p, i), f32x4.sub(pv, f32x4.mul(splat(lr), d)), r);
  }
}

/** PyTorch Adagrad: s += g²; p −= lr·g / (√s + eps). */
export function adagradStep(n: i32, p: usize, g: usize, s: usize, lr: f32, eps: f32, wd: f32, part: i32, nparts: i32): void {
  const i1 = partStart(n, part + 1, nparts, 4);
  for (let i = partStart(n, part, nparts, 4); i < i1; i += 4) {
    const r = i1 - i;
    const pv = ld(at(p, i), r);
    const d = f32x4.add(ld(at(g, i), r), f32x4.mul(splat(wd), pv));
    const sv = f32x4.add(ld(at(s, i), r), f32x4.mul(d, d));
    st(at(s, i), sv, r);
    st(at(p, i), f32x4.sub(pv, f32x4.div(f32x4.mul(splat(lr), d), f32x4.add(f32x4.sqrt(sv), splat(eps)))), r);
  }
}

/** PyTorch RMSprop (no centring): s = α·s + (1−α)·g²; p −= lr·g / (√s + eps). */
export function rmspropStep(n: i32, p: usize, g: usize, s: usize, lr: f32, alpha: f32, eps: f32, wd: f32,
  part: i32, nparts: i32): void {
  const i1 = partStart(n, part + 1, nparts, 4);
  for (let i = partStart(n, part, nparts, 4); i < i1; i += 4) {
    const r = i1 - i;
    const pv = ld(at(p, i), r);
    const d = f32x4.add(ld(at(g, i), r), f32x4.mul(splat(wd), pv));
    const sv = f32x4.add(f32x4.mul(splat(alpha), ld(at(s, i), r)), f32x4.mul(f32x4.mul(splat(1 - alpha), d), d));
    st(at(s, i), sv, r);
    st(at(p, i), f32x4.sub(pv, f32x4.div(f32x4.mul(splat(lr), d), f32x4.add(f32x4.sqrt(sv), splat(eps)))), r);
  }
}

/**
 * Adam / AdamW with the per-step factors computed once by the caller (src/train/optim.ts): stepSize = lr / (1 − β1^t),
 * invSq = 1 / √(1 − β2^t), decay = 1 − lr·wd for decoupled decay (else 1) and l2 = wd for coupled decay (else 0).
 */
export function adamStep(n: i32, p: usize, g: usize, m: usize, v: usize, beta1: f32, beta2: f32, eps: f32,
  stepSize: f32, invSq: f32, decay: f32, l2: f32, part: i32, nparts: i32): void {
  const i1 = partStart(n, part + 1, nparts, 4);
  for (let i = partStart(n, part, nparts, 4); i < i1; i += 4) {
    const r = i1 - i;
    let pv = ld(at(p, i), r);
    let d = ld(at(g, i), r);
    d = fma(splat(l2), pv, d);
    pv = f32x4.mul(pv, splat(decay));
    const mv = f32x4.add(f32x4.mul(splat(beta1), ld(at(m, i), r)), f32x4.mul(splat(1 - beta1), d));
    const vv = f32x4.add(f32x4.mul(splat(beta2), ld(at(v, i), r)), f32x4.mul(f32x4.mul(splat(1 - beta2), d), d));
    st(at(m, i), mv, r); st(at(v, i), vv, r);
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), splat(invSq)), splat(eps));
    st(at(p, i), f32x4.sub(pv, f32x4.div(f32x4.mul(splat(stepSize), mv), denom)), r);
  }
}
