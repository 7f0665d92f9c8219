/**
 * A batch of (source, target) pairs as the reference scores them: time-major, padded with PAD.
 *   encoder input   x_1 … x_S          (no <bos>/<eos> on the source)
 *   decoder input   <bos>, y_1 … y_T
 *   decoder target  y_1 … y_T, <eos>   (PAD in tgtOut carries no loss)
 */
import { BOS, EOS, PAD } from './config.js';

export interface PairBatch {
  /** Longest source, longest target + 1, number of pairs. */
  S: number;
  T: number;
  B: number;
  /** [S·B] source ids, row s·B + b. */
  src: Int32Array;
  /** [B] real source lengths (1 … S). */
  srcLen: Int32Array;
  /** [T·B] decoder inputs and targets, row t·B + b. */
  tgtIn: Int32Array;
  tgtOut: Int32Array;
}

/** (source ids, target ids without bos/eos) pairs → a padded time-major batch. */
export function makePairBatch(pairs: readonly (readonly [Int32Array, Int32Array])[]): PairBatch {
  const B = pairs.length;
  if (B === 0) throw new Error('a batch needs at least one pair');
  let S = 0, T = 0;
  for (const [x, y] of pairs) {
    if (x.length === 0) throw new Error('a source needs at least one token');
    S = Math.max(S, x.length); T = Math.max(T, y.length + 1);
  }
  const src = new Int32Array(S * B).fill(PAD), tgtIn = new Int32Array(T * B).fill(PAD), tgtOut = new Int32Array(T * B).fill(PAD);
  const srcLen = new Int32Array(B);
  pairs.forEach(([x, y], b) => {
    srcLen[b] = x.length;
    x.forEach((id, s) => { src[s * B + b] = id; });
    tgtIn[b] = BOS;
    y.forEach((id, t) => { tgtIn[(t + 1) * B + b] = id; tgtOut[t * B + b] = id; });
    tgtOut[y.length * B + b] = EOS;
  });
  return { S, T, B, src, srcLen, tgtIn, tgtOut };
}
