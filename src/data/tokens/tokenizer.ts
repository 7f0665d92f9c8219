/**
 * What a language model reads: a text cut into tokens, each an id in 0..size-1. Four kinds:
 *  - char: Unicode code points (the default; ids are those of data/text.ts's Vocab, so every model
 *    file written before tokenizers existed keeps its ids);
 *  - byte: the 256 byte values, for any file in any script (no vocabulary to learn, nothing unknown);
 *  - word: pieces of the pre-split (pieces.ts: a word with its leading space, a punctuation run, a
 *    whitespace run), the most frequent up to the vocabulary size, the rest <unk>;
 *  - bpe: byte-level byte-pair encoding (GPT-2's kind) learned from the corpus inside the same pieces.
 *
 * The interface is the contract shared with the corpus streamer (issue 19): it cuts a byte stream at
 * cut points, encodes each piece with encodeBytes, and the concatenated ids are the text's ids.
 * Platform-free.
 */
export type TokenKind = 'char' | 'byte' | 'word' | 'bpe';
export const TOKEN_KINDS: readonly TokenKind[] = ['char', 'byte', 'word', 'bpe'];

/** The token standing for symbols outside a learned vocabulary (word, and char with --vocab-size). */
export const UNK = '<unk>';

export interface Tokenizer {
  readonly kind: TokenKind;
  /** Ids are 0..size-1 (including <unk> and any marker). */
  readonly size: number;
  /** Unknown symbols become <unk> where the tokenizer has one; otherwise an error naming the symbol. */
  encode(text: string): Int32Array;
  /** The UTF-8 (or, for 'byte', raw) bytes of a piece that starts and ends at cut points. */
  encodeBytes(bytes: Uint8Array): Int32Array;
  /** For display and sampling ('byte' and 'bpe': invalid UTF-8 shown as U+FFFD, only here). */
  decode(ids: ArrayLike<number>): string;
  /**
   * The largest p <= end (p >= start) at which the byte stream can be cut without changing its tokens:
   * a code-point boundary for 'char', any p for 'byte', a piece boundary for 'word'/'bpe'; `start` when
   * there is none in between.
   */
  cut(bytes: Uint8Array, start: number, end: number): number;
  /** Stored in the model file's `task.tokens`; tokens/index.ts's fromJSON reads it back (untrusted). */
  toJSON(): unknown;
}

/** Display text of ids, with invalid UTF-8 as U+FFFD: what byte-level tokenizers show a sample as. */
export const lenientUtf8 = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes);
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Throws naming the id when it is not one of the tokenizer's. */
export function checkId(id: number, size: number, at: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < size)) throw new Error(`id ${id} at position ${at} is outside the vocabulary (size ${size})`);
}
