/**
 * A loaded character model behind one small object: generate text, stream it, score a text, train on
 * new text, save. Everything is the library's own machinery (Sampler and generate from tasks/sample.ts,
 * scoring from tasks/lm-eval.ts, training through LmJob and so the one training loop); this file only
 * gives it the shape a web page or a script wants. Platform-free: how the model's bytes and the backend
 * are found is the caller's (load.ts with a host: web.ts for browsers, src/node/library.ts for Node).
 */
import type { Backend } from '../kernels/backend.js';
import type { ModelConfig } from '../nn/config.js';
import type { Vocab } from '../data/text.js';
import type { Tokenizer } from '../data/tokens/index.js';
import { TextOut } from '../data/tokens/text-out.js';
import { Rng } from '../util/rng.js';
import type { LoadedLm, LmMode } from '../tasks/lm-file.js';
import { encodeLm, lineVocab } from '../tasks/lm-file.js';
import { evaluateLines, evaluateStream } from '../tasks/lm-eval.js';
import { DYNAMIC_DEFAULTS, evaluateDynamic, type DynamicSettings } from '../tasks/lm-dynamic-eval.js';
import { generate, markId, Sampler } from '../tasks/sample.js';
import { LmJob, splitLines, DEFAULT_SETTINGS, type LmSettings } from '../tasks/lm.js';

export interface GenerateOptions {
  /** Text to continue (not part of the result). Default: a newline when the model knows it, else one random character (part of the result). */
  prime?: string;
  /** Characters to generate (default 200). */
  length?: number;
  /** Softmax temperature; 0 = always the most likely character (default 1). */
  temperature?: number;
  /** Draw only among the k most likely characters (0 = all, the default). */
  topK?: number;
  /** Seed of the draws: the same seed and options give the same text (default: a random one). */
  seed?: number;
}

export interface ScoreOptions {
  /**
   * Dynamic evaluation (Krause et al. 2018): the model learns from each segment of the text after
   * scoring it, so later text is predicted by weights adapted to what was read (a copy adapts; this
   * model does not change). true: the defaults of `recur eval --dynamic`; an object replaces some.
   */
  dynamic?: boolean | Partial<DynamicSettings>;
}

export interface StreamOptions extends GenerateOptions {
  /** Aborting it ends the stream after the character being drawn. */
  signal?: AbortSignal;
}

export interface TrainOptions {
  /** Updates to run (default 100). */
  steps?: number;
  /** Learning rate (default 2e-3, constant: a gentle continuation of a trained model). */
  lr?: number;
  /** Characters per stream per update (default 64, less for a short text). */
  seq?: number;
  /** Streams (lines, for a one-name-per-line model) per update (default 16, fewer when the text is short). */
  batch?: number;
  /** Seed of the batch order and dropout (default 1). */
  seed?: number;
  /** Called after every update with its number (from 1) and its loss in nats per character. */
  onStep?: (step: number, loss: number) => void;
  /** Aborting it stops training after the current update (the weights so far are kept). */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** Updates run. */
  steps: number;
  /** Mean training loss of the last ten updates, nats per character. */
  loss: number;
}

/** Milliseconds of work between yields to the event loop while streaming or training, so a page stays responsive. */
const SLICE_MS = 12;

const yieldToLoop = (): Promise<void> => new Promise((ok) => setTimeout(ok, 0));
const randomSeed = (): number => (Math.random() * 0x1_0000_0000) >>> 0;

export class RecurModel {
  /** What the model reads and writes: characters, bytes, words or BPE subwords (ids 0..tokens.size-1). */
  readonly tokens: Tokenizer;
  /** A character model's characters, in id order; null when the model reads other tokens (or has <unk>). */
  readonly vocab: Vocab | null;
  /** 'stream': continues one long text (char-rnn); 'lines': one sequence per line (names). */
  readonly mode: LmMode;
  private readonly lm: LoadedLm;

  /** @internal use loadModel */
  constructor(lm: LoadedLm, private readonly ownsBackend: boolean) {
    this.lm = lm;
    this.tokens = lm.tokens;
    this.vocab = lineVocab(lm.tokens);
    this.mode = lm.task.mode;
  }

  /** The kernels in use: 'native' (Node addon), 'wasm' (SIMD WebAssembly) or 'js'. */
  get backend(): 'native' | 'wasm' | 'js' { return this.lm.model.be.name as 'native' | 'wasm' | 'js'; }

  /** Threads the kernels run on (a wasm backend in a page that is not cross-origin isolated has one). */
  get threads(): number { return (this.lm.model.be as { threads?: number }).threads ?? 1; }

  /** The architecture (cell, hidden size, layers, ...), as stored in the model file. */
  get config(): Readonly<ModelConfig> { return this.lm.model.config; }

  /** Continue the prime (or start a new text): the generated characters, without the prime. */
  async generate(opts: GenerateOptions = {}): Promise<string> {
    const sampler = this.sampler(opts.seed);
    try {
      return generate(sampler, { length: opts.length ?? 200, prime: this.checkedPrime(opts.prime), temperature: opts.temperature, topK: opts.topK });
    } finally {
      sampler.dispose();
    }
  }

  /**
   * The same text as generate() with the same options, one character at a time, yielding to the event
   * loop every few milliseconds. Leaving a `for await` loop early, or aborting `signal`, stops it.
   */
  async *stream(opts: StreamOptions = {}): AsyncGenerator<string, void, undefined> {
    const sampler = this.sampler(opts.seed);
    const draw = { temperature: opts.temperature, topK: opts.topK };
    try {
      let n = opts.length ?? 200;
      const text = new TextOut(this.tokens);
      const first = this.start(sampler, this.checkedPrime(opts.prime), n);
      if (first !== null) { n--; const t = text.push(first); if (t) yield t; }
      let since = performance.now();
      for (let i = 0; i < n && !opts.signal?.aborted; i++) {
        const t = text.push(sampler.next(draw));
        if (t) yield t;
        if (performance.now() - since > SLICE_MS) { await yieldToLoop(); since = performance.now(); }
      }
      const rest = text.end();
      if (rest) yield rest;
    } finally {
      sampler.dispose();
    }
  }

  /**
   * Mean loss of `text` under the model, in nats per character (divide by ln 2 for bits): each character
   * predicted from those before it (a 'lines' model scores each line on its own). Lower is better; the
   * uniform guess scores ln(vocabulary size). With `dynamic` the model adapts as it reads (ScoreOptions).
   */
  score(text: string, opts: ScoreOptions = {}): number {
    const { model, tokens } = this.lm;
    if (opts.dynamic) {
      if (this.mode === 'lines') throw new Error('a one-sequence-per-line model scores each line on its own; dynamic evaluation adapts a model to one stream of text');
      const o = opts.dynamic === true ? {} : opts.dynamic;
      return evaluateDynamic(model, tokens.encode(text), { ...DYNAMIC_DEFAULTS, ...o, checkOverflow: true }).loss;
    }
    if (this.mode === 'lines') return evaluateLines(model, this.vocab!, splitLines(text), 32, { checkOverflow: true }).loss;
    return evaluateStream(model, tokens.encode(text), { checkOverflow: true }).loss;
  }

  /**
   * Go on training the model on `text` (which may only use characters the model knows), through the
   * library's training loop: Adam, gradient clipping at norm 5, and the divergence guard, which puts
   * back the last good weights and rejects with the reason when the loss runs away. Yields to the event
   * loop between updates. The model changes in place; save() writes it out.
   */
  async train(text: string, opts: TrainOptions = {}): Promise<TrainResult> {
    const job = new LmJob({
      data: { mode: this.mode, text, source: 'library' }, backend: this.lm.model.be, from: this.lm,
      settings: this.trainSettings(text, opts),
    });
    const recent: number[] = [];
    let since = performance.now();
    while (!job.done && !opts.signal?.aborted) {
      const r = job.trainStep();
      recent.push(r.loss);
      if (recent.length > 10) recent.shift();
      opts.onStep?.(job.step, r.loss);
      if (performance.now() - since > SLICE_MS) { await yieldToLoop(); since = performance.now(); }
    }
    return { steps: job.step, loss: recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : NaN };
  }

  /** The model as a recur model file (safetensors), for `recur sample --model` or loadModel. */
  save(): Uint8Array {
    const { model, tokens, task } = this.lm;
    return encodeLm(model, tokens, task, null, null);
  }

  /** Give the backend's threads and memory back (when loadModel made the backend); the model is unusable after. */
  async dispose(): Promise<void> {
    if (!this.ownsBackend) return;
    await (this.lm.model.be as Backend & { dispose?: () => Promise<void> }).dispose?.();
  }

  private sampler(seed: number | undefined): Sampler {
    return new Sampler(this.lm.model, this.tokens, new Rng(seed ?? randomSeed()), { checkOverflow: true });
  }

  /** The prime, refused with the offending character named when the model does not know one of its characters. */
  private checkedPrime(prime: string | undefined): string | undefined {
    if (prime) this.tokens.encode(prime);
    return prime || undefined;
  }

  /**
   * Where a text starts, as tasks/sample.ts generate() does it (so stream() and generate() agree): the
   * prime, else the line marker, else one uniformly drawn token, whose id is returned (it is output).
   */
  private start(sampler: Sampler, prime: string | undefined, length: number): number | null {
    sampler.reset();
    const mark = markId(this.tokens);
    if (prime) sampler.feed(this.tokens.encode(prime));
    else if (mark >= 0) sampler.feedOne(mark);
    else if (length > 0) {
      const id = sampler.rng.int(this.tokens.size);
      sampler.feedOne(id);
      return id;
    }
    return null;
  }

  /** Settings for continued training: the defaults, a constant gentle rate, batch and chunk shrunk to fit a short text. */
  private trainSettings(text: string, opts: TrainOptions): LmSettings {
    const seq = opts.seq ?? Math.max(1, Math.min(64, text.length - 1));
    const units = this.mode === 'lines' ? splitLines(text).length : Math.floor((text.length - 1) / seq);
    const batch = opts.batch ?? Math.max(1, Math.min(16, units));
    return {
      ...DEFAULT_SETTINGS, batch, seq, lr: opts.lr ?? 2e-3, schedule: 'constant', valFraction: 0, steps: opts.steps ?? 100,
      time: null, seed: opts.seed ?? 1,
    };
  }
}
