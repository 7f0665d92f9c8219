/**
 * Text data for character-level models: a code-point vocabulary, strict UTF-8 decoding, a
 * train/validation split, the char-rnn stream batcher and a padded batcher for short sequences.
 * Platform-free (no Node modules): the browser build uses the same code.
 */
import { Rng } from '../util/rng.js';

const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
const describe = (ch: string): string =>
  `${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;

/**
 * The characters of a corpus, one id per Unicode code point. Iterating by code point (not UTF-16
 * unit) keeps an emoji one token instead of two unpaired surrogates that decode to garbage.
 * Ids follow code-point order, so the same character set always gives the same ids.
 */
export class Vocab {
  readonly chars: readonly string[];
  private readonly ids = new Map<string, number>();

  constructor(chars: Iterable<string>) {
    const unique = [...new Set(chars)];
    for (const ch of unique) {
      if ([...ch].length !== 1) throw new Error(`vocabulary entry ${JSON.stringify(ch)} is not a single code point`);
    }
    // Plain sort() compares UTF-16 units, which misorders astral characters against U+E000..U+FFFF.
    this.chars = Object.freeze(unique.sort(byCodePoint));
    this.chars.forEach((ch, i) => this.ids.set(ch, i));
  }

  /** The vocabulary of every code point in `text` (plus any `extra` characters, e.g. a marker). */
  static fromText(text: string, extra = ''): Vocab { return new Vocab(new Set(text + extra)); }

  get size(): number { return this.chars.length; }

  /** The id of `ch`, or -1 when it is not in the vocabulary. */
  index(ch: string): number { return this.ids.get(ch) ?? -1; }

  /** Ids of the code points of `text`; throws naming the first unknown character and its position. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // upper bound: code points <= UTF-16 units
    let n = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new Error(`character ${describe(ch)} at position ${n} (code points) is not in the vocabulary`);
      }
      out[n++] = id;
    }
    return out.slice(0, n);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const ch = this.chars[ids[i]];
      if (ch === undefined) throw new Error(`id ${ids[i]} at position ${i} is outside the vocabulary (size ${this.size})`);
      s += ch;
    }
    return s;
  }

  toJSON(): { chars: string[] } { return { chars: [...this.chars] }; }
}

/**
 * Decodes UTF-8, refusing malformed input instead of silently inserting U+FFFD (which would add a
 * spurious character to the vocabulary). TextDecoder does not say where it failed, so on failure a
 * small validator finds the start of the first ill-formed sequence.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new Error(at >= 0 ? `invalid UTF-8 at byte ${at}` : 'invalid UTF-8');
  }
}

/** Code points of UTF-8 bytes: the bytes that are not continuation bytes (10xxxxxx). */
export function countChars(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] & 0xc0) !== 0x80) n++;
  return n;
}

/** Offset of the first byte of the first ill-formed sequence (RFC 3629), or -1 if none. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const n = utf8Length(b, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/** Bytes (1 to 4) of the well-formed UTF-8 sequence that starts at b[i], or 0 when it is ill-formed (RFC 3629). */
export function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let need: number, lo = 0x80, hi = 0xbf; // valid range of the second byte
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; } // no overlongs, no surrogates
  else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; } // no overlongs, <= U+10FFFF
  else return 0;
  if (i + need >= b.length) return 0; // truncated at end of input
  if (b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k <= need; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  return need + 1;
}

/**
 * Holds out the last `valFraction` of the ids for validation (the end, not a random sample, so
 * validation text is never interleaved with training text). 0 gives no validation set.
 */
export function splitTrainVal(ids: Int32Array, valFraction: number): { train: Int32Array; val: Int32Array | null } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${valFraction}`);
  if (valFraction === 0) return { train: ids, val: null };
  const nVal = Math.round(ids.length * valFraction);
  // Each part needs at least one (input, next-char target) pair.
  if (nVal < 2 || ids.length - nVal < 2) {
    throw new Error(`text of ${ids.length} characters is too short to hold out ${valFraction} for validation`);
  }
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}

export interface StreamPosition { epoch: number; offset: number }
export interface StreamBatch {
  /** [seq * batch], time-major: index t * batch + b. */
  inputs: Int32Array;
  /** The next character of each input, same layout. */
  targets: Int32Array;
  /** True when the streams start from their beginning (first batch of an epoch): reset carried state. */
  reset: boolean;
}

/**
 * char-rnn batching with truncated BPTT: the ids are cut into `batch` contiguous streams of
 * L = floor((n - 1) / batch) inputs each (the -1 leaves every input a next-character target), and
 * each call to next() returns the following `seq` characters of every stream, so that the hidden
 * state carried from one batch to the next belongs to the text that precedes it. When fewer than
 * `seq` characters remain in the streams, a new epoch starts from the beginning (the L mod seq
 * leftover characters of each stream are not used as inputs).
 */
export class StreamBatcher {
  readonly batch: number;
  readonly seq: number;
  /** Inputs per stream. */
  readonly streamLength: number;
  readonly batchesPerEpoch: number;
  private epoch = 0;
  private offset = 0;

  constructor(private readonly ids: Int32Array, batch: number, seq: number) {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seq) || seq < 1) throw new Error(`seq must be a positive integer, got ${seq}`);
    const need = batch * seq + 1;
    if (ids.length < need) {
      throw new Error(`text too short: ${ids.length} characters, need at least batch*seq+1 = ${need} for one batch`);
    }
    this.batch = batch;
    this.seq = seq;
    this.streamLength = Math.floor((ids.length - 1) / batch);
    this.batchesPerEpoch = Math.floor(this.streamLength / seq);
  }

  /** Where the next batch starts: plain JSON for checkpoints; restore it to continue exactly. */
  get position(): StreamPosition { return { epoch: this.epoch, offset: this.offset }; }
  set position(p: StreamPosition) {
    const { epoch, offset } = p;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(offset) || offset < 0 || offset + this.seq > this.streamLength) {
      throw new Error(`bad stream position ${JSON.stringify(p)} (stream length ${this.streamLength}, seq ${this.seq})`);
    }
    this.epoch = epoch;
    this.offset = offset;
  }

  next(): StreamBatch {
    const { batch, seq, ids, streamLength: L } = this;
    const inputs = new Int32Array(seq * batch);
    const targets = new Int32Array(seq * batch);
    const reset = this.offset === 0;
    for (let b = 0; b < batch; b++) {
      const start = b * L + this.offset;
      for (let t = 0; t < seq; t++) {
        inputs[t * batch + b] = ids[start + t];
        targets[t * batch + b] = ids[start + t + 1];
      }
    }
    this.offset += seq;
    // Wrap eagerly so that `position` always names the next batch and `epoch` counts finished epochs.
    if (this.offset + seq > L) { this.offset = 0; this.epoch++; }
    return { inputs, targets, reset };
  }
}

/** The start/end marker of sequencesBatcher: one token that begins and ends every sequence. */
export const SEQ_MARK = '\n';

export interface SequenceBatch {
  /** [steps * batch], time-major (t * batch + b); padding positions hold the marker id. */
  inputs: Int32Array;
  /** Same layout; -1 at padding positions (to be ignored by the loss). */
  targets: Int32Array;
  /** Number of real steps of each sequence (name length + 1). */
  lengths: Int32Array;
  batch: number;
  steps: number;
}

export interface SequenceBatcherOptions {
  batch: number;
  seed: number;
  /** Defaults to the characters of the sequences plus the marker. */
  vocab?: Vocab;
  /** Drop the last, smaller batch of each epoch (for code that needs a fixed batch size). */
  dropLast?: boolean;
}

/**
 * Batches of whole short sequences (e.g. names), each framed as MARK + text + MARK so a model learns
 * where names start and end: inputs are MARK + text, targets are text + MARK. The order is reshuffled
 * every epoch from (seed, epoch) alone, so `position` ({epoch, offset}) is all a checkpoint needs.
 */
export class SequenceBatcher {
  readonly vocab: Vocab;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  private readonly encoded: Int32Array[];
  private readonly seed: number;
  private readonly dropLast: boolean;
  private epoch = 0;
  private offset = 0;
  private order: Uint32Array | null = null;

  constructor(sequences: readonly string[], opts: SequenceBatcherOptions) {
    const { batch, seed } = opts;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
    if (sequences.length === 0) throw new Error('no sequences to batch');
    sequences.forEach((s, i) => {
      if (s.length === 0) throw new Error(`sequence ${i} is empty`);
      if (s.includes(SEQ_MARK)) throw new Error(`sequence ${i} contains the marker character ${JSON.stringify(SEQ_MARK)}`);
    });
    this.vocab = opts.vocab ?? Vocab.fromText(sequences.join(''), SEQ_MARK);
    if (this.vocab.index(SEQ_MARK) < 0) throw new Error('the vocabulary lacks the sequence marker');
    this.encoded = sequences.map((s) => this.vocab.encode(SEQ_MARK + s + SEQ_MARK));
    this.batch = batch;
    this.seed = seed >>> 0;
    this.dropLast = opts.dropLast ?? false;
    if (this.dropLast && sequences.length < batch) throw new Error(`dropLast with ${sequences.length} sequences < batch ${batch} gives no batches`);
    this.batchesPerEpoch = this.dropLast ? Math.floor(sequences.length / batch) : Math.ceil(sequences.length / batch);
  }

  get size(): number { return this.encoded.length; }

  get position(): StreamPosition { return { epoch: this.epoch, offset: this.offset }; }
  set position(p: StreamPosition) {
    const { epoch, offset } = p;
    const last = this.dropLast ? this.encoded.length - this.batch : this.encoded.length - 1;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(offset) || offset < 0 || offset > last) {
      throw new Error(`bad sequence position ${JSON.stringify(p)} (${this.encoded.length} sequences)`);
    }
    if (epoch !== this.epoch) this.order = null;
    this.epoch = epoch;
    this.offset = offset;
  }

  next(): SequenceBatch {
    const order = (this.order ??= this.permutation(this.epoch));
    const ids = order.subarray(this.offset, this.offset + this.batch);
    const batch = ids.length;
    let steps = 0;
    for (const i of ids) steps = Math.max(steps, this.encoded[i].length - 1);
    const mark = this.vocab.index(SEQ_MARK);
    const inputs = new Int32Array(steps * batch).fill(mark);
    const targets = new Int32Array(steps * batch).fill(-1);
    const lengths = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const seq = this.encoded[ids[b]];
      lengths[b] = seq.length - 1;
      for (let t = 0; t < seq.length - 1; t++) {
        inputs[t * batch + b] = seq[t];
        targets[t * batch + b] = seq[t + 1];
      }
    }
    this.offset += batch;
    const left = this.encoded.length - this.offset;
    if (left === 0 || (this.dropLast && left < this.batch)) { this.offset = 0; this.epoch++; this.order = null; }
    return { inputs, targets, lengths, batch, steps };
  }

  /** The epoch's order, a function of (seed, epoch) only, for exact resumption. */
  private permutation(epoch: number): Uint32Array {
    const rng = new Rng((this.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    const p = new Uint32Array(this.encoded.length);
    for (let i = 0; i < p.length; i++) p[i] = i;
    return rng.shuffle(p);
  }
}

/** Padded, per-epoch shuffled batches of short sequences such as names (see SequenceBatcher). */
export function sequencesBatcher(sequences: readonly string[], opts: SequenceBatcherOptions): SequenceBatcher {
  return new SequenceBatcher(sequences, opts);
}
