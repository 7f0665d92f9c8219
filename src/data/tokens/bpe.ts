/**
 * Byte-level BPE tokens (GPT-2's kind): ids 0..255 are the bytes, id 256 + i is merge i, the pair of
 * earlier ids (a, b) it joins. A text is cut into pieces (pieces.ts); each piece's UTF-8 bytes are
 * joined by the merges in the order they were learned (bpe-train.ts). Every byte has an id, so there
 * is nothing unknown and no <unk>; a sample may still stop inside a character, and decode() shows an
 * unfinished or invalid byte sequence as U+FFFD.
 */
import { decodePiece } from '../piece-error.js';
import { cutAtPiece, pieces } from './pieces.js';
import { checkId, lenientUtf8, utf8, type Tokenizer } from './tokenizer.js';

/** Most merges a tokenizer may have (ids stay below 2^20, so a pair packs into one number below). */
export const MAX_MERGES = (1 << 20) - 256;
export const pairKey = (a: number, b: number): number => a * 0x100000 + b;
/** Pieces remembered with their ids: text repeats its words, so most pieces are looked up, not merged. */
const CACHE_LIMIT = 1 << 16;

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly size: number;
  /** Rank (merge index) of each pair. */
  private readonly rank = new Map<number, number>();
  /** The bytes of each id. */
  private readonly bytesOf: Uint8Array[] = [];
  private readonly cache = new Map<string, Int32Array>();

  /** `merges[i]` = [a, b] with a, b < 256 + i: the pair that id 256 + i stands for. */
  constructor(readonly merges: readonly (readonly [number, number])[]) {
    if (merges.length > MAX_MERGES) throw new Error(`${merges.length} merges are more than the limit of ${MAX_MERGES}`);
    for (let b = 0; b < 256; b++) this.bytesOf.push(Uint8Array.of(b));
    merges.forEach((m, i) => {
      const ok = Array.isArray(m) && m.length === 2 && m.every((x) => Number.isInteger(x) && x >= 0 && x < 256 + i);
      if (!ok) throw new Error(`merge ${i} is not a pair of earlier ids`);
      const k = pairKey(m[0], m[1]);
      if (this.rank.has(k)) throw new Error(`merge ${i} repeats merge ${this.rank.get(k)}`);
      this.rank.set(k, i);
      const x = this.bytesOf[m[0]], y = this.bytesOf[m[1]], xy = new Uint8Array(x.length + y.length);
      xy.set(x); xy.set(y, x.length);
      this.bytesOf.push(xy);
    });
    this.size = 256 + merges.length;
  }

  encode(text: string): Int32Array {
    const parts = pieces(text).map((p) => this.encodePiece(p));
    const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    let n = 0;
    for (const p of parts) { out.set(p, n); n += p.length; }
    return out;
  }

  encodeBytes(bytes: Uint8Array): Int32Array { return this.encode(decodePiece(bytes)); }

  /** The merges applied to one piece, lowest rank first, each joining every occurrence left to right. */
  private encodePiece(piece: string): Int32Array {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let ids = Array.from(utf8(piece));
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank.get(pairKey(ids[i], ids[i + 1]));
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const [a, b] = this.merges[best], z = 256 + best, next: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) { next.push(z); i++; } else next.push(ids[i]);
      }
      ids = next;
    }
    const out = Int32Array.from(ids);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(piece, out);
    return out;
  }

  /** The bytes an id stands for (a sampler prints them as they come). */
  bytes(id: number): Uint8Array { checkId(id, this.size, 0); return this.bytesOf[id]; }

  decode(ids: ArrayLike<number>): string {
    let n = 0;
    for (let i = 0; i < ids.length; i++) { checkId(ids[i], this.size, i); n += this.bytesOf[ids[i]].length; }
    const out = new Uint8Array(n);
    n = 0;
    for (let i = 0; i < ids.length; i++) { out.set(this.bytesOf[ids[i]], n); n += this.bytesOf[ids[i]].length; }
    return lenientUtf8(out);
  }

  cut(bytes: Uint8Array, start: number, end: number): number { return cutAtPiece(bytes, start, end); }

  /** Merges as one flat list [a0, b0, a1, b1, ...]: half the JSON of a list of pairs. */
  toJSON(): { kind: 'bpe'; merges: number[] } { return { kind: 'bpe', merges: this.merges.flat() }; }
}
