/**
 * The tokenizer interface of issue 19's contract, and its 'char' kind over a code-point Vocab.
 *
 * Until src/data/tokens/tokenizer.ts (char, byte, word, bpe) lands, the streamed data path codes
 * against this copy of the interface; at the merge the interface comes from there and this file's
 * CharTokenizer gives way to that module's 'char' kind. Platform-free.
 */
import { firstInvalidUtf8, Vocab } from './text.js';

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
 * Every character of a strict UTF-8 piece, added to `seen`. ASCII bytes are marked in a table
 * without making strings: a corpus pass is mostly this loop, and a string per byte of a 4 GB file
 * would cost minutes.
 */
export function collectChars(bytes: Uint8Array, seen: Set<string>, ascii: Uint8Array): void {
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] < 0x80) { ascii[bytes[i++]] = 1; continue; }
    let j = i;
    while (j < bytes.length && bytes[j] >= 0x80) j++;
    for (const ch of decodePieceAt(bytes, i, j)) seen.add(ch);
    i = j;
  }
}

const decodePieceAt = (bytes: Uint8Array, i: number, j: number): string => {
  try {
    return decodePiece(bytes.subarray(i, j));
  } catch (e) {
    throw e instanceof PieceError ? new PieceError(e.what, i + e.at, e.rest) : e;
  }
};

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
