/**
 * The pre-split of word and BPE tokens: a text is cut into pieces, and tokens never cross a piece.
 * GPT-2's rule, with one change for scripts written without spaces:
 *   's 't 're 've 'm 'll 'd        English contractions
 *   ␠?letters                      a word with the one space before it (" whale"), marks included
 *   ␠?digits                       a number
 *   Han, Hiragana or Katakana      one character alone (these scripts have no spaces to split on,
 *                                  so a letter run would make every sentence one "word")
 *   ␠?other                        a run of punctuation and symbols
 *   whitespace                     a run, less its last space when a word follows (that space is the word's)
 * The pieces concatenate to the text, so decode(encode(x)) == x whenever x's pieces are in the vocabulary.
 *
 * The regex looks only forward, so a text can be cut between two pieces whenever what comes before the
 * cut ends a piece whatever follows: after a Han/Kana character (always a piece of its own), and before
 * whitespace that follows a non-space (no piece holds non-space then space). cutAtPiece finds such a place.
 */
const CJK = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}';
const PIECE = new RegExp(`'(?:s|t|re|ve|m|ll|d)| ?(?:(?![${CJK}])[\\p{L}\\p{M}])+| ?\\p{N}+|[${CJK}]| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+`, 'gu');
const IS_CJK = new RegExp(`^[${CJK}]$`, 'u');
const IS_SPACE = /^\s$/u;

/**
 * Longest piece (UTF-16 units): a longer run (DNA, base64, a line of dashes) is cut into parts of this
 * length from its start, so merging a piece (quadratic in its length) stays cheap whatever the text.
 */
export const MAX_PIECE = 256;

/** The pieces of a text, in order; they concatenate to it. */
export function pieces(text: string): string[] {
  const out: string[] = [];
  for (const m of text.match(PIECE) ?? []) {
    if (m.length <= MAX_PIECE) { out.push(m); continue; }
    for (let i = 0; i < m.length;) {
      let j = Math.min(m.length, i + MAX_PIECE);
      if (j < m.length && /[\ud800-\udbff]/.test(m[j - 1])) j--; // never between the halves of a surrogate pair
      out.push(m.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** The code point whose UTF-8 encoding starts at byte i (-1 past the end or at a continuation byte). */
function codePointAt(b: Uint8Array, i: number): number {
  if (i < 0 || i >= b.length) return -1;
  const c = b[i];
  if (c < 0x80) return c;
  if (c < 0xc0) return -1;
  const n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
  let cp = c & (0x3f >> n);
  for (let k = 1; k <= n; k++) cp = (cp << 6) | (b[i + k] & 0x3f);
  return cp;
}

/** The code point that ends just before byte p. */
function codePointBefore(b: Uint8Array, p: number): number {
  let i = p - 1;
  while (i > 0 && (b[i] & 0xc0) === 0x80) i--;
  return codePointAt(b, i);
}

const isSpace = (cp: number): boolean => cp >= 0 && IS_SPACE.test(String.fromCodePoint(cp));
const isCjk = (cp: number): boolean => cp >= 0 && IS_CJK.test(String.fromCodePoint(cp));

/** Whether the pieces of b[..p) followed by those of b[p..) are the pieces of b (see the header). */
function isPieceCut(b: Uint8Array, p: number): boolean {
  if (p <= 0 || p >= b.length) return true;
  if ((b[p] & 0xc0) === 0x80) return false;
  const before = codePointBefore(b, p);
  if (isCjk(before)) return true;
  return !isSpace(before) && isSpace(codePointAt(b, p));
}

/** The largest piece boundary p in [start, end] (start itself when there is none after it). */
export function cutAtPiece(bytes: Uint8Array, start: number, end: number): number {
  for (let p = end; p > start; p--) if (isPieceCut(bytes, p)) return p;
  return start;
}
