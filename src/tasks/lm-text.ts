/**
 * A stream-mode text as tokens: encoded, split into training and validation, with the characters each
 * part holds, so that losses per token convert to losses per character (bits per character compare
 * runs whose tokenizers differ; a token of BPE holds ~3.4 characters of English, a byte ~1).
 *
 * Character tokens split as char-rnn always has (the last round(n × valFraction) ids), so every run of a
 * character model is what it was. Other tokens split as the corpus streamer does (issue 19's contract):
 * at byte floor(size × (1 − valFraction)) moved forward to the next cut point of the tokenizer, each side
 * encoded on its own. --val-chars caps the validation text at that many characters (at a cut point).
 * Platform-free.
 */
import { splitTrainVal } from '../data/text.js';
import { utf8, type Tokenizer } from '../data/tokens/index.js';

export interface TokenSplit {
  train: Int32Array;
  val: Int32Array | null;
  /** Unicode characters (code points) of each part. */
  trainChars: number;
  valChars: number;
}

/** Code points of UTF-8 bytes: the bytes that are not continuation bytes (10xxxxxx). */
export function countChars(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] & 0xc0) !== 0x80) n++;
  return n;
}

/** The first cut point of the tokenizer at or after p. */
function nextCut(tokens: Tokenizer, bytes: Uint8Array, p: number): number {
  for (let q = p; q < bytes.length; q++) if (q === 0 || tokens.cut(bytes, q - 1, q) === q) return q;
  return bytes.length;
}

/** Byte offset of the n-th code point (bytes.length when there are fewer). */
function offsetOfChar(bytes: Uint8Array, n: number): number {
  let seen = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] & 0xc0) !== 0x80 && seen++ === n) return i;
  return bytes.length;
}

/** How a text with a symbol the tokenizer cannot encode is refused (the tokenizer's message follows). */
export const UNKNOWN_CHAR = 'the data has a character the model does not know';

function encoded(encode: () => Int32Array): Int32Array {
  try {
    return encode();
  } catch (e) {
    throw new Error(`${UNKNOWN_CHAR}: ${(e as Error).message}`);
  }
}

const tooShort = (what: string, valFraction: number): Error => new Error(`text of ${what} is too short to hold out ${valFraction} for validation`);

export function encodeSplit(tokens: Tokenizer, text: string, valFraction: number, valChars: number): TokenSplit {
  if (tokens.kind === 'char') {
    const { train, val } = splitTrainVal(encoded(() => tokens.encode(text)), valFraction);
    const v = val && valChars > 0 && val.length > valChars ? val.subarray(0, valChars) : val;
    return { train, val: v, trainChars: train.length, valChars: v?.length ?? 0 };
  }
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${valFraction}`);
  const bytes = utf8(text);
  if (valFraction === 0) return { train: encoded(() => tokens.encodeBytes(bytes)), val: null, trainChars: countChars(bytes), valChars: 0 };
  const at = nextCut(tokens, bytes, Math.floor(bytes.length * (1 - valFraction)));
  let valBytes = bytes.subarray(at);
  if (valChars > 0) {
    const cap = offsetOfChar(valBytes, valChars);
    const c = cap < valBytes.length ? tokens.cut(valBytes, 0, cap) : valBytes.length;
    valBytes = valBytes.subarray(0, c > 0 ? c : cap);
  }
  const train = encoded(() => tokens.encodeBytes(bytes.subarray(0, at))), val = encoded(() => tokens.encodeBytes(valBytes));
  // Each part needs at least one (input, next-token target) pair.
  if (train.length < 2 || val.length < 2) throw tooShort(`${train.length + val.length} tokens`, valFraction);
  return { train, val, trainChars: countChars(bytes.subarray(0, at)), valChars: countChars(valBytes) };
}
