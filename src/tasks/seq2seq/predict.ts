/**
 * One output of a seq2seq model for a text: greedy decoding or length-normalised beam search, its
 * score (mean log-probability per output symbol, the end mark included: for greedy output, minus the
 * teacher-forced loss of that output), and the attention weights that produced it. Platform-free.
 */
import { makePairBatch } from '../../nn/seq2seq/batch.js';
import { beam, greedy } from '../../nn/seq2seq/decode.js';
import type { LoadedSeq2Seq } from './file.js';

export interface Prediction {
  output: string;
  ids: Int32Array;
  score: number;
  /** [rows × S] row-major, or null without attention. */
  attention: Float32Array | null;
}

/** `beam`: hypotheses kept (0 = greedy). */
export function predictOne(m: LoadedSeq2Seq, text: string, o: { beam: number; maxLen: number }): Prediction {
  const src = m.srcVocab.encode(text), S = src.length;
  if (S === 0) throw new Error('an empty input has nothing to read');
  if (o.beam > 0) {
    const r = beam(m.model, src, S, o.beam, o.maxLen);
    return { output: m.tgtVocab.decode(r.ids), ids: r.ids, score: r.score, attention: r.attention };
  }
  const g = greedy(m.model, src, Int32Array.of(S), 1, S, o.maxLen);
  const ids = g.ids[0];
  const { loss } = m.model.forward(makePairBatch([[src, ids]]), { train: false });
  return { output: m.tgtVocab.decode(ids), ids, score: -loss, attention: g.attention ? g.attention[0] : null };
}
