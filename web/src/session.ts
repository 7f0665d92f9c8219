/**
 * One playground model and everything the page shows about it, on the library's own code: Model,
 * Trainer and Optimizer for training (truncated BPTT over char-rnn streams, as lm.ts's stream mode),
 * lm.ts's evaluateStream for validation, the Sampler for text, spectrum.ts for the eigenvalues of
 * W_hh, gradflow.ts for ‖∂L/∂h_t‖, lm-file.ts for the model file. Nothing here is a second
 * implementation; this file only wires them and packs results for the page.
 *
 * Why not LmJob itself: its settings are fixed for a run, and the playground changes the learning
 * rate, clipping, optimizer and chunk size while it trains. The loop here is LmJob's stream-mode step
 * (same streamed batcher over the text in memory, same state reset, same Trainer call), and the file it writes carries LmJob's
 * `training` record, so `recur train --resume --data <the same text>` continues a playground run
 * exactly, and a file from either side loaded here with its own text continues exactly too.
 *
 * Platform-free (no DOM, no worker API): the worker drives it, and the tests run it in Node.
 */
import type { Backend, Buf } from '../../src/kernels/backend.js';
import { eigenvalues, spectralRadius, type Complex } from '../../src/analysis/spectrum.js';
import { gradFlow } from '../../src/analysis/gradflow.js';
import { Vocab } from '../../src/data/text.js';
import { MemoryByteSource } from '../../src/data/byte-source.js';
import { CharTokenizer } from '../../src/data/tokens/index.js';
import { splitPoint } from '../../src/data/corpus-scan.js';
import { LmStreamData } from '../../src/tasks/lm-stream.js';
import { gatesOf, hasJordan } from '../../src/nn/config.js';
import { Model, type RecurrentState } from '../../src/nn/model.js';
import { LstmLayer } from '../../src/nn/lstm.js';
import { GruLayer } from '../../src/nn/gru.js';
import { DEFAULT_SETTINGS, evaluateStream, type LmSettings } from '../../src/tasks/lm.js';
import { decodeLm, encodeLm, lineVocab, type LmTask, type LoadedLm } from '../../src/tasks/lm-file.js';
import { readTrainingState, restoreTraining, stateToJson, type LmTrainingState } from '../../src/tasks/lm-resume.js';
import { generate, generateLines, Sampler } from '../../src/tasks/sample.js';
import { Optimizer } from '../../src/train/optim.js';
import { TrainLoop } from '../../src/train/loop.js';
import { constantSchedule } from '../../src/train/schedule.js';
import { Trainer, type StepStats } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import type { Inspection, ModelInfo, Settings, StepPoint, TrainSettings } from './protocol.js';

const LN2 = Math.LN2;
/** Validation reads at most this many characters (a steady estimate that costs a few training steps). */
const VAL_CHARS = 4000;
const VAL_STREAMS = 8;
/** The inspector shows at most this many characters. */
export const INSPECT_MAX = 600;
const TOP_K = 5;
const GATES: Record<string, string[]> = { lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'] };
const GATE_NAMES: Record<string, string> = {
  i: 'input gate', f: 'forget gate', g: 'cell candidate', o: 'output gate', r: 'reset gate', z: 'update gate', n: 'new state',
};

/** Held out for validation when the text has at least 200 characters (below that, nothing is). */
const VAL_FRACTION = 0.1;

/** The attached text: its bytes as lm.ts's streams read them, and its training and validation ids for the probes. */
interface Corpus { src: MemoryByteSource; tok: CharTokenizer; train: Int32Array; val: Int32Array | null; valFraction: number }

export class Session {
  /** Training randomness only (state resets, dropout), so that a resumed run draws the same numbers. */
  readonly rng: Rng;
  /** The probes' own randomness (random initial states): probing never changes the training run. */
  private readonly probeRng: Rng;
  private readonly sampler: Sampler;
  private trainer!: Trainer;
  private optimizer!: Optimizer;
  private batcher: LmStreamData | null = null;
  private state: RecurrentState | null = null;
  private corpus: Corpus | null = null;
  private train: TrainSettings;
  /** Streams per batch actually used (fewer than asked when the text is short). */
  batch = 0;
  /** The library's training loop: step count, training seconds, divergence (no budget: it trains until paused). */
  private readonly loop: TrainLoop;
  /** The loaded file, while its training record may still be resumed (until a corpus is attached). */
  private file: LoadedLm | null = null;

  private constructor(readonly model: Model, readonly vocab: Vocab, readonly task: LmTask, settings: TrainSettings, readonly seed: number) {
    this.rng = new Rng(seed);
    this.probeRng = new Rng(seed + 2);
    this.sampler = new Sampler(model, vocab, new Rng(seed + 1));
    this.train = { ...settings };
    this.makeTrainer(true);
    this.loop = new TrainLoop((lr) => this.update(lr), {
      budget: {}, schedule: constantSchedule(settings.lr), guard: { uniformLoss: Math.log(vocab.size) }, params: model.params,
    });
  }

  get step(): number { return this.loop.step; }
  /** Seconds spent in training steps. */
  get elapsed(): number { return this.loop.elapsed; }

  /** A new model for a text. */
  static create(text: string, source: string, settings: Settings, be: Backend): Session {
    const vocab = Vocab.fromText(text);
    if (vocab.size < 2) throw new Error('the text uses a single character: there is nothing to predict');
    const V = vocab.size;
    const model = new Model({
      cell: settings.cell, activation: settings.activation, hidden: settings.hidden, layers: settings.layers,
      h0: settings.h0, inputSize: V, outputSize: V, inputKind: 'tokens', head: 'softmax', outputMode: 'every',
    }, be).init(new Rng(settings.seed));
    const s = new Session(model, vocab, { kind: 'lm', mode: 'stream', source }, settings, settings.seed);
    s.attach(text);
    return s;
  }

  /** A model from a recur model file (validated by the library: a bad file throws one sentence). */
  static load(bytes: Uint8Array, be: Backend, settings: TrainSettings, seed: number): Session {
    const file = decodeLm(bytes, be, 'the model file');
    const vocab = lineVocab(file.tokens);
    if (!vocab) throw new Error(`the playground reads character models, and this one reads ${file.tokens.kind} tokens: sample it with recur sample`);
    const s = new Session(file.model, vocab, file.task, settings, seed);
    s.file = file;
    return s;
  }

  get hasCorpus(): boolean { return this.corpus !== null; }
  get epoch(): number { return Math.floor(this.batcher?.epochs ?? 0); }
  get trainSettings(): TrainSettings { return { ...this.train }; }

  /**
   * Train on `text` from now on; every character must be in the model's vocabulary. A loaded file whose
   * training record is for this very text continues exactly where it stopped (settings, optimizer
   * moments, data position, carried state, random generator): returns true then.
   */
  attach(text: string): boolean {
    let ids: Int32Array;
    try {
      ids = this.vocab.encode(text);
    } catch (e) {
      throw new Error(`this model cannot read the corpus: ${(e as Error).message}`);
    }
    // Hold out the last tenth for validation when there is enough text to make that meaningful.
    const valFraction = ids.length >= 200 ? VAL_FRACTION : 0;
    const src = MemoryByteSource.fromText(text, 'the corpus'), tok = new CharTokenizer(this.vocab);
    const valStart = splitPoint(src, tok, valFraction);
    const val = valStart < src.size ? tok.encodeBytes(src.bytes.subarray(valStart)) : null;
    this.corpus = { src, tok, train: tok.encodeBytes(src.bytes.subarray(0, valStart)), val, valFraction };
    this.makeBatcher();
    const file = this.file;
    this.file = null;
    return file !== null && this.resume(file);
  }

  /** Continue the run recorded in `file` when it was trained on the attached text; false when it cannot. */
  private resume(file: LoadedLm): boolean {
    const c = this.corpus!;
    let r: LmTrainingState;
    try { r = readTrainingState(file.checkpoint); } catch { return false; }
    const info = this.batcher!.info;
    if (file.task.mode !== 'stream' || r.data.mode !== 'stream' || r.data.bytes !== info.bytes || r.data.hash !== info.hash) return false;
    if (r.settings.valFraction !== c.valFraction) return false;
    const before = { train: this.train, batch: this.batch, batcher: this.batcher, state: this.state };
    const rngState = this.rng.getState();
    try {
      const s = r.settings;
      this.train = { seq: s.seq, batch: s.batch, lr: s.lr, optimizer: s.optimizer, clipNorm: s.clipNorm, clipValue: s.clipValue };
      this.optimizer = new Optimizer(this.model.be, this.model.params, { name: s.optimizer, lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay });
      this.makeTrainer(false);
      this.makeBatcher();
      if (this.batch !== s.batch) throw new Error('the batch does not fit');
      restoreTraining(r, file.checkpoint, { optimizer: this.optimizer, batcher: this.batcher!, rng: this.rng, state: this.state });
      this.loop.step = r.step;
      this.loop.elapsed = r.elapsed;
      return true;
    } catch {
      // Not resumable after all: keep the weights, train on from a fresh optimizer and the start of the text.
      Object.assign(this, before);
      this.rng.setState(rngState);
      this.makeTrainer(true);
      return false;
    }
  }

  /** New training hyper-parameters: lr and clipping apply at once, a new optimizer restarts its moments. */
  setTrainSettings(t: TrainSettings): void {
    const old = this.train;
    this.train = { ...t };
    this.makeTrainer(t.optimizer !== old.optimizer);
    if (this.corpus && (t.seq !== old.seq || t.batch !== old.batch)) this.makeBatcher();
  }

  private makeTrainer(newOptimizer: boolean): void {
    const t = this.train;
    if (newOptimizer || !this.optimizer) {
      this.optimizer = new Optimizer(this.model.be, this.model.params, { name: t.optimizer, lr: t.lr, momentum: t.optimizer === 'sgd' ? 0.9 : 0 });
    }
    this.trainer = new Trainer(this.model, this.optimizer, { clipNorm: t.clipNorm, clipValue: t.clipValue, rng: this.rng });
  }

  private makeBatcher(): void {
    const c = this.corpus!, seq = this.train.seq;
    const n = c.train.length;
    if (n < seq + 1) {
      throw new Error(`the text is too short: ${n} training characters for sequences of ${seq} (shorten the sequence length or add text)`);
    }
    // As many streams as asked for that each get a chunk (streams are cut by bytes: fewer when characters are wide).
    for (let batch = Math.max(1, Math.min(this.train.batch, Math.floor((n - 1) / seq))); ; batch = Math.floor(batch / 2)) {
      try {
        this.batcher = new LmStreamData(c.src, c.tok, { ...DEFAULT_SETTINGS, batch, seq, valFraction: c.valFraction }, true);
        this.batch = batch;
        break;
      } catch (e) {
        if (batch <= 1) throw e;
      }
    }
    this.state = this.model.newState(this.batch, this.rng);
  }

  /**
   * One truncated-BPTT update on the next chunk of every stream, through the library's loop: a loss
   * that diverges (non-finite, or far above a uniform guess for a while) throws, with the parameters
   * put back to the last good ones.
   */
  trainStep(): StepPoint {
    if (!this.batcher || !this.state) throw new Error('this model has no text to train on');
    this.loop.schedule = constantSchedule(this.train.lr);
    const s = this.loop.next();
    return { step: s.step, loss: s.loss / LN2, gradNorm: s.gradNorm };
  }

  private update(lr: number): StepStats {
    const b = this.batcher!.next();
    if (b.reset) this.model.resetState(this.state!, null, this.rng);
    return this.trainer.step({ T: this.train.seq, B: this.batch, tokens: b.inputs, targets: b.targets }, this.state!, lr);
  }

  /** Validation loss in bits per character on the start of the held-out text (null without one), as `recur train` measures it. */
  validate(): number | null {
    const val = this.corpus?.val;
    if (!val) return null;
    return evaluateStream(this.model, val.subarray(0, Math.min(val.length, VAL_CHARS)), { streams: VAL_STREAMS, chunk: this.train.seq }).bpc;
  }

  /**
   * New text from the model: a stream of characters, or lines for a one-name-per-line model. It starts
   * from the prime, else from a newline (the vocabulary's line marker), as `recur sample` does.
   */
  sample(temperature: number, length = 400, opts: { prime?: string; topK?: number } = {}): string {
    const { prime, topK } = opts;
    if (prime) this.vocab.encode(prime); // a prime with a character the model never saw is refused, named
    if (this.task.mode === 'lines') return generateLines(this.sampler, 12, 40, { temperature, topK, prime }).join('\n');
    return generate(this.sampler, { length, temperature, topK, prime });
  }

  /** The square recurrent matrices of this model, for the spectrum view. */
  matrices(): { id: string; label: string }[] {
    const c = this.model.config, p = this.model.params, out: { id: string; label: string }[] = [];
    const layerTag = (l: number): string => (c.layers > 1 ? ` (layer ${l + 1})` : '');
    for (let l = 0; l < c.layers; l++) {
      const name = `rnn.weight_hh_l${l}`;
      if (p.has(name)) {
        const gates = GATES[c.cell];
        if (gates) for (const g of gates) out.push({ id: `${name}#${g}`, label: `W_h${g}: ${GATE_NAMES[g]}${layerTag(l)}` });
        else out.push({ id: name, label: `W_hh${layerTag(l)}` });
      }
      for (const k of c.lags) if (p.has(`${name}_lag${k}`)) out.push({ id: `${name}_lag${k}`, label: `W_hh lag ${k}${layerTag(l)}` });
    }
    // A Jordan layer has no W_hh: its state returns through the output, h_{t−1} → W_dec → W_oh → h_t.
    if (hasJordan(c.cell) && c.layers === 1) out.push({ id: 'jordan-loop', label: 'W_oh·W_dec: the Jordan loop (softmax left out)' });
    // GRU and LSTM: the candidate block is the one that carries the state, so show it first.
    const first = c.cell === 'lstm' ? 2 : c.cell === 'gru' ? 2 : 0;
    if (first && out.length > first) out.unshift(...out.splice(first, 1));
    return out;
  }

  /** Eigenvalues of one of `matrices()`. */
  spectrum(id: string): { label: string; eigs: Complex[]; radius: number; weights: Float32Array } {
    const m = this.matrices().find((x) => x.id === id) ?? this.matrices()[0];
    if (!m) throw new Error('this model has no square recurrent matrix');
    const W = this.square(m.id);
    const eigs = eigenvalues(W, this.model.config.hidden);
    return { label: m.label, eigs, radius: spectralRadius(eigs), weights: Float32Array.from(W) };
  }

  private square(id: string): Float64Array {
    const H = this.model.config.hidden, p = this.model.params;
    const out = new Float64Array(H * H);
    if (id === 'jordan-loop') {
      const woh = p.get('rnn.weight_oh_l0'), dec = p.get('decoder.weight'), O = this.model.config.outputSize;
      for (let i = 0; i < H; i++) for (let k = 0; k < O; k++) {
        const a = woh[i * O + k];
        if (a !== 0) for (let j = 0; j < H; j++) out[i * H + j] += a * dec[k * H + j];
      }
      return out;
    }
    const [name, gate] = id.split('#');
    const W = p.get(name);
    const block = gate ? GATES[this.model.config.cell].indexOf(gate) : 0;
    if (block < 0 || W.length < (block + 1) * H * H || (gate && gatesOf(this.model.config.cell) * H * H !== W.length)) throw new Error(`no matrix ${id}`);
    for (let i = 0; i < H * H; i++) out[i] = W[block * H * H + i];
    return out;
  }

  /** ‖∂L/∂h_t‖ of the top layer for a loss at the last of `T` steps, on a fixed stretch of the text. */
  gradFlow(): { norms: number[]; perStep: number; layer: number } | null {
    const src = this.corpus?.val && this.corpus.val.length > 130 ? this.corpus.val : this.corpus?.train;
    if (!src) return null;
    const T = Math.min(Math.max(this.train.seq, 64), src.length - 1), B = Math.max(1, Math.min(4, Math.floor((src.length - 1) / T)));
    const tokens = new Int32Array(T * B), targets = new Int32Array(T * B);
    const stride = Math.floor((src.length - 1) / B);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
      tokens[t * B + b] = src[b * stride + t];
      targets[t * B + b] = src[b * stride + t + 1];
    }
    const g = gradFlow(this.model, { T, B, tokens, targets }, { state: this.model.newState(B, this.probeRng), rng: this.probeRng });
    return { norms: g.grad_norms, perStep: g.per_step, layer: g.layer };
  }

  /**
   * What the hidden units do over a text: the activations [T×H] of one layer and the top next-character
   * predictions at every position. Default text: the start of the validation part (or a sample).
   */
  inspect(text: string | null, layer: number): Inspection {
    const c = this.model.config, H = c.hidden, V = this.vocab.size;
    const l = Math.max(0, Math.min(c.layers - 1, Math.floor(layer)));
    let source = text ?? this.defaultInspectText();
    let dropped = 0;
    const chars: string[] = [];
    for (const ch of source) {
      if (chars.length >= INSPECT_MAX) break;
      if (this.vocab.index(ch) < 0) { dropped++; continue; }
      chars.push(ch);
    }
    if (chars.length === 0) { source = this.sample(0.8, 200); chars.push(...source); }
    const T = chars.length;
    const tokens = Int32Array.from(chars, (ch) => this.vocab.index(ch));
    this.model.forward({ T, B: 1, tokens }, this.model.newState(1, this.probeRng), { train: false, carry: false });
    const lay = this.model.layers[l][0];
    const acts = new Float32Array(T * H);
    for (let t = 0; t < T; t++) acts.set(lay.hs.subarray(lay.hOff(lay.step(t)), lay.hOff(lay.step(t)) + H), t * H);
    const probs = this.model.be.alloc(T * V);
    this.model.be.softmax(T, V, this.model.logits, 0, probs, 0, 1);
    const k = Math.min(TOP_K, V);
    const topChars: string[] = [], topProbs = new Float32Array(T * k);
    const idx = Array.from({ length: V }, (_, i) => i);
    for (let t = 0; t < T; t++) {
      const row = probs.subarray(t * V, (t + 1) * V);
      idx.sort((a, b) => row[b] - row[a]);
      for (let j = 0; j < k; j++) { topChars.push(this.vocab.chars[idx[j]]); topProbs[t * k + j] = row[idx[j]]; }
    }
    this.model.be.free(probs);
    return { chars, acts, H, layer: l, k, topChars, topProbs, dropped, gates: this.gatesOf(lay, T) };
  }

  /**
   * The gate values the last forward pass left in a layer (one stream): the LSTM kernel activates its
   * gates in place in xw (i, f, g, o per step), the GRU kernel keeps r, z, n in its backward cache.
   */
  private gatesOf(lay: Model['layers'][number][number], T: number): Inspection['gates'] {
    const H = this.model.config.hidden;
    const pick = (buf: Buf, blocks: number, wanted: number[], names: string[]): Inspection['gates'] => {
      const values = new Float32Array(wanted.length * T * H);
      wanted.forEach((g, k) => {
        for (let t = 0; t < T; t++) values.set(buf.subarray((t * blocks + g) * H, (t * blocks + g + 1) * H), (k * T + t) * H);
      });
      return { names, values };
    };
    if (lay instanceof LstmLayer) return pick(lay.xw, 4, [0, 1, 3], ['input gate i', 'forget gate f', 'output gate o']);
    if (lay instanceof GruLayer) return pick(lay.cache, 4, [0, 1], ['reset gate r', 'update gate z']);
    return null;
  }

  private defaultInspectText(): string {
    const c = this.corpus;
    if (!c) return '';
    const ids = c.val && c.val.length > 100 ? c.val : c.train;
    // Start after a line break when there is one near, so the text begins at the start of a line.
    const head = ids.subarray(0, Math.min(ids.length, INSPECT_MAX + 200));
    const nl = this.vocab.index('\n');
    let from = 0;
    if (nl >= 0) { const i = head.indexOf(nl); if (i >= 0 && i < 200) from = i + 1; }
    return this.vocab.decode(head.subarray(from, from + INSPECT_MAX));
  }

  /**
   * The recur model file (the same one `recur train` writes and `recur sample` reads), with the
   * optimizer moments and LmJob's training record when there is a run to continue.
   */
  encode(): Uint8Array {
    if (!this.corpus || !this.batcher || !this.state) return encodeLm(this.model, this.vocab, this.task, this.fileTraining(), null);
    return encodeLm(this.model, this.vocab, this.task, this.trainingRecord(), this.optimizer);
  }

  /** What `recur train --resume` reads (lm.ts resumeRecord): this run as an LmJob with a constant learning rate. */
  private trainingRecord(): LmTrainingState {
    const t = this.train, o = this.optimizer.opts, c = this.corpus!;
    const settings: LmSettings = {
      ...DEFAULT_SETTINGS, batch: this.batch, seq: t.seq, lr: t.lr, lrMin: t.lr, schedule: 'constant', warmup: 0,
      optimizer: t.optimizer, momentum: o.momentum, weightDecay: o.weightDecay, clipNorm: t.clipNorm, clipValue: t.clipValue,
      valFraction: c.valFraction, steps: null, time: Math.max(1, Math.ceil(this.elapsed)), seed: this.seed,
    };
    return {
      step: this.step, elapsed: this.elapsed, seed: this.seed, settings, position: this.batcher!.position, rng: this.rng.getState(),
      optimizer: this.optimizer.toJSON() as LmTrainingState['optimizer'], state: stateToJson(this.state!), data: { ...this.batcher!.info },
    };
  }

  /** The loaded file's resume record, passed on unchanged while no text is attached (null when it has none that reads). */
  private fileTraining(): LmTrainingState | null {
    if (!this.file) return null;
    try { return readTrainingState(this.file.checkpoint); } catch { return null; }
  }

  info(): ModelInfo {
    const c = this.model.config;
    return {
      cell: c.cell, hidden: c.hidden, layers: c.layers, h0: c.h0, activation: c.activation, vocab: this.vocab.size,
      params: this.model.params.size, matrices: this.matrices(), source: this.task.source,
    };
  }
}
