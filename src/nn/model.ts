/**
 * A recurrent model: (embedding) → a stack of recurrent layers (stack.ts) → linear decoder (heads.ts)
 * → loss, over chunks of T steps of B streams, forward and backward through time.
 *
 * The model reads a batch (its inputs through inputs.ts, masks, targets), hands the streams' state to
 * the stack and takes it back (state.ts), lets a schedule run the stack and the decoder (layer by layer,
 * or step by step when layer 0 is fed the model's output: schedule-*.ts), and computes the loss; a
 * softmax head whose chunk of logits outgrows one block runs decoder and loss a block of rows at a time
 * (softmax-blocks.ts). Tensor names come from names.ts, a layer's tensors and class from the cell table
 * (cells.ts).
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';
import { ActivationReg } from './act-reg.js';
import { hasJordan, makeConfig, type ModelConfig, type StackConfig } from './config.js';
import { Decoder } from './heads.js';
import { initParams } from './init.js';
import { inputSpecs, inputWidth, Inputs, type InputConfig } from './inputs.js';
import type { RecurrentLayer } from './layer.js';
import { countTargets, crossEntropy, meanSquaredError, type LossValue } from './loss.js';
import { OneStep } from './one-step.js';
import { Params, type TensorSpec } from './params.js';
import type { ChunkIO, Schedule } from './schedule.js';
import { LayerwiseSchedule } from './schedule-layerwise.js';
import { StepwiseSchedule } from './schedule-stepwise.js';
import { BlockedSoftmaxHead } from './softmax-blocks.js';
import { Stack, stackSpecs } from './stack.js';
import { StreamState, type Batch, type RecurrentState } from './state.js';
import { tie, tiedSpecs } from './tying.js';

export type { Batch, RecurrentState } from './state.js';

export interface ForwardOptions {
  /** Training mode: dropout on, and buffers kept for backward. */
  train?: boolean;
  /** Random generator for dropout (a fresh generator of the same seed draws the same masks). */
  rng?: Rng;
  /** Write the final state back into `state` (default true). */
  carry?: boolean;
  /**
   * Keep every row's outputs in `model.logits`. A softmax head scored at every step otherwise runs a
   * block of rows at a time once the chunk's logits outgrow one block (HEAD_BLOCK_ELEMS), and
   * `model.logits` is not written; default false (every smaller chunk keeps them anyway).
   */
  logits?: boolean;
}

/**
 * Logits the softmax head holds at once (16 MB of float32, twice with their gradient): the block of
 * softmax-blocks.ts, and the size up to which a chunk's logits are kept whole.
 */
export const HEAD_BLOCK_ELEMS = 1 << 22;

export interface BackwardOptions {
  /** Extra gradient on the final hidden state of each layer·direction [B×H] (e.g. a loss on h_n). */
  dhFinal?: (Buf | null)[];
  /** The same on the extra state (LSTM's c_n) of each layer·direction that has one. */
  dcFinal?: (Buf | null)[];
  /** Compute the gradient on dense inputs into `model.dx`. */
  inputGrad?: boolean;
  /**
   * A gradient on the top layer's output [T·B×D·H] (time-major, directions concatenated), added to
   * whatever the head's loss sends (e.g. a custom loss on the hidden states).
   */
  dOutput?: Buf;
}

/** The model's input: token ids (one-hot or embedded) or dense values. */
const inputConfig = (c: ModelConfig): InputConfig =>
  ({ kind: c.inputKind, size: c.inputSize, embed: c.embed, name: 'embedding', dropout: c.dropoutInput, dropoutEmbed: c.dropoutEmbed });

/** The recurrent stack of the model. */
function stackConfig(c: ModelConfig): StackConfig {
  const { cell, activation, hidden, layers, bidirectional, lags, h0, dropout, gruReset, peephole, dropoutOutput, weightDrop } = c;
  return {
    cell, activation, hidden, layers, bidirectional, lags, h0, dropout, gruReset, peephole, dropoutOutput, weightDrop,
    input: inputWidth(inputConfig(c)),
    feedback: hasJordan(c.cell) ? c.outputSize : 0,
    feedbackGrad: c.jordanFeed === 'output',
    prefix: 'rnn',
  };
}

/** The tensors of a model, named and shaped as the equivalent PyTorch modules' state_dict. */
export function tensorSpecs(c: ModelConfig): TensorSpec[] {
  const specs: TensorSpec[] = [...inputSpecs(inputConfig(c)), ...stackSpecs(stackConfig(c))];
  const W = (c.bidirectional ? 2 : 1) * c.hidden;
  specs.push({ name: 'decoder.weight', shape: [c.outputSize, W] }, { name: 'decoder.bias', shape: [c.outputSize] });
  return c.tieWeights ? tiedSpecs(specs) : specs;
}

export class Model {
  readonly config: ModelConfig;
  readonly params: Params;
  readonly grads: Params;
  readonly stack: Stack;
  readonly decoder: Decoder;
  /** Loss of the last forward pass (when targets were given). */
  lastLoss: LossValue | null = null;
  /**
   * AR + TAR of the last training forward (act-reg.ts), 0 without them: added to the objective that
   * backward differentiates, never to `lastLoss` (which stays the cross-entropy).
   */
  regLoss = 0;
  private readonly actReg: ActivationReg | null;
  /** Whether the last forward was a training chunk with AR/TAR (backward adds their gradient). */
  private regOn = false;

  private readonly streams: StreamState;
  private readonly schedule: Schedule;
  private readonly io: ChunkIO;
  private T = 0;
  private B = 0;
  private rowsCap = -1;
  private bCap = -1;
  private readonly inputs: Inputs;
  private masks: Buf | null = null;
  private maskBuf: Buf;
  private weights: Buf;
  /** Targets at the end spread over every step ([T·B], −1 elsewhere). */
  private spread = new Int32Array(0);
  private lossRows = 0;
  private hasTargets = false;
  /** Rows the full logits buffers hold, and the blocked softmax head (made at the first chunk that needs it). */
  private logitsCap = -1;
  private head: BlockedSoftmaxHead | null = null;
  /** Logits per block of the softmax head (tests shrink it to check blocks against the whole). */
  headBlockElems = HEAD_BLOCK_ELEMS;

  constructor(config: Partial<ModelConfig>, readonly be: Backend) {
    const c = (this.config = makeConfig(config));
    const specs = tensorSpecs(c);
    this.params = new Params(specs, be);
    this.grads = new Params(specs, be);
    if (c.tieWeights) tie(this.params, this.grads);
    this.actReg = c.ar > 0 || c.tar > 0 ? new ActivationReg(be, c.ar, c.tar) : null;
    this.stack = new Stack(stackConfig(c), be, this.params, this.grads);
    this.decoder = new Decoder(be, this.params, this.grads, this.stack.D * c.hidden, c.outputSize);
    this.streams = new StreamState(be, this.stack, this.params, this.grads, { mode: c.h0, scale: c.h0Scale });
    // Layer 0 fed the model's output needs the output of step t−1 before step t: step by step.
    this.schedule = this.stack.layers[0][0].feedback > 0
      ? new StepwiseSchedule(be, c.head, c.jordanFeed) : new LayerwiseSchedule(be, c.outputMode);
    this.inputs = new Inputs(inputConfig(c), be, this.params, this.grads);
    const z = be.alloc(0);
    this.maskBuf = this.weights = z;
    this.io = { stack: this.stack, decoder: this.decoder, logits: z, dlogits: z, lengths: null, targets: new Int32Array(0), targetVals: z, blocked: null };
  }

  init(rng: Rng): this { initParams(this.params, this.config, rng); return this; }

  /** layers[l][d] */
  get layers(): RecurrentLayer[][] { return this.stack.layers; }
  get top(): RecurrentLayer[] { return this.stack.top; }
  /** Directions (1 or 2). */
  get D(): number { return this.stack.D; }
  /** Gradient on dense inputs after backward({inputGrad: true}): [T·B×F]. */
  get dx(): Buf { return this.inputs.dx; }
  /** Logits (or regression outputs) of the last forward: [T·B×O] ('every' or Jordan) or [B×O] ('last'). */
  get logits(): Buf { return this.io.logits; }

  // ------------------------------------------------------------------ state
  /** A state for B streams, every stream at the model's initial state. */
  newState(B: number, rng?: Rng): RecurrentState { return this.streams.create(B, rng); }

  /** Put streams (all, or those listed) back to the initial state: zero, a fresh random draw, or the learned h0. */
  resetState(st: RecurrentState, which: number[] | null = null, rng?: Rng): void { this.streams.reset(st, which, rng); }

  /** Gradient on the state before the last chunk, per layer·direction (for tests and diagnostics). */
  initialStateGrads(): { h: Buf[]; c: Buf[] } { return this.streams.initialGrads(); }

  // ---------------------------------------------------------------- buffers
  private ensure(T: number, B: number): void {
    const c = this.config, rows = T * B, O = c.outputSize, be = this.be, io = this.io;
    this.T = T; this.B = B;
    this.stack.ensure(T, B);
    if (rows <= this.rowsCap && B <= this.bCap) return;
    this.rowsCap = Math.max(rows, this.rowsCap);
    this.bCap = Math.max(B, this.bCap);
    const R = this.rowsCap;
    const outRows = this.outRows(R, this.bCap);
    release(be, [io.targetVals, this.maskBuf, this.weights]);
    // Regression targets and their weights; a softmax head reads ids instead.
    const vals = c.head === 'softmax' ? 0 : outRows * O;
    io.targetVals = be.alloc(vals);
    io.targets = new Int32Array(outRows);
    this.weights = be.alloc(vals);
    this.maskBuf = be.alloc(R);
    this.spread = new Int32Array(R);
  }

  private outRows(rows: number, B: number): number { return this.schedule.logitsEveryStep ? rows : B; }

  /** The whole chunk's logits and their gradient, [rows×O] each (not needed when the head runs in blocks). */
  private ensureLogits(rows: number): void {
    if (rows <= this.logitsCap) return;
    const be = this.be, io = this.io, O = this.config.outputSize;
    release(be, [io.logits, io.dlogits]);
    io.logits = be.alloc(rows * O);
    io.dlogits = be.alloc(rows * O);
    this.logitsCap = rows;
  }

  /**
   * The softmax head in blocks of rows when scored at every step through the layerwise schedule and the
   * chunk's logits outgrow one block, unless the caller wants them all.
   */
  private blockedHead(T: number, B: number, keepLogits: boolean): BlockedSoftmaxHead | null {
    const c = this.config, O = c.outputSize;
    if (keepLogits || !this.hasTargets || c.head !== 'softmax' || c.outputMode !== 'every' || !(this.schedule instanceof LayerwiseSchedule)) return null;
    if (T * B * O <= this.headBlockElems) return null;
    const K = this.stack.D * c.hidden;
    if (!this.head || this.head.blockRows !== Math.max(1, Math.floor(this.headBlockElems / O))) {
      this.head?.free();
      this.head = new BlockedSoftmaxHead(this.be, K, O, this.headBlockElems);
    }
    return this.head;
  }

  // ----------------------------------------------------------------- forward
  /**
   * Run a chunk from `state`. With targets, computes the mean loss and keeps dlogits for backward.
   * Returns the loss (null without targets). Outputs are in `model.logits`.
   */
  forward(batch: Batch, state: RecurrentState, opts: ForwardOptions = {}): LossValue | null {
    const { T, B } = batch, train = opts.train ?? false;
    if (!(T > 0 && B > 0)) throw new Error('a batch needs at least one step and one sequence');
    if (state.B !== B) throw new Error(`state holds ${state.B} streams but the batch has ${B}`);
    this.ensure(T, B);
    this.stack.setDropout(train);
    const dropsInputs = this.inputs.setDropout(train, T, B);
    if ((this.stack.random || dropsInputs) && !opts.rng) throw new Error('dropout needs a random generator');
    this.setLengths(batch);
    if (dropsInputs) this.inputs.drawDropout(opts.rng!);
    this.stack.setInputs(this.inputs.read(T * B, batch.tokens, batch.inputs, this.masks));
    this.streams.load(state);
    if (this.stack.random) this.stack.drawDropout(opts.rng!);
    this.hasTargets = this.setTargets(batch);
    this.io.blocked = this.blockedHead(T, B, opts.logits ?? false);
    if (!this.io.blocked) this.ensureLogits(this.outRows(T * B, B));
    this.schedule.forward(this.io);
    this.regOn = train && this.actReg !== null;
    this.regLoss = this.regOn ? this.activationReg(this.actReg!) : 0;
    if (opts.carry ?? true) this.streams.save(state);
    this.lastLoss = this.hasTargets ? this.loss(train) : null;
    return this.lastLoss;
  }

  /**
   * One step of one stream in evaluation mode, carrying `state`: what sampling does per character.
   * The fast path (one-step.ts) runs the same equations with the fewest kernel calls; models it does
   * not cover (Jordan feedback, lags, two directions, dense inputs) and a learned h0 at a fresh
   * stream go through forward(). The distribution is in `logits[0 … O)`.
   */
  stepOne(token: number, state: RecurrentState): void {
    const c = this.config;
    if (state.B !== 1) throw new Error(`stepOne runs one stream; the state holds ${state.B}`);
    if (!(Number.isInteger(token) && token >= 0 && token < c.inputSize)) throw new Error(`token id ${token} is outside the vocabulary of ${c.inputSize}`);
    if (!OneStep.covers(c) || (c.h0 === 'learned' && state.fresh[0])) {
      this.oneTok[0] = token;
      this.forward({ T: 1, B: 1, tokens: this.oneTok }, state, { train: false });
      return;
    }
    this.ensureLogits(1);
    (this.one ??= new OneStep(this.be, this.params, c, () => this.io.logits)).step(token, state);
    this.lastLoss = null;
  }

  private readonly oneTok = new Int32Array(1);
  private one: OneStep | null = null;

  private setLengths(batch: Batch): void {
    const { T, B } = batch;
    if (!batch.lengths) { this.masks = null; this.io.lengths = null; }
    else {
      if (batch.lengths.length !== B) throw new Error(`lengths has ${batch.lengths.length} entries for a batch of ${B}`);
      for (let b = 0; b < B; b++) {
        const n = batch.lengths[b];
        if (!(Number.isInteger(n) && n >= 1 && n <= T)) throw new Error(`sequence ${b} has length ${n}, outside 1…${T}`);
        for (let t = 0; t < T; t++) this.maskBuf[t * B + b] = t < n ? 1 : 0;
      }
      this.masks = this.maskBuf;
      this.io.lengths = batch.lengths;
    }
    this.stack.setMask(this.masks);
  }

  private setTargets(batch: Batch): boolean {
    const c = this.config, { T, B } = batch, O = c.outputSize;
    const every = c.outputMode === 'every';
    const n = every ? T * B : B;
    this.lossRows = n;
    if (c.head === 'softmax') {
      if (!batch.targets) return false;
      if (batch.targets.length < n) throw new Error(`expected ${n} targets`);
      for (let i = 0; i < n; i++) {
        let y = batch.targets[i];
        if (every && this.masks && this.masks[i] === 0) y = -1;
        if (!(y === -1 || (Number.isInteger(y) && y >= 0 && y < O))) throw new Error(`target ${y} is outside the ${O} classes`);
        this.io.targets[i] = y;
      }
    } else {
      if (!batch.targetValues) return false;
      const v = batch.targetValues;
      if (v.length < n * O) throw new Error(`expected ${n * O} target values`);
      for (let i = 0; i < n * O; i++) {
        this.io.targetVals[i] = v[i];
        this.weights[i] = every && this.masks && this.masks[Math.floor(i / O)] === 0 ? 0 : 1;
      }
    }
    return true;
  }

  /** Loss over the predicted rows; keeps dlogits for backward when training. */
  private loss(train: boolean): LossValue {
    const c = this.config, O = c.outputSize, B = this.B, io = this.io;
    // Logits at every step (Jordan) with a target at the end: the loss reads each sequence's last real row.
    const pick = this.schedule.logitsEveryStep && c.outputMode === 'last';
    const rows = pick ? this.T * B : this.lossRows;
    const d = train ? io.dlogits : null;
    if (io.blocked) return this.blockedLoss(rows, train);
    if (c.head === 'softmax') {
      if (pick) {
        this.spread.fill(-1, 0, rows);
        for (let b = 0; b < B; b++) this.spread[this.lastRow(b)] = io.targets[b];
      }
      return crossEntropy(this.be, rows, O, io.logits, (pick ? this.spread : io.targets).subarray(0, rows), d);
    }
    if (pick) {
      // Row b moves to row lastRow(b), which is b itself or past the first B rows: no source is overwritten.
      this.be.fill(this.weights, 0, rows * O, 0);
      for (let b = 0; b < B; b++) {
        const r = this.lastRow(b);
        for (let j = 0; j < O; j++) { io.targetVals[r * O + j] = io.targetVals[b * O + j]; this.weights[r * O + j] = 1; }
      }
    }
    return meanSquaredError(this.be, rows * O, io.logits, io.targetVals, this.weights, d);
  }

  /** The loss of a chunk through the blocked head (its gradients kept for backward when training). */
  private blockedLoss(rows: number, train: boolean): LossValue {
    const targets = this.io.targets.subarray(0, rows), top = this.stack.headInput(); // through the output dropout when there is one
    const count = countTargets(targets), scale = count > 0 ? 1 / count : 0;
    const sum = this.io.blocked!.forward(rows, top.buf, top.off, this.stack.D * this.config.hidden, targets, scale, this.decoder.linear(), train);
    return { loss: count > 0 ? sum / count : 0, sum, count };
  }

  /** AR and TAR of the top output (and their gradient, kept for backward). */
  private activationReg(r: ActivationReg): number {
    const s = this.stack, h = s.outputOf(this.config.layers - 1), y = s.headInput();
    return r.forward(this.T, this.B, s.D * this.config.hidden, h.buf, h.off, y.buf, y.off, s.outputMask());
  }

  private lastRow(b: number): number { return ((this.io.lengths ? this.io.lengths[b] : this.T) - 1) * this.B + b; }

  /** The top layer's output of the last forward: [T·B×D·H] at `off` (row stride D·H). */
  output(): { buf: Buf; off: number } { return this.stack.outputOf(this.config.layers - 1); }

  // ---------------------------------------------------------------- backward
  /**
   * Backpropagate the last forward's loss (and any extra final-state gradients) through time; adds into
   * grads, including a learned h0/c0 for the streams that started the chunk from it.
   */
  backward(opts: BackwardOptions = {}): void {
    const c = this.config, s = this.stack, io = this.io;
    if (!this.hasTargets && !opts.dhFinal && !opts.dcFinal && !opts.dOutput) throw new Error('backward needs a forward pass with targets');
    if (!this.hasTargets) this.be.fill(io.dlogits, 0, io.dlogits.length, 0);
    s.beginBackward();
    const all = s.all;
    for (let i = 0, j = 0; i < all.length; i++) {
      const layer = all[i], dh = opts.dhFinal?.[i];
      if (dh) layer.addFinalGrad(dh, 0);
      if (layer.extra) { const dc = opts.dcFinal?.[j++]; if (dc) layer.extra.addFinalGrad(dc, 0); }
    }
    const reg = this.regOn ? this.actReg : null;
    if (opts.dOutput || reg) {
      const n = this.T * this.B * s.D * c.hidden, L = c.layers - 1, g = s.gradTarget(L);
      if (g.beta === 0) this.be.fill(g.buf, g.off, n, 0);
      if (opts.dOutput) this.be.axpy(n, 1, opts.dOutput, 0, g.buf, g.off);
      if (reg) this.be.axpy(n, 1, reg.grad, 0, g.buf, g.off);
      s.spreadGrad(L);
    }
    this.schedule.backward(io);
    this.inputs.backward(this.stack, opts.inputGrad ?? false);
    this.streams.addH0Grads();
  }

  zeroGrads(): void { this.be.fill(this.grads.data, 0, this.grads.size, 0); }
}
