/**
 * Backpropagation through time over long sequences, full or truncated.
 *
 * Full BPTT unrolls the whole sequence once: one forward, one backward, one update. Truncated BPTT
 * (Williams & Peng's TBPTT(k, k), char-rnn's scheme) cuts it into chunks of k steps: each chunk runs
 * forward from the state the previous chunk ended in (the state is carried), backpropagates only
 * within the chunk (the gradient is cut at its start) and takes an update.
 */
import type { Batch } from '../nn/model.js';

/** Steps [t0, t1) of a time-major batch, as a batch of its own (views, no copies). */
export function sliceTime(batch: Batch, t0: number, t1: number, F: number, O: number, every: boolean): Batch {
  const B = batch.B, T = t1 - t0;
  const sub: Batch = { T, B };
  if (batch.tokens) sub.tokens = batch.tokens.subarray(t0 * B, t1 * B);
  if (batch.inputs) sub.inputs = Array.prototype.slice.call(batch.inputs, t0 * B * F, t1 * B * F) as number[];
  if (batch.targets) sub.targets = every ? batch.targets.subarray(t0 * B, t1 * B) : batch.targets;
  if (batch.targetValues) sub.targetValues = every ? Array.prototype.slice.call(batch.targetValues, t0 * B * O, t1 * B * O) as number[] : batch.targetValues;
  if (batch.lengths) sub.lengths = batch.lengths.map((n) => Math.max(1, Math.min(T, n - t0)));
  return sub;
}

/** The chunks of a batch for truncated BPTT with chunk length k (k ≥ T or k = 0: one chunk, full BPTT). */
export function* chunks(batch: Batch, k: number, F: number, O: number, every: boolean): Generator<Batch> {
  if (!(k > 0) || k >= batch.T) { yield batch; return; }
  if (!every) throw new Error('truncated BPTT needs a target at every step (a target at the end sees only the last chunk)');
  for (let t0 = 0; t0 < batch.T; t0 += k) yield sliceTime(batch, t0, Math.min(batch.T, t0 + k), F, O, every);
}
