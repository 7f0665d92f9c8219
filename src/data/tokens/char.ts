/**
 * Character tokens: one id per Unicode code point, the ids of data/text.ts's Vocab (code-point order),
 * so a char tokenizer without <unk> numbers a text exactly as every model file before it did. With a
 * vocabulary size (--vocab-size) only the most frequent characters keep an id, and <unk> is the last
 * id, after them: a CJK corpus of 20k distinct characters then trains a head of the chosen width.
 */
import { decodePiece, PieceError } from '../piece-error.js';
import { Vocab } from '../text.js';
import { checkId, UNK, type Tokenizer } from './tokenizer.js';

/** Decoded form of <unk> in a character text: one replacement character, as wide as the symbol it hides. */
const UNK_CHAR = '\uFFFD';

/** Bytes of the UTF-8 sequence that starts with `lead`. */
const seqLength = (lead: number): number => (lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly size: number;
  /** Id of <unk>, or -1 when every character of the vocabulary is its own and unknown ones are errors. */
  readonly unk: number;

  constructor(readonly vocab: Vocab, withUnk = false) {
    this.unk = withUnk ? vocab.size : -1;
    this.size = vocab.size + (withUnk ? 1 : 0);
  }

  /**
   * The characters of `text`; with `maxSize`, the maxSize - 1 most frequent (ties: lower code point
   * first) and <unk>, unless every character fits.
   */
  static fromText(text: string, maxSize?: number): CharTokenizer {
    const all = Vocab.fromText(text);
    if (maxSize === undefined || all.size <= maxSize) return new CharTokenizer(all);
    if (!(Number.isInteger(maxSize) && maxSize >= 2)) throw new Error(`a character vocabulary size must be an integer ≥ 2, got ${maxSize}`);
    const counts = new Map<string, number>();
    for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const kept = [...counts].sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!).slice(0, maxSize - 1);
    return new CharTokenizer(new Vocab(kept.map(([ch]) => ch)), true);
  }

  encode(text: string): Int32Array {
    if (this.unk < 0) return this.vocab.encode(text);
    const out = new Int32Array(text.length);
    let n = 0;
    for (const ch of text) { const id = this.vocab.index(ch); out[n++] = id < 0 ? this.unk : id; }
    return out.slice(0, n);
  }

  /** An unknown character (without <unk>) or invalid UTF-8 is a PieceError naming its byte in the piece. */
  encodeBytes(bytes: Uint8Array): Int32Array {
    const text = decodePiece(bytes);
    if (this.unk >= 0) return this.encode(text);
    const out = new Int32Array(text.length);
    let n = 0, at = 0;
    for (const ch of text) {
      const id = this.vocab.index(ch);
      if (id < 0) {
        const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        throw new PieceError(`character ${JSON.stringify(ch)} (U+${code})`, at, 'is not in the vocabulary');
      }
      out[n++] = id;
      at += seqLength(bytes[at]);
    }
    return out.subarray(0, n);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      checkId(ids[i], this.size, i);
      s += ids[i] === this.unk ? UNK_CHAR : this.vocab.chars[ids[i]];
    }
    return s;
  }

  /** A code-point boundary: not in front of a continuation byte (10xxxxxx). */
  cut(bytes: Uint8Array, start: number, end: number): number {
    let p = end;
    while (p > start && p < bytes.length && (bytes[p] & 0xc0) === 0x80) p--;
    return p;
  }

  toJSON(): { kind: 'char'; chars: string[]; unk?: string } {
    return { kind: 'char', chars: [...this.vocab.chars], ...(this.unk >= 0 ? { unk: UNK } : {}) };
  }
}
