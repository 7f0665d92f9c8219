/**
 * What a streamed corpus needs before its first batch: where validation starts (the contract of
 * issue 19: byte floor(size × (1 − valFraction)), moved forward to the next cut point) and, when no
 * model brings one, its characters, from one pass or from a sample spread over it. Both read a
 * bounded buffer at a time. Platform-free.
 */
import type { ByteSource } from './byte-source.js';
import { decodePiece, PieceError } from './piece-error.js';
import type { Tokenizer } from './tokens/tokenizer.js';
import { nextCut, pieceFailure, ReadBuffer } from './token-cursor.js';
import { utf8Length, Vocab } from './text.js';

/** The first byte of the validation part (size when there is none). */
export function splitPoint(src: ByteSource, tok: Tokenizer, valFraction: number): number {
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${valFraction}`);
  if (valFraction === 0) return src.size;
  return nextCut(src, tok, Math.floor(src.size * (1 - valFraction)), src.size);
}

/** Bytes per read of a scan. */
const SCAN_CHUNK = 1 << 20;

const isContinuation = (b: number): boolean => (b & 0xc0) === 0x80;

export interface ScanOptions {
  /** Read about this many bytes, in pieces spread evenly over the corpus, instead of all of it. */
  sample?: number;
  /** Called after every read with the bytes scanned so far and the bytes the scan will read. */
  onProgress?(done: number, total: number): void;
}

/**
 * The characters of a corpus (or of an even sample of it) as a Vocab. A piece of a sample starts
 * at a character boundary (continuation bytes skipped) and ends before a character that does not
 * fit, so a sample never invents a character. Invalid UTF-8 is an error naming its byte.
 */
export function scanChars(src: ByteSource, opts: ScanOptions = {}): Vocab {
  const ranges = scanRanges(src.size, opts.sample);
  const total = ranges.reduce((s, [a, b]) => s + b - a, 0);
  const seen = new Uint8Array(0x110000 / 8), scratch = new ReadBuffer();
  let done = 0;
  for (const [a, b] of ranges) {
    const end = b === src.size ? b : boundary(src, b, -1, scratch);
    for (let at = boundary(src, a, 1, scratch); at < end;) {
      const n = Math.min(SCAN_CHUNK, end - at);
      const bytes = scratch.get(n);
      if (src.read(at, bytes) < n) throw new Error(`${src.name} changed while it was read`);
      let stop = n;
      if (at + n < end) { // end the read before the character it cuts
        stop = n - 1;
        while (stop > 0 && isContinuation(bytes[stop])) stop--;
        if (stop === 0) stop = n; // no character starts in it: collectChars names the bad byte
      }
      try { collectChars(bytes.subarray(0, stop), seen); } catch (e) { throw pieceFailure(src, at, e); }
      at += stop;
      done += stop;
      opts.onProgress?.(done, total);
    }
  }
  const chars = markedChars(seen);
  if (chars.length === 0) throw new Error(`${src.name} holds no characters`);
  return new Vocab(chars);
}

/**
 * The text of a corpus, or of about `sample` bytes of it in pieces spread evenly (scanRanges), each
 * piece cut at character boundaries and the pieces joined by a newline: what a word or BPE tokenizer
 * is learned from when the whole corpus is too large to hold. Invalid UTF-8 is an error naming its byte.
 */
export function sampleText(src: ByteSource, sample?: number): string {
  const scratch = new ReadBuffer(), parts: string[] = [];
  for (const [a, b] of scanRanges(src.size, sample)) {
    const from = boundary(src, a, 1, scratch), to = b === src.size ? b : boundary(src, b, -1, scratch);
    if (to <= from) continue;
    const bytes = new Uint8Array(to - from);
    if (src.read(from, bytes) < bytes.length) throw new Error(`${src.name} changed while it was read`);
    try { parts.push(decodePiece(bytes)); } catch (e) { throw pieceFailure(src, from, e); }
  }
  return parts.join('\n');
}

/** The character boundary nearest `at` in direction `dir` (+1: at or after, −1: at or before). */
function boundary(src: ByteSource, at: number, dir: 1 | -1, scratch: ReadBuffer): number {
  const bytes = scratch.get(4);
  for (let k = 0; k < 4 && at > 0 && at < src.size; k++, at += dir) {
    if (src.read(at, bytes.subarray(0, 1)) < 1 || !isContinuation(bytes[0])) return at;
  }
  return at;
}

/** The byte ranges a scan reads: all of [0, size), or `sample` bytes in up to 64 evenly spaced pieces. */
export function scanRanges(size: number, sample?: number): [number, number][] {
  if (sample === undefined || sample >= size) return [[0, size]];
  if (!Number.isInteger(sample) || sample < 1) throw new Error(`the vocabulary sample must be a positive number of bytes, got ${sample}`);
  const pieces = Math.min(64, Math.ceil(sample / 4096));
  const len = Math.ceil(sample / pieces);
  const out: [number, number][] = [];
  for (let k = 0; k < pieces; k++) {
    const a = pieces === 1 ? 0 : Math.floor((size - len) * k / (pieces - 1));
    out.push([a, Math.min(size, a + len)]);
  }
  return out;
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
