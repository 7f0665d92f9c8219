/**
 * Random batches and state copies for the gradient and parity tests: the same draws in every test that uses them.
 */
import type { Model, Batch, RecurrentState } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';

/** A copy of `s` (so that each finite-difference evaluation starts from the same state). */
export function cloneState(m: Model, s: RecurrentState): RecurrentState {
  const c = m.newState(s.B, new Rng(0));
  s.h.forEach((h, i) => c.h[i].set(h));
  s.c.forEach((x, i) => c.c[i].set(x));
  if (s.fb) c.fb!.set(s.fb);
  c.fresh.set(s.fresh);
  return c;
}

/**
 * Random inputs and targets for `m`'s config. `padTokens`: token inputs at padded steps hold −1 (which recur
 * allows there), instead of a drawn id.
 */
export function makeBatch(m: Model, T: number, B: number, rng: Rng, lengths?: number[], opts: { padTokens?: boolean } = {}): Batch {
  const c = m.config, n = c.outputMode === 'every' ? T * B : B, batch: Batch = { T, B };
  const real = (i: number): boolean => !opts.padTokens || !lengths || Math.floor(i / B) < lengths[i % B];
  if (c.inputKind === 'tokens') batch.tokens = Int32Array.from({ length: T * B }, (_, i) => (real(i) ? rng.int(c.inputSize) : -1));
  else batch.inputs = Array.from({ length: T * B * c.inputSize }, () => rng.normal());
  if (c.head === 'softmax') batch.targets = Int32Array.from({ length: n }, () => rng.int(c.outputSize));
  else batch.targetValues = Array.from({ length: n * c.outputSize }, () => rng.normal());
  if (lengths) batch.lengths = Int32Array.from(lengths);
  return batch;
}
