/**
 * The tokenizer interface of issue 19's contract, and its 'char' kind over a code-point Vocab.
 *
 * Until src/data/tokens/tokenizer.ts (char, byte, word, bpe) lands, the streamed data path codes
 * against this copy of the interface; at the merge the interface comes from there and this file's
 * CharTokenizer gives way to that module's 'char' kind. Platform-free.
 */
import { firstInvalidUtf8, utf8Length, Vocab } from './text.js';

export type TokenKind = 'char' | 'byte' | 'word' | 'bpe';

export interface Tokenizer {
  readonly kind: TokenKind;
  /** Ids 0..size-1 (including <unk> and any marker). */
  readonly size: number;
  /** Unknown symbols -> <unk> where the tokenizer has one, else throw naming it. */
  encode(text: string): Int32Array;
  /** The UTF-8 (or raw, for 'byte') bytes of a piece that starts and ends at cut points. */
  encodeBytes(bytes: Uint8Array): Int32Array;
  /** For display and sampling. */
  decode(ids: ArrayLike<number>): string;
  /** The largest p <= end (p >= start) at which the byte stream can be cut without changing its tokens. */
  cut(bytes: Uint8Array, start: number, end: number): number;
  toJSON(): unknown;
}

/**
 * An error in a piece of bytes at a known place: `what` is wrong at byte `at` of the piece, so the
 * reader that handed the piece over can name the offset in the corpus: "<what> at byte N<rest>".
 */
export class PieceError extends Error {
  constructor(readonly what: string, readonly at: number, readonly rest = '') { super(`${what} at byte ${at}${rest ? ` ${rest}` : ''}`); }
}

const isContinuation = (b: number): boolean => (b & 0xc0) === 0x80;

/** Bytes of the UTF-8 sequence that starts with `lead` (1 for a byte that cannot start one). */
const seqLength = (lead: number): number => (lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);

const fatal = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 of a piece; a PieceError names the byte where it breaks. */
export function decodePiece(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    throw new PieceError('invalid UTF-8', at);
  }
}

/**
 * Mark every character of a strict UTF-8 piece in `seen`, a bit per code point (0x110000 / 8 bytes).
 * Decoded here rather than through strings: a corpus pass is mostly this loop, and a string per
 * character of a 4 GB file would cost minutes.
 */
export function collectChars(bytes: Uint8Array, seen: Uint8Array): void {
  const n = bytes.length;
  for (let i = 0; i < n;) {
    const c = bytes[i];
    if (c < 0x80) { seen[c >> 3] |= 1 << (c & 7); i++; continue; }
    const len = utf8Length(bytes, i);
    if (len === 0) throw new PieceError('invalid UTF-8', i);
    let cp = c & (0xff >> (len + 1)); // the lead byte's payload bits
    for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f);
    seen[cp >> 3] |= 1 << (cp & 7);
    i += len;
  }
}

/** The characters marked by collectChars, in code-point order. */
export function markedChars(seen: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.length; i++) {
    if (seen[i] === 0) continue;
    for (let k = 0; k < 8; k++) if (seen[i] & (1 << k)) out.push(String.fromCodePoint(i * 8 + k));
  }
  return out;
}

/** Characters (Unicode code points) as tokens, over a code-point Vocab; no <unk>. */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  constructor(readonly vocab: Vocab) {}

  get size(): number { return this.vocab.size; }

  encode(text: string): Int32Array { return this.vocab.encode(text); }

  encodeBytes(bytes: Uint8Array): Int32Array {
    const text = decodePiece(bytes);
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

  decode(ids: ArrayLike<number>): string { return this.vocab.decode(ids); }

  /** A code-point boundary: a byte that does not continue a sequence (p = bytes.length is not known to be one). */
  cut(bytes: Uint8Array, start: number, end: number): number {
    for (let p = Math.min(end, bytes.length - 1); p > start; p--) if (!isContinuation(bytes[p])) return p;
    return start;
  }

  toJSON(): unknown { return { kind: 'char', chars: [...this.vocab.chars] }; }
}
