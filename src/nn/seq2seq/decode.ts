/**
 * Decoding a trained model: greedy (the most likely token at every step) and length-normalised beam search
 * (the K best partial outputs kept at every step; a finished output is scored by its log-probability,
 * <eos> included, divided by its length in tokens, <eos> counted). Both stop at <eos> or after maxLen tokens.
 */
import { BOS, EOS } from './config.js';
import type { Seq2Seq } from './model.js';

/** log softmax of row r of logits [rows×V], into out. */
function logSoftmaxRow(logits: Float32Array, r: number, V: number, out: Float64Array): void {
  let mx = -Infinity;
  for (let j = 0; j < V; j++) mx = Math.max(mx, logits[r * V + j]);
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(logits[r * V + j] - mx);
  const lse = mx + Math.log(sum);
  for (let j = 0; j < V; j++) out[j] = logits[r * V + j] - lse;
}

/** Per sequence: output ids (no bos/eos) and the attention weights of each output step [T_out × S] (null without attention). */
export function greedy(m: Seq2Seq, src: Int32Array, srcLen: Int32Array, B: number, S: number, maxLen: number):
  { ids: Int32Array[]; attention: Float32Array[] | null } {
  const V = m.config.tgt_vocab, st = m.start(src, srcLen, B, S);
  const out: number[][] = Array.from({ length: B }, () => []);
  const att: number[][] = Array.from({ length: B }, () => []);
  const done = new Uint8Array(B), tokens = new Int32Array(B).fill(BOS);
  let withAtt = false;
  try {
    for (let t = 0; t < maxLen && done.some((d) => d === 0); t++) {
      const { logits, attention } = m.step(st, tokens);
      withAtt = attention !== null;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        let best = 0;
        for (let j = 1; j < V; j++) if (logits[b * V + j] > logits[b * V + best]) best = j;
        tokens[b] = best;
        if (best === EOS) { done[b] = 1; continue; }
        out[b].push(best);
        if (attention) for (let s = 0; s < S; s++) att[b].push(attention[b * S + s]);
      }
    }
  } finally { m.freeState(st); }
  return { ids: out.map((o) => Int32Array.from(o)), attention: withAtt ? att.map((a) => Float32Array.from(a)) : null };
}

interface Hyp { ids: number[]; logp: number; att: number[] }

/** One sequence (ids [srcLen]): the best output under length-normalised log-probability, and its weights [T_out × S]. */
export function beam(m: Seq2Seq, src: Int32Array, srcLen: number, K: number, maxLen: number):
  { ids: Int32Array; score: number; attention: Float32Array | null } {
  if (!(Number.isInteger(K) && K >= 1)) throw new Error(`beam width must be a positive integer, got ${K}`);
  const V = m.config.tgt_vocab, S = srcLen;
  // K rows of the same source (time-major: row s·K + k)
  const rep = new Int32Array(S * K);
  for (let s = 0; s < S; s++) rep.fill(src[s], s * K, (s + 1) * K);
  const st = m.start(rep, new Int32Array(K).fill(S), K, S);
  let live: Hyp[] = [{ ids: [], logp: 0, att: [] }];
  const finished: { hyp: Hyp; score: number }[] = [];
  const lp = new Float64Array(V), tokens = new Int32Array(K).fill(BOS);
  let withAtt = false;
  try {
    for (let t = 0; t < maxLen && live.length > 0 && finished.length < K; t++) {
      const { logits, attention } = m.step(st, tokens);
      withAtt = attention !== null;
      const cands: { row: number; id: number; logp: number }[] = [];
      live.forEach((h, row) => {
        logSoftmaxRow(logits, row, V, lp);
        for (let j = 0; j < V; j++) cands.push({ row, id: j, logp: h.logp + lp[j] });
      });
      cands.sort((a, b) => b.logp - a.logp || a.row - b.row || a.id - b.id);
      const next: Hyp[] = [], rows: number[] = [];
      for (const cnd of cands) {
        if (next.length + finished.length >= K) break;
        const h = live[cnd.row];
        const a = attention ? h.att.concat(Array.from(attention.subarray(cnd.row * S, (cnd.row + 1) * S))) : h.att;
        if (cnd.id === EOS) finished.push({ hyp: { ids: h.ids, logp: cnd.logp, att: h.att }, score: cnd.logp / (h.ids.length + 1) });
        else { next.push({ ids: [...h.ids, cnd.id], logp: cnd.logp, att: a }); rows.push(cnd.row); }
      }
      live = next;
      if (live.length === 0) break;
      // rows past the live hypotheses repeat row 0 (they are never read)
      const order = Int32Array.from({ length: K }, (_, i) => rows[i] ?? rows[0]);
      m.reorder(st, order);
      for (let i = 0; i < K; i++) tokens[i] = live[i]?.ids[live[i].ids.length - 1] ?? BOS;
    }
  } finally { m.freeState(st); }
  const pool = finished.length > 0 ? finished : live.map((h) => ({ hyp: h, score: h.logp / Math.max(1, h.ids.length) }));
  let best = pool[0];
  for (const p of pool) if (p.score > best.score) best = p;
  return { ids: Int32Array.from(best.hyp.ids), score: best.score, attention: withAtt ? Float32Array.from(best.hyp.att) : null };
}
