/**
 * Word tokens: the pieces of the pre-split (pieces.ts: " whale", ",", "\n\n", ...), the most frequent
 * of the training text up to the vocabulary size, every other piece <unk> (id 0). Case and spacing
 * are kept, so decode(encode(x)) == x for a text whose pieces are all in the vocabulary.
 */
import { decodePiece } from '../piece-error.js';
import { cutAtPiece, MAX_PIECE, pieces } from './pieces.js';
import { checkId, UNK, type Tokenizer } from './tokenizer.js';

/** Longest word (UTF-16 units) a file may hold: no piece is longer (pieces.ts). */
export const MAX_WORD_LENGTH = MAX_PIECE;

export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  private readonly ids = new Map<string, number>();

  /** `words[0]` is <unk>; the rest are distinct pieces. */
  constructor(readonly words: readonly string[]) {
    if (words[0] !== UNK) throw new Error(`a word vocabulary starts with ${UNK}`);
    words.forEach((w, i) => {
      if (typeof w !== 'string' || w === '' || w.length > MAX_WORD_LENGTH) throw new Error(`word ${i} is not a piece of text of at most ${MAX_WORD_LENGTH} characters`);
      if (this.ids.has(w)) throw new Error(`word ${i} repeats ${JSON.stringify(w.slice(0, 40))}`);
      this.ids.set(w, i);
    });
  }

  get size(): number { return this.words.length; }

  /** The maxSize - 1 most frequent pieces of `text` and <unk>; ties in code-unit order (deterministic). */
  static fromText(text: string, maxSize: number): WordTokenizer {
    if (!(Number.isInteger(maxSize) && maxSize >= 2)) throw new Error(`a word vocabulary size must be an integer ≥ 2, got ${maxSize}`);
    const counts = new Map<string, number>();
    for (const p of pieces(text)) counts.set(p, (counts.get(p) ?? 0) + 1);
    counts.delete(UNK);
    const kept = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, maxSize - 1);
    return new WordTokenizer([UNK, ...kept.map(([w]) => w)]);
  }

  encode(text: string): Int32Array {
    return Int32Array.from(pieces(text), (p) => this.ids.get(p) ?? 0);
  }

  encodeBytes(bytes: Uint8Array): Int32Array { return this.encode(decodePiece(bytes)); }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) { checkId(ids[i], this.size, i); s += this.words[ids[i]]; }
    return s;
  }

  cut(bytes: Uint8Array, start: number, end: number): number { return cutAtPiece(bytes, start, end); }

  toJSON(): { kind: 'word'; words: string[] } { return { kind: 'word', words: [...this.words] }; }
}
