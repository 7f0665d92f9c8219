/**
 * Learning BPE merges from a text (Sennrich et al. 2016; byte-level and pre-split like GPT-2).
 *
 * Why recur has its own trainer: the npm registry's tokenizer libraries either only encode with a
 * vocabulary made elsewhere (tiktoken, gpt-tokenizer, @huggingface/tokenizers' JavaScript port,
 * @xenova/transformers) or train through a native Rust addon that does not run in a browser
 * (tokenizers). recur's core runs in the page too, and the trainer is a hundred lines.
 *
 * The text's pieces (pieces.ts) are counted once; each distinct piece is a word of byte ids with its
 * count. The pair counts are kept incrementally: a merge of (a, b) rewrites only the words that
 * contain it (an index from each pair to its words), subtracting their old pairs and adding their new
 * ones. The most frequent pair comes from a max-heap whose entries may be stale; a popped entry whose
 * count is no longer the pair's is pushed back with the current count. Ties go to the smaller pair
 * (a, then b), so the merges depend on the text alone. Training stops at the vocabulary size or when
 * no pair occurs twice.
 */
import { pieces } from './pieces.js';
import { utf8 } from './tokenizer.js';
import { MAX_MERGES, pairKey } from './bpe.js';

const PAIR = 0x100000;

/** A max-heap of (count, pair key): larger count first, then smaller key. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number { return this.keys.length; }

  private above(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count); this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!this.above(i, up)) break;
      this.swap(i, up); i = up;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const last = this.keys.length - 1;
    this.swap(0, last); this.counts.pop(); this.keys.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < last && this.above(l, m)) m = l;
      if (r < last && this.above(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m); i = m;
    }
    return top;
  }
}

/** The merges of a BPE vocabulary of at most `vocabSize` ids (256 bytes + merges) learned from `text`. */
export function trainBpe(text: string, vocabSize: number): [number, number][] {
  if (!(Number.isInteger(vocabSize) && vocabSize >= 256)) throw new Error(`a BPE vocabulary size must be an integer ≥ 256 (the bytes), got ${vocabSize}`);
  const wanted = Math.min(vocabSize - 256, MAX_MERGES);
  const counts = new Map<string, number>();
  for (const p of pieces(text)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const words: number[][] = [], freq: number[] = [];
  for (const [p, n] of counts) { words.push(Array.from(utf8(p))); freq.push(n); }

  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const changed = new Set<number>();
  const add = (w: number, sign: 1 | -1): void => {
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const k = pairKey(s[i], s[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * freq[w]);
      changed.add(k);
      if (sign > 0) { let ws = where.get(k); if (!ws) where.set(k, ws = new Set()); ws.add(w); }
    }
  };
  for (let w = 0; w < words.length; w++) add(w, 1);
  const heap = new PairHeap();
  for (const [k, n] of pairCount) heap.push(n, k);
  changed.clear();

  const merges: [number, number][] = [];
  while (merges.length < wanted && heap.size > 0) {
    const top = heap.pop();
    const now = pairCount.get(top.key) ?? 0;
    if (now !== top.count) { if (now > 0) heap.push(now, top.key); continue; }
    if (now < 2) break;
    const a = Math.floor(top.key / PAIR), b = top.key % PAIR, z = 256 + merges.length;
    merges.push([a, b]);
    // Words leave `where` lazily: one that no longer holds the pair is rewritten to itself.
    for (const w of where.get(top.key)!) {
      add(w, -1);
      const s = words[w], next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { next.push(z); i++; } else next.push(s[i]);
      }
      words[w] = next;
      add(w, 1);
    }
    where.delete(top.key);
    for (const k of changed) { const n = pairCount.get(k)!; if (n > 0 && k !== top.key) heap.push(n, k); else if (n <= 0) pairCount.delete(k); }
    changed.clear();
  }
  return merges;
}
