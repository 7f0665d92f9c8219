/**
 * Refusing numbers that only look like results. A model file's weights are finite (the reader checks),
 * yet weights of 1e30 make every logit about 5e30, where float32 has no digits left for the softmax:
 * the loss came out as exactly 0 and sampling drew uniformly. Past MAX_LOGIT (or at Inf/NaN) a model's
 * outputs are refused with an error that names the tensor most likely to blame, the one holding the
 * largest weight. Platform-free.
 */
import type { Params } from '../nn/params.js';

/**
 * Largest |output| accepted: float32 spacing there is 1/8, so a softmax loss is still good to about
 * 0.1 nat; a trained character model's logits stay below 100.
 */
export const MAX_OUTPUT = 2 ** 20;

export class NonFiniteError extends Error {}

/** The tensor holding the largest |weight|, with that weight. */
export function largestWeight(params: Params): { name: string; value: number } | null {
  let best: { name: string; value: number } | null = null;
  for (const v of params.views) {
    for (let i = v.offset; i < v.offset + v.size; i++) {
      const w = params.data[i];
      if (best === null || !(Math.abs(w) <= Math.abs(best.value))) best = { name: v.name, value: w };
    }
  }
  return best;
}

/** The error for outputs that overflowed, naming what `what` computed and the likely culprit. */
export function overflowError(what: string, value: number, params: Params): NonFiniteError {
  const w = largestWeight(params);
  const blame = w ? `; its largest weight is ${w.value.toPrecision(3)} in tensor ${JSON.stringify(w.name)}` : '';
  const found = Number.isFinite(value) ? `reached ${value.toPrecision(3)}, beyond what float32 can score (|output| ≤ ${MAX_OUTPUT})` : `is ${value}`;
  return new NonFiniteError(`${what} ${found}: the model's arithmetic overflows${blame}`);
}

/** Throw overflowError unless out[from, from + n) are all finite and within ±MAX_OUTPUT. */
export function checkOutputs(out: ArrayLike<number>, from: number, n: number, params: Params, what = "the model's output"): void {
  for (let i = from; i < from + n; i++) {
    const v = out[i];
    if (!(Math.abs(v) <= MAX_OUTPUT)) throw overflowError(what, v, params);
  }
}
