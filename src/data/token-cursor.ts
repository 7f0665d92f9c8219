/**
 * Tokens read in order from a byte range of a source, a bounded piece at a time: each read takes
 * up to `chunk` bytes, stops at the tokenizer's last cut point in them and encodes that piece, so
 * memory is a few pieces however large the range. Platform-free.
 *
 * A position is {offset, skip}: the byte offset where the piece holding the next token starts, and
 * how many of that piece's tokens were taken. Cut points do not change tokens, so tokenising again
 * from `offset` with any chunk size and skipping `skip` tokens lands on the same token: positions
 * survive a change of chunk size (a resumed run with another batch of streams, another machine).
 */
import type { ByteSource } from './byte-source.js';
import { PieceError } from './piece-error.js';
import { countChars } from './text.js';
import type { Tokenizer } from './tokens/tokenizer.js';

export interface CursorPosition { offset: number; skip: number }

/**
 * Bytes a cut point needs after it: a tokenizer judges a cut at p by the character that starts there
 * (at most 4 bytes of UTF-8), so in a window of the stream only p <= length - LOOKAHEAD is known.
 */
const LOOKAHEAD = 4;

/** A piece that has no cut point within this many bytes is an error (a token that long is not text). */
export const MAX_PIECE_BYTES = 1 << 20;

/** One scratch buffer for the reads of many cursors: a piece is encoded as soon as it is read. */
export class ReadBuffer {
  private buf = new Uint8Array(0);
  get(n: number): Uint8Array {
    if (this.buf.length < n) this.buf = new Uint8Array(Math.max(n, 2 * this.buf.length));
    return this.buf.subarray(0, n);
  }
}

/** An error at a place in a corpus: its message names the file and the byte. */
export class CorpusError extends Error {}

/** Why a piece cannot be tokenised, with the file and offset of the byte at fault. */
export function pieceFailure(src: ByteSource, offset: number, e: unknown): Error {
  if (!(e instanceof PieceError)) return e as Error;
  const where = src.locate(offset + e.at);
  const hint = e.what === 'invalid UTF-8' ? ' (for text that is not UTF-8, use --tokens byte)' : '';
  return new CorpusError(`${where.name}: ${e.what} at byte ${where.offset}${e.rest ? ` ${e.rest}` : ''}${hint}`);
}

/** "a.txt, byte 12": a place in a corpus for messages. */
export const placeOf = (src: ByteSource, offset: number): string => { const w = src.locate(offset); return `${w.name}, byte ${w.offset}`; };

export class TokenCursor {
  private pieces: { offset: number; bytes: number; ids: Int32Array }[] = [];
  /** Tokens of pieces[0] already taken. */
  private used = 0;
  /** Tokens held in pieces, not yet taken. */
  private held = 0;
  /** The next byte to read. */
  private readAt: number;
  /** Tokens and characters (UTF-8 code points; not counted for char tokens: one each) of the pieces read. */
  private nTokens = 0;
  private nChars = 0;

  constructor(
    private readonly src: ByteSource, private readonly tok: Tokenizer,
    readonly start: number, readonly end: number,
    private readonly scratch: ReadBuffer, readonly chunk = 1 << 16,
  ) {
    if (!(start >= 0 && start <= end && end <= src.size)) throw new Error(`bad byte range [${start}, ${end}) of ${src.name} (${src.size} bytes)`);
    this.readAt = start;
  }

  get position(): CursorPosition {
    return this.pieces.length ? { offset: this.pieces[0].offset, skip: this.used } : { offset: this.readAt, skip: 0 };
  }

  /** Bytes behind the cursor, for progress (inside a piece: in proportion to its tokens taken). */
  get bytesDone(): number {
    const p = this.pieces[0];
    return (p ? p.offset + Math.round((p.bytes * this.used) / Math.max(1, p.ids.length)) : this.readAt) - this.start;
  }

  /** Characters per token of the text read so far (1 for char tokens; 1 before anything is read). */
  get charsPerToken(): number { return this.nTokens === 0 ? 1 : this.charsRead / this.nTokens; }
  /** Tokens and characters of the pieces read so far. */
  get tokensRead(): number { return this.nTokens; }
  get charsRead(): number { return this.tok.kind === 'char' ? this.nTokens : this.nChars; }

  /** Continue from a position; throws when it does not lie in this cursor's range. */
  seek(p: CursorPosition): void {
    const { offset, skip } = p;
    if (!Number.isInteger(offset) || offset < this.start || offset > this.end || !Number.isInteger(skip) || skip < 0) {
      throw new Error(`bad stream position ${JSON.stringify(p)} (range [${this.start}, ${this.end}))`);
    }
    this.pieces = []; this.used = 0; this.held = 0; this.readAt = offset;
    if (skip > 0 && this.fill(skip) < skip) throw new Error(`bad stream position ${JSON.stringify(p)}: fewer than ${skip} tokens follow`);
    this.advance(skip);
  }

  /** Buffer at least `n` tokens if the range has them; returns how many are buffered. */
  fill(n: number): number {
    while (this.held < n && this.readPiece());
    return this.held;
  }

  /** The token `k` places ahead (0 = the next one); it must be buffered (fill). */
  peek(k: number): number {
    let i = this.used + k;
    for (const p of this.pieces) {
      if (i < p.ids.length) return p.ids[i];
      i -= p.ids.length;
    }
    throw new Error(`token ${k} ahead is not buffered`);
  }

  /** Copy the next `n` buffered tokens to out[at], out[at + stride], ...; they are not taken. */
  copy(n: number, out: Int32Array, at: number, stride: number): void {
    let piece = 0, i = this.used;
    for (let k = 0; k < n; k++) {
      while (i >= this.pieces[piece].ids.length) { piece++; i = 0; }
      out[at + k * stride] = this.pieces[piece].ids[i++];
    }
  }

  /** Take `n` buffered tokens. */
  advance(n: number): void {
    if (n > this.held) throw new Error(`cannot take ${n} tokens: ${this.held} are buffered`);
    this.held -= n;
    this.used += n;
    while (this.pieces.length && this.used >= this.pieces[0].ids.length) { this.used -= this.pieces[0].ids.length; this.pieces.shift(); }
  }

  /** Read and encode the next piece; false at the end of the range. */
  private readPiece(): boolean {
    const at = this.readAt, left = this.end - at;
    if (left <= 0) return false;
    for (let len = Math.min(this.chunk, left); ; len = Math.min(2 * len, left)) {
      const bytes = this.scratch.get(len);
      const got = this.src.read(at, bytes);
      if (got < len) throw new CorpusError(`${this.src.name} changed while it was read: ${placeOf(this.src, at + got)} is missing`);
      const last = len === left;
      let stop = last ? len : this.tok.cut(bytes, 0, len - LOOKAHEAD);
      if (stop === 0 && !last && len < MAX_PIECE_BYTES) continue;
      const forced = stop === 0;
      if (forced) stop = len; // let the tokenizer name what is wrong with a piece it cannot cut
      let ids: Int32Array;
      try { ids = this.tok.encodeBytes(bytes.subarray(0, stop)); } catch (e) { throw pieceFailure(this.src, at, e); }
      if (forced) throw new CorpusError(`${placeOf(this.src, at)}: no token boundary within ${len} bytes`);
      this.pieces.push({ offset: at, bytes: stop, ids });
      this.nTokens += ids.length;
      if (this.tok.kind !== 'char') this.nChars += countChars(bytes.subarray(0, stop));
      this.held += ids.length;
      this.readAt = at + stop;
      return true;
    }
  }
}

/**
 * The first cut point at or after `offset` (up to `limit`, itself a cut point): where a stream or
 * the validation part may start. Reads a small window; the bytes before `offset` are context.
 */
export function nextCut(src: ByteSource, tok: Tokenizer, offset: number, limit: number, scratch = new ReadBuffer()): number {
  if (offset <= 0 || offset >= limit) return Math.min(Math.max(offset, 0), limit);
  const from = Math.max(0, offset - 16), rel = offset - from;
  for (let width = 256; ; width *= 2) {
    const n = Math.min(rel + width, limit - from);
    const bytes = scratch.get(n);
    if (src.read(from, bytes) < n) throw new Error(`${src.name} changed while it was read`);
    if (tok.cut(bytes, 0, rel) === rel) return offset;
    const known = from + n >= limit ? n : n - LOOKAHEAD;
    if (tok.cut(bytes, rel, known) > rel) {
      // The smallest e with a cut in (rel, e] is that cut: search for it.
      let lo = rel, hi = known;
      while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (tok.cut(bytes, rel, mid) > rel) hi = mid; else lo = mid; }
      return from + hi;
    }
    if (from + n >= limit) return limit;
    if (width > MAX_PIECE_BYTES) throw new CorpusError(`${placeOf(src, offset)}: no token boundary within ${width} bytes`);
  }
}
