/**
 * char-rnn batching over a corpus of any size, read as it is needed (truncated BPTT as StreamBatcher
 * does it in memory). The byte range is cut into `batch` regions of L = floor((bytes − 1) / batch)
 * bytes, each starting at the first cut point of the tokenizer at or after b·L; stream b reads its
 * region's tokens through its own TokenCursor, and each next() returns the following `seq` tokens of
 * every stream, their targets the token after each (for the last input of a region: the first token
 * of the next region). When a stream has fewer than `seq` inputs left, an epoch ends and every
 * stream starts again from its region's start (reset = true: drop the carried state).
 *
 * Where the text is all single-byte tokens this is StreamBatcher's layout exactly (L inputs per
 * stream, floor(L / seq) batches an epoch). Platform-free.
 */
import type { ByteSource } from './byte-source.js';
import type { Tokenizer } from './tokens/tokenizer.js';
import { nextCut, ReadBuffer, TokenCursor, type CursorPosition } from './token-cursor.js';
import type { StreamBatch } from './text.js';

/** The resume record of a streamed batcher: finished epochs and where every stream goes on. */
export interface StreamedPosition { epoch: number; streams: CursorPosition[] }

export interface StreamedBatcherOptions {
  batch: number;
  seq: number;
  /** The byte range to read (the training part of a corpus); cut points both. Default: all of it. */
  start?: number;
  end?: number;
  /** Largest read per stream, in bytes. Default: 4 MiB shared by the streams, 1 KiB to 64 KiB each. */
  chunk?: number;
}

/** Bytes per read of one of `batch` streams: memory stays a few MiB whatever the corpus or batch. */
export const chunkFor = (batch: number): number => Math.min(1 << 16, Math.max(1 << 10, 2 ** Math.floor(Math.log2((4 << 20) / batch))));

export class StreamedBatcher {
  readonly batch: number;
  readonly seq: number;
  /** Region bounds: stream b reads bytes [bounds[b], bounds[b + 1]). */
  readonly bounds: readonly number[];
  private readonly cursors: TokenCursor[];
  /** The token after each region (-1: none, the range ends there). */
  private readonly follow: Int32Array;
  private epoch = 0;
  private fresh = true;

  constructor(src: ByteSource, tok: Tokenizer, opts: StreamedBatcherOptions) {
    const { batch, seq } = opts;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seq) || seq < 1) throw new Error(`seq must be a positive integer, got ${seq}`);
    const start = opts.start ?? 0, end = opts.end ?? src.size;
    const need = batch * seq + 1;
    if (end - start < need) throw new Error(`the training text has ${end - start} bytes, fewer than one batch needs (batch × seq + 1 = ${need})`);
    this.batch = batch;
    this.seq = seq;
    const scratch = new ReadBuffer(), chunk = opts.chunk ?? chunkFor(batch);
    const L = Math.floor((end - start - 1) / batch);
    const bounds = [start];
    for (let b = 1; b <= batch; b++) bounds.push(nextCut(src, tok, start + b * L, end, scratch));
    this.bounds = Object.freeze(bounds);
    this.cursors = [];
    this.follow = new Int32Array(batch).fill(-1);
    for (let b = 0; b < batch; b++) {
      this.cursors.push(new TokenCursor(src, tok, bounds[b], bounds[b + 1], scratch, chunk));
      const after = new TokenCursor(src, tok, bounds[b + 1], end, scratch, 256);
      if (after.fill(1) > 0) this.follow[b] = after.peek(0);
    }
    const short = this.cursors.findIndex((_, b) => !this.canServe(b));
    if (short >= 0) {
      throw new Error(`the training text is too short: stream ${short + 1} of ${batch} (bytes ${bounds[short]}..${bounds[short + 1]}) holds fewer tokens than one batch needs (seq + 1 = ${seq + 1}): use a smaller --batch or --seq`);
    }
  }

  /** Bytes of the range. */
  get size(): number { return this.bounds[this.batch] - this.bounds[0]; }

  /** Bytes the streams have read past in this epoch. */
  get bytesDone(): number { return this.cursors.reduce((s, c) => s + c.bytesDone, 0); }

  /** Where the next batch starts: plain JSON for checkpoints; restore it to continue exactly. */
  get position(): StreamedPosition { return { epoch: this.epoch, streams: this.cursors.map((c) => c.position) }; }
  set position(p: StreamedPosition) {
    const { epoch, streams } = p ?? {};
    if (!Number.isInteger(epoch) || epoch < 0 || !Array.isArray(streams) || streams.length !== this.batch) {
      throw new Error(`bad stream position (expected an epoch and ${this.batch} streams)`);
    }
    streams.forEach((s, b) => this.cursors[b].seek(s));
    this.epoch = epoch;
    this.fresh = streams.every((s, b) => s.offset === this.bounds[b] && s.skip === 0);
  }

  next(): StreamBatch {
    const { batch: B, seq } = this;
    if (!this.cursors.every((_, b) => this.canServe(b))) {
      this.epoch++;
      this.cursors.forEach((c, b) => c.seek({ offset: this.bounds[b], skip: 0 }));
      this.fresh = true;
    }
    const inputs = new Int32Array(seq * B), targets = new Int32Array(seq * B);
    for (let b = 0; b < B; b++) {
      const c = this.cursors[b], n = c.fill(seq + 1);
      c.copy(seq, inputs, b, B);
      c.advance(1);
      c.copy(seq - 1, targets, b, B);
      targets[(seq - 1) * B + b] = n > seq ? c.peek(seq - 1) : this.follow[b];
      c.advance(seq - 1);
    }
    const reset = this.fresh;
    this.fresh = false;
    return { inputs, targets, reset };
  }

  /** Epochs done, fractional (by bytes). */
  get epochs(): number { return this.epoch + this.bytesDone / Math.max(1, this.size); }

  /** Whether stream b has `seq` more inputs, each with its target. */
  private canServe(b: number): boolean {
    const n = this.cursors[b].fill(this.seq + 1);
    return n > this.seq || (n === this.seq && this.follow[b] >= 0);
  }
}
