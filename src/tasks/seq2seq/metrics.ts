/**
 * Scores of a seq2seq model on pairs: the loss (nats per target token, the end mark included, as the
 * reference's loss) under teacher forcing, and with greedy decoding the exact match (whole output
 * equal to the target) and the token accuracy (target positions, the end mark included, where the
 * output has the same symbol). Platform-free.
 */
import { EOS } from '../../nn/seq2seq/config.js';
import { greedy } from '../../nn/seq2seq/decode.js';
import type { Seq2Seq } from '../../nn/seq2seq/model.js';
import { makePairBatch, type PairBatch } from '../../nn/seq2seq/batch.js';
import type { Pair } from './pairs-tsv.js';
import type { SymbolVocab } from './vocab.js';

export interface Seq2SeqScores {
  /** Mean cross-entropy per target token (nats). */
  loss: number;
  exact: number;
  tokenAccuracy: number;
  count: number;
}

export interface Codec { srcVocab: SymbolVocab; tgtVocab: SymbolVocab }

/** The batch of encoded pairs. */
export const encodePairs = (c: Codec, pairs: readonly Pair[]): PairBatch =>
  makePairBatch(pairs.map(([s, t]) => [c.srcVocab.encode(s), c.tgtVocab.encode(t)]));

/** Matching positions of `out`+<eos> against `want`+<eos>, over the latter's length. */
export function tokenMatches(out: ArrayLike<number>, want: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i <= want.length; i++) {
    const w = i < want.length ? want[i] : EOS, o = i < out.length ? out[i] : i === out.length ? EOS : -1;
    if (o === w) right++;
  }
  return right;
}

const sameIds = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * Loss, exact match and token accuracy over `pairs`, whose targets hold at most `maxTarget` symbols.
 * Decoding goes one symbol further, so that an output which runs on past the end is scored wrong
 * rather than cut to fit.
 */
export function scorePairs(m: Seq2Seq, c: Codec, pairs: readonly Pair[], maxTarget: number, batch = 64): Seq2SeqScores {
  if (pairs.length === 0) throw new Error('no pairs to score');
  // Batches of similar source length pad little.
  const order = [...pairs.keys()].sort((a, b) => pairs[a][0].length - pairs[b][0].length);
  let lossSum = 0, tokens = 0, exact = 0, right = 0, positions = 0;
  for (let i = 0; i < order.length; i += batch) {
    const part = order.slice(i, i + batch).map((k) => pairs[k]);
    const b = encodePairs(c, part);
    const { loss, count } = m.forward(b, { train: false });
    lossSum += loss * count; tokens += count;
    const out = greedy(m, b.src, b.srcLen, b.B, b.S, maxTarget + 1).ids;
    part.forEach(([, t], j) => {
      const want = c.tgtVocab.encode(t);
      if (sameIds(out[j], want)) exact++;
      right += tokenMatches(out[j], want);
      positions += want.length + 1;
    });
  }
  return { loss: lossSum / tokens, exact: exact / pairs.length, tokenAccuracy: right / positions, count: pairs.length };
}
