/**
 * The language model job (Karpathy's char-rnn, over any tokens: data/tokens): text → tokens → batches → model +
 * optimizer + trainer loop, with periodic logging, validation, samples and checkpoints reported through
 * callbacks, a learning-rate schedule, and an exact resume from a saved file.
 *
 * Two kinds of data:
 *  - stream: one long text. It is cut into `batch` contiguous streams; each step trains on the next
 *    `seq` characters of every stream, carrying the hidden state from chunk to chunk (truncated BPTT).
 *    The last `valFraction` of the text is held out for validation.
 *  - lines: one sequence per line (e.g. first names), each framed by the marker "\n" and starting from
 *    the model's initial state; batches are padded and reshuffled every epoch. A fixed shuffle holds
 *    out `valFraction` of the lines.
 *
 * Determinism: the training result depends only on the data, the settings and the seed (with a step
 * budget). Validation, samples, spectra and saving use their own generators and buffers, so when they
 * happen does not change the numbers; a run resumed from a checkpoint continues bit-identically.
 *
 * Platform-free: time comes from `performance.now()` (or the caller's clock), files from the caller.
 * Settings and defaults live in lm-settings.ts, scoring in lm-eval.ts, the file format in lm-file.ts,
 * sampling in sample.ts; this module re-exports the first two.
 */
import type { Backend } from '../kernels/backend.js';
import { REGULARISATION_KEYS, type ModelConfig, type Regularisation } from '../nn/config.js';
import { Model, type RecurrentState } from '../nn/model.js';
import { Optimizer } from '../train/optim.js';
import { adapts, Cadence, type Every } from '../train/cadence.js';
import { TrainingDiverged, TrainLoop } from '../train/loop.js';
import { Trainer, type StepStats } from '../train/trainer.js';
import { SEQ_MARK, SequenceBatcher, Vocab } from '../data/text.js';
import { MemoryByteSource, type ByteSource } from '../data/byte-source.js';
import { CharTokenizer, type Tokenizer } from '../data/tokens/index.js';
import { scanChars } from '../data/corpus-scan.js';
import type { StreamedPosition } from '../data/streamed-batcher.js';
import { LmStreamData } from './lm-stream.js';
import { Rng } from '../util/rng.js';
import { encodeLm, lineVocab, lmConfigProblem, type LmMode, type LmTask, type LoadedLm } from './lm-file.js';
import { readTrainingState, restoreTraining, stateToJson, type LmDataInfo, type LmTrainingState } from './lm-resume.js';
import { evaluateLines, perChar, recurrentSpectrum, type EvalResult } from './lm-eval.js';
import { archProblem, DEFAULT_ARCH, settingsProblem, type LmArch, type LmSettings } from './lm-settings.js';
import { LmWeights } from './lm-weights.js';
import { generate, generateLines, Sampler } from './sample.js';

export * from './lm-settings.js';
export * from './lm-eval.js';

// ------------------------------------------------------------------------------ data

export interface LmData {
  mode: LmMode;
  /** The text, held in memory (lines mode always)... */
  text?: string;
  /** ...or, in stream mode, a corpus of any size read as training needs it. */
  bytes?: ByteSource;
  /** Where the text came from, for the file's task entry (a path, "moby-dick", "first-names", "stdin"). */
  source: string;
}

/** FNV-1a over UTF-16 units: a resumed run checks that it is given the text it was trained on. */
export function textHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The non-empty lines of a text (CRLF tolerated). */
export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0);
}

/** A fixed shuffle (independent of the seed) so that the held-out lines are a property of the data. */
function shuffleLines(lines: string[]): string[] {
  return new Rng(0x6c696e65).shuffle([...lines]);
}

/** How a text with a symbol the model's tokenizer cannot encode is refused (the tokenizer's message follows). */
export const UNKNOWN_CHAR = 'the data has a character the model does not know';

// ------------------------------------------------------------------------------ the job

export type { Every } from '../train/cadence.js';

export interface LmCadence {
  log: Every;
  val: Every | null;
  save: Every | null;
  sample: Every | null;
  spectrum: Every | null;
  /** Characters in the periodic samples (a lines model gives 5 sequences instead). */
  sampleLength: number;
  /** Characters in the final sample (a lines model gives 10 sequences; 0 = no final sample). */
  finalSampleLength: number;
  temperature: number;
}

/** Sequences in the periodic and final samples of a lines model (its sample lengths count characters of text). */
const PERIODIC_LINES = 5, FINAL_LINES = 10;

/**
 * The default validation cadence: as often as validation costs at most 3% of the training time, at
 * least every 30 s (train/cadence.ts). On the names corpus (its 5,900 held-out characters score in
 * 50–70 ms) that is about every 2 s of training: the default 180-s run of the time (dropout 0.3/0.2)
 * kept its best weights at 1.9040 nats/char, where a validation every 30 s had kept 1.9410 in another
 * pair (its best falls 15–20 s in, then it overfits).
 */
export const VAL_AUTO: Every = { seconds: 30, share: 0.03 };

export const DEFAULT_CADENCE: LmCadence = {
  log: { seconds: 2 }, val: VAL_AUTO, save: { seconds: 30 }, sample: { seconds: 30 }, spectrum: null,
  sampleLength: 200, finalSampleLength: 500, temperature: 0.8,
};

export interface LmLog {
  step: number;
  epoch: number;
  /** Mean training loss (nats/token) since the last log line. */
  loss: number;
  /** The same per character of text (nats, and bits: bpc); equal to loss for character tokens. */
  loss_per_char: number;
  bpc: number;
  /** Mean gradient norm (before clipping) since the last log line. */
  grad_norm: number;
  lr: number;
  /** Training characters (and tokens) per second since the last log line. */
  chars_per_s: number;
  tokens_per_s: number;
  /** Seconds of training so far (validation, samples and saving not counted). */
  elapsed: number;
  val_loss?: number;
  val_loss_per_char?: number;
  val_bpc?: number;
  spectral_radius?: number | null;
  spectral_radius_gates?: number[];
  /** A short sample from the model (at the sample cadence). */
  sample?: string;
}

export interface LmSummary {
  steps: number;
  train_loss: number | null;
  val_loss: number | null;
  val_loss_per_char: number | null;
  val_bpc: number | null;
  /** The step whose weights scored val_loss: the best validation, which the model file holds. */
  val_step: number | null;
  chars_per_s: number;
  tokens_per_s: number;
  elapsed: number;
  /** Why the loop ended: the budget, an interruption (shouldStop). */
  stopped: 'budget' | 'interrupted';
  sample: string;
  /** Steps that this invocation ran (a resumed run counts on from the file). */
  run_steps: number;
  spectral_radius?: number | null;
}

export interface LmEvents {
  onLog?(log: LmLog): void;
  /** Called with the encoded model file at each save; the caller writes it (atomically). */
  onSave?(bytes: Uint8Array, step: number): void | Promise<void>;
  /** Checked before every step: true ends the run early (it still saves and summarises). */
  shouldStop?(): boolean;
  /** Awaited after every step: lets a UI or a progress bar run. */
  tick?(job: LmJob): Promise<void> | void;
}

export interface LmJobInput {
  data: LmData;
  backend: Backend;
  settings: LmSettings;
  /** A fresh model of this architecture... */
  arch?: LmArch;
  /** ...or start from this model's weights, vocabulary and architecture (its regularisers may be overridden)... */
  from?: LoadedLm;
  regularisation?: Partial<Regularisation>;
  /**
   * The tokens of a fresh model (data/tokens/build.ts learns one from a text; default: every character of
   * the text its own id); a model from a file brings its own.
   */
  tokens?: Tokenizer;
  /** ...or continue this run exactly (settings come from the file; `budget` may extend it). */
  resume?: LoadedLm;
  budget?: { steps: number | null; time: number | null };
  /** Clock in milliseconds (defaults to performance.now). */
  now?: () => number;
}

/** Training stopped on a non-finite loss or gradient; the parameters are those of the last good step. */
export class LmDivergedError extends Error {
  constructor(message: string, readonly step: number) { super(message); }
}

/** A resumed run must be given the data it was trained on, and a position this version can continue from. */
function checkSameData(saved: LmDataInfo, now: LmDataInfo, position: unknown): void {
  if (now.mode === 'stream' && (saved.bytes === undefined || !Array.isArray((position as StreamedPosition).streams))) {
    throw new Error('this run was saved by a recur that held the whole text in memory (its position counts characters), and cannot be continued on streamed text: start a new run from its weights with --init');
  }
  const size = (d: LmDataInfo): string => (d.mode === 'stream' ? `${d.bytes} bytes` : `${d.chars} characters`);
  if (saved.mode !== now.mode || saved.bytes !== now.bytes || saved.chars !== now.chars || saved.hash !== now.hash) {
    throw new Error(`the data (${size(now)}, hash ${now.hash}) is not the text this run was trained on (${size(saved)}, hash ${saved.hash}); resume with the same data`);
  }
}

const seedOf = (seed: number, k: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + k) >>> 0;

export class LmJob {
  readonly model: Model;
  readonly tokens: Tokenizer;
  readonly mode: LmMode;
  readonly task: LmTask;
  readonly settings: LmSettings;
  readonly optimizer: Optimizer;
  readonly trainer: Trainer;
  /** Budget, schedule, clock and divergence. */
  readonly loop: TrainLoop;
  /** Smoothed training loss and speed of the recent steps (for a live display), null before the first step. */
  recent: { loss: number; charsPerS: number } | null = null;
  /** Training and validation sizes in bytes (stream) or lines (lines). */
  readonly trainSize: number;
  readonly valSize: number;
  /** Characters per token of the training and validation text (1 for character tokens and lines). */
  readonly trainCharsPerToken: number = 1;
  readonly valCharsPerToken: number = 1;
  private readonly trainRng: Rng;
  private readonly stream: LmStreamData | null = null;
  private readonly lines: SequenceBatcher | null = null;
  private readonly valLines: string[] | null = null;
  private readonly trainLines: string[] | null = null;
  private readonly state: RecurrentState;
  /** Which weights are scored and saved: averaged, best on validation (lm-weights.ts). */
  readonly weights: LmWeights;
  private readonly dataInfo: LmDataInfo;
  private readonly now: () => number;

  constructor(input: LmJobInput) {
    const { data, backend: be } = input;
    this.now = input.now ?? (() => performance.now());
    const resume = input.resume;
    const base = resume ?? input.from ?? null;
    const training = resume ? readTrainingState(resume.checkpoint) : null;
    this.settings = training ? { ...training.settings, ...(input.budget ?? {}) } : { ...input.settings };
    const problem = settingsProblem(this.settings);
    if (problem) throw new Error(problem);
    const s = this.settings;

    // The data and its vocabulary.
    this.mode = base ? base.task.mode : data.mode;
    if (data.mode !== this.mode) {
      throw new Error(`the model reads ${this.mode === 'lines' ? 'one sequence per line' : 'one stream of text'}, but the data was given as ${data.mode === 'lines' ? 'lines' : 'a stream'}`);
    }
    let lines: string[] | null = null;
    if (this.mode === 'lines') {
      if (data.text === undefined) throw new Error('one sequence per line needs the text in memory');
      if (data.text.length === 0) throw new Error('the text is empty');
      lines = splitLines(data.text);
      if (lines.length === 0) throw new Error('the text has no non-empty lines');
      this.dataInfo = { mode: 'lines', chars: data.text.length, hash: textHash(data.text) };
      this.tokens = base?.tokens ?? input.tokens ?? new CharTokenizer(Vocab.fromText(lines.join(''), SEQ_MARK));
    } else {
      if (data.text !== undefined && data.text.length === 0) throw new Error('the text is empty');
      const src = data.bytes ?? MemoryByteSource.fromText(data.text ?? '', data.source);
      if (base && data.text !== undefined) {
        try { base.tokens.encode(data.text); } catch (e) { throw new Error(`${UNKNOWN_CHAR}: ${(e as Error).message}`); }
      }
      // A fresh model without tokens reads every character of the corpus (one fast pass, or the text in memory).
      const own = !base && !input.tokens;
      this.tokens = base?.tokens ?? input.tokens ?? new CharTokenizer(data.text !== undefined ? Vocab.fromText(data.text) : scanChars(src));
      this.stream = new LmStreamData(src, this.tokens, s, own);
      this.dataInfo = this.stream.info;
    }
    if (training) checkSameData(training.data, this.dataInfo, training.position);
    const lineChars = lines ? lineVocab(this.tokens) : null;
    if (lines && !lineChars) throw new Error(`one sequence per line is learned from characters, not ${this.tokens.kind} tokens`);
    // A model from a file brings its vocabulary: the text must not hold characters outside it
    // (a streamed corpus is checked as it is read: the error names the byte offset).
    try {
      if (lines && base) for (const l of lines) lineChars!.encode(l);
    } catch (e) {
      throw new Error(`${UNKNOWN_CHAR}: ${(e as Error).message}`);
    }
    this.task = { kind: 'lm', mode: this.mode, source: data.source };

    // The model.
    if (base) {
      // The loaded model itself, unless --init changes its regularisers (config fields: a new model, same weights).
      const bc = base.model.config, reg = input.from ? input.regularisation ?? {} : {};
      const changed = REGULARISATION_KEYS.some((k) => reg[k] !== undefined && reg[k] !== bc[k]);
      if (base.model.be !== be) throw new Error('the model was loaded with another backend than the one given to the job');
      this.model = changed ? new Model({ ...bc, ...reg }, be) : base.model;
      if (this.model !== base.model) { this.model.params.data.set(base.model.params.data); this.model.params.touch(); }
    } else {
      const a = input.arch ?? DEFAULT_ARCH;
      const V = this.tokens.size;
      const archIssue = archProblem(a);
      if (archIssue) throw new Error(archIssue);
      const cfg: Partial<ModelConfig> = {
        cell: a.cell, activation: a.activation, hidden: a.hidden, layers: a.layers, embed: a.embed, lags: a.lags,
        h0: a.h0, init: a.init, forgetBias: a.forgetBias, bidirectional: a.bidirectional, tieWeights: a.tieWeights,
        ...Object.fromEntries(REGULARISATION_KEYS.map((k) => [k, a[k]])),
        inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax', outputMode: 'every',
      };
      if (a.bidirectional) throw new Error('a language model predicts each character from those before it; a bidirectional model would see the answer');
      this.model = new Model(cfg, be).init(new Rng(seedOf(s.seed, 1)));
    }
    const cfgProblem = lmConfigProblem(this.model.config, this.tokens.size);
    if (cfgProblem) throw new Error(cfgProblem);

    // Batches.
    if (lines) {
      const shuffled = shuffleLines(lines);
      const nVal = s.valFraction > 0 ? Math.max(1, Math.round(shuffled.length * s.valFraction)) : 0;
      const train = shuffled.slice(0, shuffled.length - nVal);
      if (train.length < s.batch) throw new Error(`${train.length} training lines${nVal ? ` (after holding out ${nVal} for validation)` : ''} are fewer than the batch of ${s.batch}: use a smaller --batch`);
      this.trainLines = train;
      this.lines = new SequenceBatcher(train, { batch: s.batch, seed: s.seed, vocab: lineChars!, dropLast: true });
      let val = shuffled.slice(shuffled.length - nVal);
      if (s.valChars > 0) {
        let n = 0, k = 0;
        while (k < val.length && n + val[k].length + 1 <= s.valChars) n += val[k++].length + 1;
        val = val.slice(0, Math.max(1, k));
      }
      this.valLines = nVal ? val : null;
      this.trainSize = train.length;
      this.valSize = this.valLines?.length ?? 0;
    } else {
      this.trainSize = this.stream!.trainBytes;
      this.valSize = this.stream!.valBytes;
      this.trainCharsPerToken = this.stream!.trainCharsPerToken;
      this.valCharsPerToken = this.stream!.valCharsPerToken;
    }

    // Optimizer, trainer and the state carried between steps.
    this.optimizer = new Optimizer(be, this.model.params, { name: s.optimizer, lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay });
    this.trainRng = new Rng(seedOf(s.seed, 2));
    this.trainer = new Trainer(this.model, this.optimizer, { clipNorm: s.clipNorm, clipValue: s.clipValue, rng: this.trainRng });
    this.state = this.model.newState(s.batch, this.trainRng);
    this.weights = new LmWeights(be, this.model.params, s.average);
    // Resuming: the file's tensors are the weights it offers (the best); training goes on from θ.
    if (training && resume) this.weights.restore(resume.checkpoint);
    this.loop = new TrainLoop((lr) => this.update(lr), {
      budget: { steps: s.steps, seconds: s.time },
      schedule: { kind: s.schedule, lr: s.lr, lrMin: s.lrMin, warmup: s.warmup },
      guard: { uniformLoss: Math.log(this.tokens.size) }, params: this.model.params, now: this.now,
    });

    if (training && resume) {
      restoreTraining(training, resume.checkpoint, { optimizer: this.optimizer, batcher: (this.stream ?? this.lines)!, rng: this.trainRng, state: this.stream ? this.state : null });
      this.loop.step = training.step;
      this.loop.elapsed = training.elapsed;
    }
  }

  /** Steps taken (counting those before a resume). */
  get step(): number { return this.loop.step; }
  /** Seconds of training (counting those before a resume). */
  get elapsed(): number { return this.loop.elapsed; }

  /** Learning rate of the next step: warm-up, then the schedule over the budget (steps, or training time). */
  lr(): number { return this.loop.lr(); }

  /** Epochs done, fractional. */
  get epoch(): number {
    if (this.stream) return this.stream.epochs;
    const p = this.lines!.position; return p.epoch + p.offset / this.lines!.size;
  }

  /** Stream mode: bytes of the training part behind the streams in this epoch (null for lines). */
  get bytesDone(): number | null { return this.stream ? this.stream.batcher.bytesDone : null; }

  get done(): boolean { return this.loop.done; }

  /**
   * One update. Returns the loss, the gradient norm before clipping, the characters it trained on,
   * its seconds and whether its loss was healthy (divergence.ts); throws LmDivergedError.
   */
  trainStep(): { loss: number; gradNorm: number; chars: number; seconds: number; healthy: boolean } {
    try {
      const r = this.loop.next();
      return { loss: r.loss, gradNorm: r.gradNorm, chars: r.count, seconds: r.seconds, healthy: r.healthy };
    } catch (e) {
      if (e instanceof TrainingDiverged) throw new LmDivergedError(e.message, e.step);
      throw e;
    }
  }

  /** The update itself: the next batch (streams carry their state; lines start from h0) at rate `lr`. */
  private update(lr: number): StepStats {
    const m = this.model;
    if (this.stream) {
      const b = this.stream.next();
      if (b.reset) m.resetState(this.state, null, this.trainRng);
      return this.afterUpdate(this.trainer.step({ T: this.settings.seq, B: this.settings.batch, tokens: b.inputs, targets: b.targets }, this.state, lr));
    }
    const b = this.lines!.next();
    m.resetState(this.state, null, this.trainRng);
    return this.afterUpdate(this.trainer.step({ T: b.steps, B: b.batch, tokens: b.inputs, targets: b.targets, lengths: b.lengths }, this.state, lr));
  }

  private afterUpdate(stats: StepStats): StepStats {
    this.weights.afterUpdate();
    return stats;
  }

  /**
   * Loss on the held-out text (null without one) of the scored weights (averaged with --average); the
   * best so far are kept for the file. Stream mode reads it as `batch` streams side by side.
   */
  validate(): EvalResult | null {
    return this.weights.validate(this.step, () => this.heldOutLoss());
  }

  /** The best validation loss so far and its step (what the model file holds), or null. */
  get best(): { loss: number; step: number } | null { return this.weights.bestScore; }

  private heldOutLoss(): EvalResult | null {
    if (this.stream) return this.stream.validate(this.model);
    if (this.valLines) return evaluateLines(this.model, lineVocab(this.tokens)!, this.valLines, this.settings.batch);
    return null;
  }

  /** A sample from the current model: text (stream) or lines joined by newlines; its own generator. */
  sample(length: number, temperature: number, seed = seedOf(this.settings.seed, 3 + this.step)): string {
    return this.weights.scored(() => this.sampleFrom(length, temperature, seed));
  }

  private sampleFrom(length: number, temperature: number, seed: number): string {
    const sampler = new Sampler(this.model, this.tokens, new Rng(seed));
    try {
      if (this.mode === 'lines') return generateLines(sampler, length, 40, { temperature }).join('\n');
      return generate(sampler, { length, temperature });
    } finally {
      sampler.dispose();
    }
  }

  /** What --resume needs: the file's `training` entry. */
  trainingRecord(): LmTrainingState {
    return {
      step: this.step, elapsed: this.elapsed, seed: this.settings.seed, settings: { ...this.settings },
      position: (this.stream ?? this.lines)!.position, rng: this.trainRng.getState(), optimizer: this.optimizer.toJSON() as LmTrainingState['optimizer'],
      state: this.stream ? stateToJson(this.state) : null, data: { ...this.dataInfo }, weights: this.weights.record(),
    };
  }

  /** The model file as it stands (with optimizer moments, so that the run can be resumed exactly). */
  encode(): Uint8Array {
    const record = this.trainingRecord();
    return this.weights.inFile(this.optimizer, (slots) => encodeLm(this.model, this.tokens, this.task, record, slots));
  }

  /**
   * Train until the budget is spent (or shouldStop), reporting through the callbacks.
   *
   * Saving is one step behind: a save encodes the model when it is due, but hands the bytes to onSave
   * only after the next step's forward pass has given a healthy loss with those parameters (finite,
   * and not above the divergence limit: divergence.ts). So the file never holds parameters that
   * already produce NaN or a loss worse than guessing. The run's starting point is held the same way
   * (without writing it): when training diverges before any save was confirmed, it is the last good
   * model and is written then. The final model is saved once its validation loss (or, without
   * validation text, its loss on a training batch) is finite.
   */
  async run(events: LmEvents = {}, cadence: LmCadence = DEFAULT_CADENCE): Promise<LmSummary> {
    const startStep = this.step;
    const loop = this.loop;
    const last = {
      log: new Cadence(cadence.log, loop), val: new Cadence(cadence.val, loop), save: new Cadence(cadence.save, loop),
      sample: new Cadence(cadence.sample, loop), spectrum: new Cadence(cadence.spectrum, loop),
    };
    // A fixed validation cadence saves with each validation; one that adapts to its cost (often, on a
    // small held-out text) leaves saving to the save cadence: the file holds the best weights whenever written.
    const saveWithVal = !adapts(cadence.val);
    let acc = { loss: 0, grad: 0, chars: 0, time: 0, n: 0 };
    let totalChars = 0, totalTime = 0, lastTrainLoss: number | null = null;
    let lastVal: { step: number; r: EvalResult } | null = null;
    let stopped: LmSummary['stopped'] = 'budget';
    // Encoded parameters waiting for the next step to show they are good; `write`: a save is due.
    let pending: { bytes: Uint8Array; step: number; write: boolean } | null = events.onSave ? { bytes: this.encode(), step: this.step, write: false } : null;
    let good: { bytes: Uint8Array; step: number; written: boolean } | null = null;
    const checkVal = (r: EvalResult | null): EvalResult | null => {
      if (r && !Number.isFinite(r.loss)) throw new LmDivergedError(`training diverged at step ${this.step}: the validation loss became ${r.loss}`, this.step);
      return r;
    };

    try {
      while (!this.done) {
        if (events.shouldStop?.()) { stopped = 'interrupted'; break; }
        const lr = this.lr();
        const r = this.trainStep();
        const dt = r.seconds;
        acc.loss += r.loss; acc.grad += r.gradNorm; acc.chars += r.chars; acc.time += dt; acc.n++;
        totalChars += r.chars; totalTime += dt;
        const rate = dt > 0 ? r.chars / dt * this.trainCharsPerToken : 0;
        this.recent = this.recent ? { loss: 0.9 * this.recent.loss + 0.1 * r.loss, charsPerS: 0.9 * this.recent.charsPerS + 0.1 * rate } : { loss: r.loss, charsPerS: rate };
        // The parameters held for saving have just given a healthy loss: they are good; write them if due.
        if (pending && r.healthy) {
          if (pending.write) await events.onSave?.(pending.bytes, pending.step);
          good = { bytes: pending.bytes, step: pending.step, written: pending.write };
        }
        pending = null;

        const valDue = last.val.due || (this.done && cadence.val !== null);
        let val: EvalResult | null = null;
        if (valDue) {
          const t = performance.now();
          val = checkVal(this.validate());
          last.val.done((performance.now() - t) / 1000);
          if (val) lastVal = { step: this.step, r: val };
        }
        let spec: ReturnType<typeof recurrentSpectrum> | undefined;
        if (last.spectrum.due) { spec = recurrentSpectrum(this.model); last.spectrum.done(); }
        let sample: string | undefined;
        if (last.sample.due && !this.done) {
          sample = this.sample(this.mode === 'lines' ? PERIODIC_LINES : cadence.sampleLength, cadence.temperature);
          last.sample.done();
        }
        if (last.log.due || val || spec !== undefined || sample !== undefined || this.done) {
          lastTrainLoss = acc.loss / acc.n;
          const train = perChar(lastTrainLoss, acc.chars, this.trainCharsPerToken), tokensPerS = acc.time > 0 ? acc.chars / acc.time : 0;
          const log: LmLog = {
            step: this.step, epoch: this.epoch, loss: lastTrainLoss, loss_per_char: train.loss_per_char, bpc: train.bpc, grad_norm: acc.grad / acc.n,
            lr, chars_per_s: tokensPerS * this.trainCharsPerToken, tokens_per_s: tokensPerS, elapsed: this.elapsed,
          };
          if (val) { log.val_loss = val.loss; log.val_loss_per_char = val.loss_per_char; log.val_bpc = val.bpc; }
          if (spec !== undefined) { log.spectral_radius = spec?.radius ?? null; if (spec && spec.gates.length > 1) log.spectral_radius_gates = spec.gates; }
          if (sample !== undefined) log.sample = sample;
          events.onLog?.(log);
          acc = { loss: 0, grad: 0, chars: 0, time: 0, n: 0 };
          last.log.done();
        }
        if ((last.save.due || (valDue && saveWithVal)) && !this.done && events.onSave) {
          pending = { bytes: this.encode(), step: this.step, write: true };
          last.save.done();
        }
        await events.tick?.(this);
      }
      // The final model: checked (validation, or a training batch) before it replaces the last good file.
      if (lastVal?.step !== this.step) {
        const v = checkVal(this.validate());
        if (v) lastVal = { step: this.step, r: v };
      }
      if (!lastVal) checkVal(this.trainingLoss());
    } catch (e) {
      // Diverged: the last good model goes to the file if it is not there yet (the run's start, say).
      if (e instanceof LmDivergedError && good && !good.written) await events.onSave?.(good.bytes, good.step);
      throw e;
    }
    if (events.onSave) await events.onSave(this.encode(), this.step);
    const spec = cadence.spectrum !== null ? recurrentSpectrum(this.model) : undefined;
    const n = cadence.finalSampleLength;
    // The summary and the final sample describe what the file holds: the best weights on validation.
    const sample = n > 0 ? this.weights.inFileWeights(() => this.sampleFrom(this.mode === 'lines' ? FINAL_LINES : n, cadence.temperature, seedOf(this.settings.seed, 3 + this.step))) : '';
    const kept = this.best ?? (lastVal ? { loss: lastVal.r.loss, step: lastVal.step } : null);
    return {
      steps: this.step, train_loss: lastTrainLoss, val_loss: kept?.loss ?? null,
      val_loss_per_char: kept ? kept.loss / this.valCharsPerToken : null, val_bpc: kept ? perChar(kept.loss, 1, this.valCharsPerToken).bpc : null, val_step: kept?.step ?? null,
      chars_per_s: totalTime > 0 ? totalChars / totalTime * this.trainCharsPerToken : 0, tokens_per_s: totalTime > 0 ? totalChars / totalTime : 0, elapsed: this.elapsed, stopped, sample, run_steps: this.step - startStep,
      ...(spec !== undefined ? { spectral_radius: spec?.radius ?? null } : {}),
    };
  }

  /** Loss of the current model on the start of the training data (a finiteness check when there is no validation text). */
  private trainingLoss(): EvalResult {
    if (this.stream) return this.stream.trainingLoss(this.model);
    return evaluateLines(this.model, lineVocab(this.tokens)!, this.trainLines!.slice(0, this.settings.batch), this.settings.batch);
  }

}
