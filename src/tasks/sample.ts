/**
 * Generating text from a language model, one token at a time: feed a token (a forward pass of one step
 * for one stream, carrying the state), turn the logits into probabilities with a temperature,
 * optionally keep the k most likely, draw from a seeded generator, feed the draw back. The text is
 * the file's tokenizer's (data/tokens/text-out.ts: byte-level tokens print as valid UTF-8).
 *
 * Every buffer is allocated once per Sampler, so the per-character loop allocates nothing of its own.
 * Platform-free.
 */
import { release, type Buf } from '../kernels/backend.js';
import type { Model, RecurrentState } from '../nn/model.js';
import { SEQ_MARK, type Vocab } from '../data/text.js';
import { CharTokenizer, type Tokenizer } from '../data/tokens/index.js';
import { TextOut } from '../data/tokens/text-out.js';
import { asTokens, lineVocab } from './lm-file.js';
import type { Rng } from '../util/rng.js';
import { checkOutputs } from './finite.js';

export interface SampleOptions {
  /** Softmax temperature; 0 = always the most likely character (greedy). */
  temperature?: number;
  /** Keep only the k most likely characters (0 = all). */
  topK?: number;
}

export class Sampler {
  private readonly state: RecurrentState;
  private readonly probs: Buf;
  private readonly scratch: Float64Array;
  private readonly V: number;
  /** What the ids mean (a code-point Vocab given to the constructor becomes its character tokenizer). */
  readonly tokens: Tokenizer;
  /** Row of model.logits that holds the distribution of the next character. */
  private row = -1;

  /**
   * With `checkOverflow`, drawing from outputs past float32's useful range is an error naming the likely
   * tensor (finite.ts) instead of a uniform draw; training's samples leave it off.
   */
  constructor(readonly model: Model, tokens: Tokenizer | Vocab, readonly rng: Rng, private readonly opts: { checkOverflow?: boolean } = {}) {
    this.V = model.config.outputSize;
    this.tokens = asTokens(tokens);
    this.state = model.newState(1, rng);
    this.probs = model.be.alloc(this.V);
    this.scratch = new Float64Array(this.V);
  }

  /** Back to the model's initial state (nothing fed yet). */
  reset(): void {
    this.model.resetState(this.state, null, this.rng);
    this.row = -1;
  }

  get primed(): boolean { return this.row >= 0; }

  /** Give the buffers back to the backend (WASM memory is not garbage-collected); the sampler is unusable after. */
  dispose(): void { release(this.model.be, [...this.state.h, ...this.state.c, ...(this.state.fb ? [this.state.fb] : []), this.probs]); }

  /** Run the model over `ids` (one forward pass over all of them), carrying the state. */
  feed(ids: Int32Array): void {
    if (ids.length === 0) return;
    this.model.forward({ T: ids.length, B: 1, tokens: ids }, this.state, { train: false, carry: true });
    this.row = ids.length - 1;
  }

  /** Feed one character id (one step of one stream: the model's fast path). */
  feedOne(id: number): void {
    this.model.stepOne(id, this.state);
    this.row = 0;
  }

  /** Draw the next character id from the distribution after what was fed (does not feed it). */
  draw(opts: SampleOptions = {}): number {
    if (this.row < 0) throw new Error('the sampler needs at least one character fed before drawing');
    const { temperature = 1, topK = 0 } = opts;
    const V = this.V, logits = this.model.logits, off = this.row * V;
    if (this.opts.checkOverflow) checkOutputs(logits, off, V, this.model.params);
    if (temperature === 0) {
      let best = 0;
      for (let j = 1; j < V; j++) if (logits[off + j] > logits[off + best]) best = j;
      return best;
    }
    const p = this.probs;
    this.model.be.softmax(1, V, logits, off, p, 0, temperature);
    let total = 1;
    if (topK > 0 && topK < V) {
      const thr = kthLargest(p, V, topK, this.scratch);
      // Keep the entries above the threshold and enough of those equal to it to make k.
      let above = 0;
      for (let j = 0; j < V; j++) if (p[j] > thr) above++;
      let ties = topK - above;
      total = 0;
      for (let j = 0; j < V; j++) {
        if (p[j] > thr) total += p[j];
        else if (p[j] === thr && ties > 0) { ties--; total += p[j]; }
        else p[j] = 0;
      }
    }
    let u = this.rng.next() * total, last = 0;
    for (let j = 0; j < V; j++) {
      if (p[j] <= 0) continue;
      last = j;
      u -= p[j];
      if (u < 0) return j;
    }
    return last; // rounding left u ≥ 0 after the last positive entry
  }

  /** Draw a character and feed it back; returns its id. */
  next(opts: SampleOptions = {}): number {
    const id = this.draw(opts);
    this.feedOne(id);
    return id;
  }
}

/** The k-th largest of x[0..n) (k ≥ 1), by quickselect on a copy in `scratch`. */
function kthLargest(x: Buf, n: number, k: number, scratch: Float64Array): number {
  for (let i = 0; i < n; i++) scratch[i] = x[i];
  let lo = 0, hi = n - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = scratch[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (scratch[i] > pivot) i++;
      while (scratch[j] < pivot) j--;
      if (i <= j) { const t = scratch[i]; scratch[i] = scratch[j]; scratch[j] = t; i++; j--; }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return scratch[target];
}

export interface GenerateOptions extends SampleOptions {
  /** Characters to generate (after the prime). */
  length: number;
  /** Text to start from (printed as part of the output by callers that want it). */
  prime?: string;
  /** Called with each generated chunk of text (streaming output); the chunks join to the result. */
  onText?: (text: string) => void;
}

/**
 * Continue a text: run the prime (or, without one, the line marker when the vocabulary has it, else
 * one uniformly drawn character that becomes part of the output), then draw `length` characters.
 * Returns the generated text (without the prime).
 */
export function generate(sampler: Sampler, opts: GenerateOptions): string {
  const { tokens } = sampler;
  const text = new TextOut(tokens);
  sampler.reset();
  let out = '';
  const emit = (s: string): void => { if (s) { out += s; opts.onText?.(s); } };
  let n = opts.length;
  const mark = markId(tokens);
  if (opts.prime) sampler.feed(tokens.encode(opts.prime));
  else if (mark >= 0) sampler.feedOne(mark);
  else if (n > 0) {
    const id = sampler.rng.int(tokens.size);
    emit(text.push(id));
    sampler.feedOne(id);
    n--;
  }
  let pending = '';
  for (let i = 0; i < n; i++) {
    pending += text.push(sampler.next(opts));
    if (pending.length >= 64) { emit(pending); pending = ''; }
  }
  emit(pending + text.end());
  return out;
}

/** The id of the line marker "\n" when it is one token of its own (a text starts after it), else -1. */
export function markId(tokens: Tokenizer): number {
  if (tokens instanceof CharTokenizer) return tokens.vocab.index(SEQ_MARK);
  const ids = tokens.encode(SEQ_MARK);
  return ids.length === 1 && tokens.decode(ids) === SEQ_MARK ? ids[0] : -1;
}

/**
 * New sequences from a one-sequence-per-line model (e.g. names): each starts at the initial state
 * from the marker and ends at the next marker (or after maxLength characters). A prime is the
 * beginning every sequence shares.
 */
export function generateLines(sampler: Sampler, count: number, maxLength: number, opts: SampleOptions & { prime?: string } = {}): string[] {
  const vocab = lineVocab(sampler.tokens);
  const mark = vocab ? vocab.index(SEQ_MARK) : -1;
  if (!vocab || mark < 0) throw new Error('the model has no line marker in its vocabulary');
  const prime = opts.prime ? vocab.encode(opts.prime) : new Int32Array(0);
  const ids = new Int32Array(prime.length + 1);
  ids[0] = mark;
  ids.set(prime, 1);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    sampler.reset();
    sampler.feed(ids);
    let s = opts.prime ?? '';
    for (let j = 0; j < maxLength; j++) {
      const id = sampler.draw(opts);
      if (id === mark) break;
      s += vocab.chars[id];
      sampler.feedOne(id);
    }
    lines.push(s);
  }
  return lines;
}
