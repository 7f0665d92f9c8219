/**
 * Central finite differences against an analytic gradient (float64 JS backend): every parameter, and the dense
 * inputs when their gradient was asked for. `objective` reruns the forward pass from the same state and masks.
 */
import assert from 'node:assert/strict';
import type { Model } from '../../src/nn/model.js';

const EPS = 1e-6;
const close = (num: number, an: number): boolean => Math.abs(num - an) <= 1e-8 + 1e-6 * Math.abs(num);

/** d objective / d θ for every parameter of `m` against `analytic`; returns (entries checked, largest |numeric|). */
export function checkParamGrads(m: Model, analytic: Float64Array, objective: () => number, label: string, what = 'loss'): { checked: number; maxAbs: number } {
  const p = m.params.data;
  let checked = 0, maxAbs = 0;
  for (const v of m.params.views) {
    for (let i = v.offset; i < v.offset + v.size; i++) {
      const old = p[i];
      p[i] = old + EPS; const lp = objective();
      p[i] = old - EPS; const lm = objective();
      p[i] = old;
      const num = (lp - lm) / (2 * EPS), an = analytic[i];
      maxAbs = Math.max(maxAbs, Math.abs(num));
      if (!close(num, an)) assert.fail(`${label}: d ${what} / d ${v.name}[${i - v.offset}] analytic ${an}, numeric ${num}`);
      checked++;
    }
  }
  return { checked, maxAbs };
}

/** d objective / d x for the values `xs` (dense inputs, or any operand; changed in place and restored) against `dx`. */
export function checkInputGrads(xs: { [i: number]: number; length: number }, dx: ArrayLike<number>, objective: () => number, what = 'loss', name = 'x'): void {
  for (let i = 0; i < xs.length; i++) {
    const old = xs[i];
    xs[i] = old + EPS; const lp = objective();
    xs[i] = old - EPS; const lm = objective();
    xs[i] = old;
    const num = (lp - lm) / (2 * EPS);
    if (!close(num, dx[i])) assert.fail(`d ${what} / d ${name}[${i}]: analytic ${dx[i]}, numeric ${num}`);
  }
}
