/**
 * A recurrent model: (embedding) → stacked, possibly bidirectional recurrent layers → linear decoder
 * → loss, with its forward pass over a chunk of T steps and the backward pass through time.
 *
 * Two schedules run the stack:
 *  - layer by layer (every cell but Jordan): each layer runs over the whole chunk before the next, so
 *    input projections, weight gradients and the decoder are each one large matrix product;
 *  - step by step (Jordan): the head's output at t−1 feeds layer 0 at t, so at every step the whole
 *    stack and the head run once, and backward walks the same way in reverse.
 *
 * State carried between chunks of the same streams (truncated BPTT) lives in a RecurrentState: the
 * last K hidden states of every layer and direction, LSTM cell states and the Jordan feedback. The
 * gradient is cut at the chunk boundary, except into a learned h0/c0 when the chunk starts from it.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';
import { gatesOf, hasElman, hasJordan, isSimpleCell, makeConfig, type ModelConfig } from './config.js';
import { ElmanLayer } from './elman.js';
import { GruLayer } from './gru.js';
import { Decoder } from './heads.js';
import { initParams } from './init.js';
import { feedbackBackward, feedbackForward, feedbackFromTargets } from './jordan.js';
import type { LayerInput, RecurrentLayer } from './layer.js';
import { crossEntropy, meanSquaredError, type LossValue } from './loss.js';
import { LstmLayer } from './lstm.js';
import { OneStep } from './one-step.js';
import { Params, type TensorSpec } from './params.js';

/** A chunk of T time steps for B sequences, time-major (row t·B + b). */
export interface Batch {
  T: number;
  B: number;
  /** Token ids [T·B] for token inputs. */
  tokens?: Int32Array;
  /** Real-valued inputs [T·B·F] for dense inputs. */
  inputs?: ArrayLike<number>;
  /** Class targets: [T·B] for outputMode 'every' (−1 = none), [B] for 'last'. */
  targets?: Int32Array;
  /** Regression targets: [T·B·O] for 'every', [B·O] for 'last'. */
  targetValues?: ArrayLike<number>;
  /** Real length of each sequence (1 … T); steps at or after it are padding. Absent: all T. */
  lengths?: Int32Array;
}

export interface RecurrentState {
  B: number;
  /** Per layer·direction: K blocks [B×H], block k = h_{−(k+1)}. */
  h: Buf[];
  /** Per layer·direction (LSTM): [B×H]. */
  c: Buf[];
  /** Jordan feedback o_{−1} [B×O]. */
  fb: Buf | null;
  /** 1 where a sequence starts from the model's initial state (gradient flows into a learned h0). */
  fresh: Uint8Array;
}

export interface ForwardOptions {
  /** Training mode: dropout on, and buffers kept for backward. */
  train?: boolean;
  /** Random generator for dropout. */
  rng?: Rng;
  /** Write the final state back into `state` (default true). */
  carry?: boolean;
}

export interface BackwardOptions {
  /** Extra gradient on the final hidden state of each layer·direction [B×H] (e.g. a loss on h_n). */
  dhFinal?: (Buf | null)[];
  dcFinal?: (Buf | null)[];
  /** Compute the gradient on dense inputs into `model.dx`. */
  inputGrad?: boolean;
  /**
   * A gradient on the top layer's output [T·B×D·H] (time-major, directions concatenated), added to
   * whatever the head's loss sends (e.g. a custom loss on the hidden states).
   */
  dOutput?: Buf;
}

const sfx = (l: number, d: number): string => `_l${l}${d === 1 ? '_reverse' : ''}`;

/** The tensors of a model, named and shaped as the equivalent PyTorch modules' state_dict. */
export function tensorSpecs(c: ModelConfig): TensorSpec[] {
  const H = c.hidden, G = gatesOf(c.cell), D = c.bidirectional ? 2 : 1;
  const specs: TensorSpec[] = [];
  if (c.inputKind === 'tokens' && c.embed > 0) specs.push({ name: 'embedding.weight', shape: [c.inputSize, c.embed] });
  const in0 = c.inputKind === 'tokens' && c.embed > 0 ? c.embed : c.inputSize;
  for (let l = 0; l < c.layers; l++) {
    for (let d = 0; d < D; d++) {
      const s = sfx(l, d), inSize = l === 0 ? in0 : D * H;
      specs.push({ name: `rnn.weight_ih${s}`, shape: [G * H, inSize] });
      if (!(c.cell === 'jordan' && l === 0)) specs.push({ name: `rnn.weight_hh${s}`, shape: [G * H, H] });
      specs.push({ name: `rnn.bias_ih${s}`, shape: [G * H] }, { name: `rnn.bias_hh${s}`, shape: [G * H] });
      if (isSimpleCell(c.cell)) for (const k of c.lags) specs.push({ name: `rnn.weight_hh${s}_lag${k}`, shape: [H, H] });
      if (l === 0 && hasJordan(c.cell)) specs.push({ name: 'rnn.weight_oh_l0', shape: [H, c.outputSize] });
      if (c.h0 === 'learned') {
        specs.push({ name: `rnn.h0${s}`, shape: [H] });
        if (c.cell === 'lstm') specs.push({ name: `rnn.c0${s}`, shape: [H] });
      }
    }
  }
  specs.push({ name: 'decoder.weight', shape: [c.outputSize, D * H] }, { name: 'decoder.bias', shape: [c.outputSize] });
  return specs;
}

export class Model {
  readonly config: ModelConfig;
  readonly params: Params;
  readonly grads: Params;
  /** layers[l][d] */
  readonly layers: RecurrentLayer[][];
  readonly decoder: Decoder;
  readonly D: number;
  /** Logits (or regression outputs) of the last forward: [T·B×O] ('every' or Jordan) or [B×O] ('last'). */
  logits: Buf;
  /** Gradient on dense inputs after backward({inputGrad: true}): [T·B×F]. */
  dx: Buf;
  /** Loss of the last forward pass (when targets were given). */
  lastLoss: LossValue | null = null;

  private T = 0;
  private B = 0;
  private rowsCap = -1;
  private bCap = -1;
  private dlogits: Buf;
  private x: Buf;           // dense inputs, or embedded tokens
  private dEmb: Buf;
  private masks: Buf | null = null;
  private maskBuf: Buf;
  private drop: { mask: Buf; out: Buf; dOut: Buf }[] = [];
  private cat: { y: Buf; dy: Buf }[] = [];
  private feat: Buf;        // 'last' features [B×D·H]
  private dfeat: Buf;
  private fb: Buf;          // Jordan feedback slots [(T+1)·B×O]
  private dfb: Buf;
  private targets: Int32Array = new Int32Array(0);
  private targetVals: Buf;
  private weights: Buf;
  private lengths: Int32Array | null = null;
  private tokens: Int32Array | null = null;
  private lossRows = 0;
  private hasTargets = false;
  private stepwise: boolean;
  private embTable: Buf | null = null;
  private dEmbTable: Buf | null = null;
  /** Whether the last forward applied dropout (training with dropout > 0 and several layers). */
  private dropping = false;

  constructor(config: Partial<ModelConfig>, readonly be: Backend) {
    const c = (this.config = makeConfig(config));
    const specs = tensorSpecs(c);
    this.params = new Params(specs, be);
    this.grads = new Params(specs, be);
    this.D = c.bidirectional ? 2 : 1;
    this.stepwise = hasJordan(c.cell);
    const H = c.hidden, in0 = c.inputKind === 'tokens' && c.embed > 0 ? c.embed : c.inputSize;
    this.layers = [];
    for (let l = 0; l < c.layers; l++) {
      const row: RecurrentLayer[] = [];
      for (let d = 0; d < this.D; d++) {
        const s = sfx(l, d), inSize = l === 0 ? in0 : this.D * H, rev = d === 1;
        const names = { wih: `rnn.weight_ih${s}`, whh: `rnn.weight_hh${s}`, bih: `rnn.bias_ih${s}`, bhh: `rnn.bias_hh${s}` };
        if (c.cell === 'lstm') row.push(new LstmLayer(be, this.params, this.grads, names, inSize, H, rev));
        else if (c.cell === 'gru') row.push(new GruLayer(be, this.params, this.grads, names, inSize, H, rev));
        else {
          // Jordan feedback enters layer 0; the layers above it are Elman layers.
          const elman = l > 0 || hasElman(c.cell);
          const jordan = l === 0 && hasJordan(c.cell);
          row.push(new ElmanLayer(be, this.params, this.grads, { ...names, whh: elman ? names.whh : null }, inSize, H, rev, {
            activation: c.activation, elman, lags: c.lags, feedback: jordan ? c.outputSize : 0,
            lagNames: c.lags.map((k) => `rnn.weight_hh${s}_lag${k}`), wohName: jordan ? 'rnn.weight_oh_l0' : null,
          }));
        }
      }
      this.layers.push(row);
    }
    this.decoder = new Decoder(be, this.params, this.grads, this.D * H, c.outputSize);
    if (this.params.has('embedding.weight')) {
      // The embedding table as views made once (the kernels address tables from their first row).
      const o = this.params.offset('embedding.weight'), n = this.params.view('embedding.weight').size;
      this.embTable = this.params.data.subarray(o, o + n);
      this.dEmbTable = this.grads.data.subarray(o, o + n);
    }
    const z = be.alloc(0);
    this.logits = this.dlogits = this.x = this.dEmb = this.dx = this.maskBuf = this.feat = this.dfeat = this.fb = this.dfb = this.targetVals = this.weights = z;
  }

  init(rng: Rng): this { initParams(this.params, this.config, rng); return this; }

  get top(): RecurrentLayer[] { return this.layers[this.layers.length - 1]; }

  // ------------------------------------------------------------------ state
  /** A state for B streams, every stream at the model's initial state. */
  newState(B: number, rng?: Rng): RecurrentState {
    const c = this.config, H = c.hidden;
    const st: RecurrentState = {
      B, h: [], c: [], fb: hasJordan(c.cell) ? this.be.alloc(B * c.outputSize) : null, fresh: new Uint8Array(B),
    };
    for (const row of this.layers) for (const layer of row) {
      st.h.push(this.be.alloc(layer.K * B * H));
      if (c.cell === 'lstm') st.c.push(this.be.alloc(B * H));
    }
    this.resetState(st, null, rng);
    return st;
  }

  /** Put streams (all, or those listed) back to the initial state: zero, a fresh random draw, or the learned h0. */
  resetState(st: RecurrentState, which: number[] | null = null, rng?: Rng): void {
    const c = this.config, H = c.hidden, B = st.B;
    const rows = which ?? Array.from({ length: B }, (_, b) => b);
    if (c.h0 === 'random' && !rng) throw new Error('h0 = random needs a random generator');
    let i = 0;
    for (let l = 0; l < this.layers.length; l++) for (let d = 0; d < this.D; d++, i++) {
      const layer = this.layers[l][d];
      for (const b of rows) {
        for (let k = 0; k < layer.K; k++) this.initRow(st.h[i], (k * B + b) * H, `rnn.h0${sfx(l, d)}`, rng);
        if (c.cell === 'lstm') this.initRow(st.c[i], b * H, `rnn.c0${sfx(l, d)}`, rng);
      }
    }
    for (const b of rows) {
      st.fresh[b] = 1;
      if (st.fb) this.be.fill(st.fb, b * c.outputSize, c.outputSize, 0);
    }
  }

  private initRow(buf: Buf, off: number, name: string, rng?: Rng): void {
    const H = this.config.hidden;
    if (this.config.h0 === 'learned') this.be.copy(H, this.params.data, this.params.offset(name), buf, off);
    else if (this.config.h0 === 'random') for (let j = 0; j < H; j++) buf[off + j] = this.config.h0Scale * rng!.normal();
    else this.be.fill(buf, off, H, 0);
  }

  // ---------------------------------------------------------------- buffers
  private ensure(T: number, B: number): void {
    const c = this.config, rows = T * B, H = c.hidden, O = c.outputSize, be = this.be;
    this.T = T; this.B = B;
    for (const row of this.layers) for (const layer of row) layer.ensure(T, B);
    if (rows <= this.rowsCap && B <= this.bCap) return;
    this.rowsCap = Math.max(rows, this.rowsCap);
    this.bCap = Math.max(B, this.bCap);
    const R = this.rowsCap, Bc = this.bCap;
    const in0 = c.inputKind === 'tokens' && c.embed > 0 ? c.embed : c.inputSize;
    const outRows = c.outputMode === 'every' || this.stepwise ? R : Bc;
    release(be, [this.logits, this.dlogits, this.x, this.dEmb, this.dx, this.maskBuf, this.feat, this.dfeat, this.fb, this.dfb, this.targetVals, this.weights]);
    this.logits = be.alloc(outRows * O);
    this.dlogits = be.alloc(outRows * O);
    this.targetVals = be.alloc(outRows * O);
    this.weights = be.alloc(outRows * O);
    this.targets = new Int32Array(outRows);
    this.x = be.alloc(c.inputKind === 'dense' || c.embed > 0 ? R * in0 : 0);
    this.dEmb = be.alloc(c.embed > 0 ? R * c.embed : 0);
    this.dx = be.alloc(c.inputKind === 'dense' ? R * in0 : 0);
    this.maskBuf = be.alloc(R);
    this.feat = be.alloc(Bc * this.D * H);
    this.dfeat = be.alloc(Bc * this.D * H);
    if (this.stepwise) { this.fb = be.alloc((R + Bc) * O); this.dfb = be.alloc((R + Bc) * O); }
    release(be, [...this.drop.flatMap((d) => [d.mask, d.out, d.dOut]), ...this.cat.flatMap((d) => [d.y, d.dy])]);
    this.drop = []; this.cat = [];
    for (let l = 0; l < c.layers; l++) {
      const w = this.D * H;
      this.cat.push(this.D === 2 ? { y: be.alloc(R * w), dy: be.alloc(R * w) } : { y: be.alloc(0), dy: be.alloc(0) });
      this.drop.push(l > 0 && c.dropout > 0 ? { mask: be.alloc(R * w), out: be.alloc(R * w), dOut: be.alloc(R * w) } : { mask: be.alloc(0), out: be.alloc(0), dOut: be.alloc(0) });
    }
  }

  // ----------------------------------------------------------------- forward
  /**
   * Run a chunk from `state`. With targets, computes the mean loss and keeps dlogits for backward.
   * Returns the loss (null without targets). Outputs are in `model.logits`.
   */
  forward(batch: Batch, state: RecurrentState, opts: ForwardOptions = {}): LossValue | null {
    const c = this.config, { T, B } = batch, be = this.be;
    if (!(T > 0 && B > 0)) throw new Error('a batch needs at least one step and one sequence');
    if (state.B !== B) throw new Error(`state holds ${state.B} streams but the batch has ${B}`);
    this.ensure(T, B);
    const train = opts.train ?? false;
    this.dropping = train && c.dropout > 0 && c.layers > 1;
    if (this.dropping && !opts.rng) throw new Error('dropout needs a random generator');
    this.setLengths(batch);
    this.setInput(batch);
    this.loadState(state);
    if (this.dropping) this.drawDropout(opts.rng!);
    this.hasTargets = this.setTargets(batch);
    if (this.stepwise) this.forwardStepwise(this.dropping);
    else this.forwardLayerwise(this.dropping);
    if (opts.carry ?? true) this.saveState(state);
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
    if (this.logits.length < c.outputSize) this.ensure(1, 1);
    (this.one ??= new OneStep(this.be, this.params, c, () => this.logits)).step(token, state);
    this.lastLoss = null;
  }

  private readonly oneTok = new Int32Array(1);
  private one: OneStep | null = null;

  private setLengths(batch: Batch): void {
    const { T, B } = batch;
    if (!batch.lengths) { this.masks = null; this.lengths = null; }
    else {
      if (batch.lengths.length !== B) throw new Error(`lengths has ${batch.lengths.length} entries for a batch of ${B}`);
      for (let b = 0; b < B; b++) {
        const n = batch.lengths[b];
        if (!(Number.isInteger(n) && n >= 1 && n <= T)) throw new Error(`sequence ${b} has length ${n}, outside 1…${T}`);
        for (let t = 0; t < T; t++) this.maskBuf[t * B + b] = t < n ? 1 : 0;
      }
      this.masks = this.maskBuf;
      this.lengths = batch.lengths;
    }
    for (const row of this.layers) for (const layer of row) layer.mask = this.masks;
  }

  private setInput(batch: Batch): void {
    const c = this.config, { T, B } = batch, rows = T * B, be = this.be;
    let input: LayerInput;
    if (c.inputKind === 'tokens') {
      const ids = batch.tokens;
      if (!ids || ids.length < rows) throw new Error(`expected ${rows} token ids`);
      for (let i = 0; i < rows; i++) {
        const v = ids[i];
        if (!(v >= 0 && v < c.inputSize) && !(v === -1 && this.masks && this.masks[i] === 0)) throw new Error(`token id ${v} at position ${i} is outside the vocabulary of ${c.inputSize}`);
      }
      this.tokens = ids;
      if (c.embed > 0) {
        be.gatherRows(this.embTable!, c.embed, ids, 0, rows, this.x, 0, c.embed, 0);
        input = { kind: 'dense', buf: this.x, off: 0, ld: c.embed };
      } else input = { kind: 'onehot', ids };
    } else {
      const xs = batch.inputs;
      if (!xs || xs.length < rows * c.inputSize) throw new Error(`expected ${rows * c.inputSize} input values`);
      for (let i = 0; i < rows * c.inputSize; i++) this.x[i] = xs[i];
      input = { kind: 'dense', buf: this.x, off: 0, ld: c.inputSize };
    }
    for (const layer of this.layers[0]) layer.input = input;
    // Upper layers read the layer below (its output block, the concatenation of both directions, or its dropout).
    for (let l = 1; l < c.layers; l++) {
      const src = this.dropping ? { buf: this.drop[l].out, off: 0 } : this.outputOf(l - 1);
      for (const layer of this.layers[l]) layer.input = { kind: 'dense', buf: src.buf, off: src.off, ld: this.D * c.hidden };
    }
  }

  /** The top layer's output of the last forward: [T·B×D·H] at `off` (row stride D·H). */
  output(): { buf: Buf; off: number } { return this.outputOf(this.config.layers - 1); }

  /** Where layer l's output [T·B×D·H] lives: the layer's own state slots (one direction) or the concatenation. */
  private outputOf(l: number): { buf: Buf; off: number } {
    if (this.D === 1) { const layer = this.layers[l][0]; return { buf: layer.hs, off: layer.outOff() }; }
    return { buf: this.cat[l].y, off: 0 };
  }

  private loadState(st: RecurrentState): void {
    const c = this.config, H = c.hidden, B = st.B;
    let i = 0;
    for (let l = 0; l < this.layers.length; l++) for (let d = 0; d < this.D; d++, i++) {
      const layer = this.layers[l][d];
      // A learned h0 may have changed since the state was reset: fresh streams read its current value.
      if (c.h0 === 'learned') for (let b = 0; b < B; b++) if (st.fresh[b]) {
        for (let k = 0; k < layer.K; k++) this.initRow(st.h[i], (k * B + b) * H, `rnn.h0${sfx(l, d)}`);
        if (c.cell === 'lstm') this.initRow(st.c[i], b * H, `rnn.c0${sfx(l, d)}`);
      }
      layer.setInitial(st.h[i]);
      if (layer instanceof LstmLayer) layer.setInitialCell(st.c[i]);
    }
    if (this.stepwise) this.be.copy(B * c.outputSize, st.fb!, 0, this.fb, 0);
  }

  private saveState(st: RecurrentState): void {
    let i = 0;
    for (const row of this.layers) for (const layer of row) {
      layer.getFinal(st.h[i]);
      if (layer instanceof LstmLayer) layer.getFinalCell(st.c[i]);
      i++;
    }
    if (this.stepwise) this.be.copy(st.B * this.config.outputSize, this.fb, this.T * st.B * this.config.outputSize, st.fb!, 0);
    st.fresh.fill(0);
  }

  private drawDropout(rng: Rng): void {
    const p = this.config.dropout, keep = 1 / (1 - p), n = this.T * this.B * this.D * this.config.hidden;
    for (let l = 1; l < this.layers.length; l++) {
      const m = this.drop[l].mask;
      for (let i = 0; i < n; i++) m[i] = rng.next() < p ? 0 : keep;
    }
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
        this.targets[i] = y;
      }
    } else {
      if (!batch.targetValues) return false;
      const v = batch.targetValues;
      if (v.length < n * O) throw new Error(`expected ${n * O} target values`);
      for (let i = 0; i < n * O; i++) {
        this.targetVals[i] = v[i];
        this.weights[i] = every && this.masks && this.masks[Math.floor(i / O)] === 0 ? 0 : 1;
      }
    }
    return true;
  }

  private forwardLayerwise(dropout: boolean): void {
    const c = this.config, T = this.T, B = this.B, H = c.hidden;
    for (let l = 0; l < c.layers; l++) {
      if (l > 0 && dropout) this.applyDropout(l, 0, T);
      for (const layer of this.layers[l]) {
        layer.project(0, T);
        for (let s = 0; s < T; s++) layer.forwardStep(s);
      }
      if (this.D === 2) this.concat(l);
    }
    // Head
    const out = this.outputOf(c.layers - 1), W = this.D * H;
    if (c.outputMode === 'every') this.decoder.forward(T * B, out.buf, out.off, W, this.logits, 0);
    else {
      this.gatherFinal();
      this.decoder.forward(B, this.feat, 0, W, this.logits, 0);
    }
  }

  /** Layer l's input = dropout(output of layer l−1) for steps [t0, t1). */
  private applyDropout(l: number, t0: number, t1: number): void {
    const W = this.D * this.config.hidden, src = this.outputOf(l - 1), d = this.drop[l];
    const o = t0 * this.B * W, n = (t1 - t0) * this.B * W;
    this.be.mul(n, src.buf, src.off + o, d.mask, o, d.out, o);
  }

  /** Copy both directions' outputs into the concatenation [T·B×2H]. */
  private concat(l: number): void {
    const H = this.config.hidden, rows = this.T * this.B, y = this.cat[l].y;
    for (let d = 0; d < 2; d++) {
      const layer = this.layers[l][d], off = layer.outOff();
      for (let r = 0; r < rows; r++) this.be.copy(H, layer.hs, off + r * H, y, r * 2 * H + d * H);
    }
  }

  /** Features for a target at the end: each direction's final state (forward: at the real last step). */
  private gatherFinal(): void {
    const H = this.config.hidden, B = this.B, W = this.D * H;
    for (let d = 0; d < this.D; d++) {
      const layer = this.top[d];
      for (let b = 0; b < B; b++) {
        const t = d === 0 ? (this.lengths ? this.lengths[b] - 1 : this.T - 1) : 0;
        this.be.copy(H, layer.hs, layer.hOff(layer.step(t)) + b * H, this.feat, b * W + d * H);
      }
    }
  }

  private forwardStepwise(dropout: boolean): void {
    const c = this.config, T = this.T, B = this.B, O = c.outputSize, H = c.hidden;
    const L = c.layers, teacher = c.jordanFeed === 'target';
    for (const layer of this.layers[0]) layer.project(0, T);
    const l0 = this.layers[0][0] as ElmanLayer;
    l0.fb = this.fb;
    l0.dfb = teacher ? null : this.dfb;
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        const layer = this.layers[l][0];
        if (l > 0) {
          if (dropout) this.applyDropout(l, t, t + 1);
          layer.project(t, t + 1);
        }
        layer.forwardStep(t);
      }
      const top = this.top[0];
      this.decoder.forward(B, top.hs, top.hOff(t), H, this.logits, t * B * O);
      const next = (t + 1) * B * O;
      if (teacher) feedbackFromTargets(this.be, c.head, B, O, c.head === 'softmax' ? this.targets : null, this.targetVals, t * B, this.fb, next);
      else feedbackForward(this.be, c.head, B, O, this.logits, t * B * O, this.fb, next);
    }
  }

  /** Loss over the predicted rows; keeps dlogits for backward when training. */
  private loss(train: boolean): LossValue {
    const c = this.config, O = c.outputSize, B = this.B;
    // Jordan models compute logits at every step; a target at the end reads each sequence's last real row.
    const pick = this.stepwise && c.outputMode === 'last';
    const rows = pick ? this.T * B : this.lossRows;
    const d = train ? this.dlogits : null;
    if (c.head === 'softmax') {
      const tg = pick ? this.spreadLast(this.targets.subarray(0, B)) : this.targets.subarray(0, rows);
      return crossEntropy(this.be, rows, O, this.logits, tg, d);
    }
    if (pick) {
      const vals = Float64Array.from(this.targetVals.subarray(0, B * O));
      this.be.fill(this.weights, 0, rows * O, 0);
      for (let b = 0; b < B; b++) {
        const r = this.lastRow(b) ;
        for (let j = 0; j < O; j++) { this.targetVals[r * O + j] = vals[b * O + j]; this.weights[r * O + j] = 1; }
      }
    }
    return meanSquaredError(this.be, rows * O, this.logits, this.targetVals, this.weights, d);
  }

  private lastRow(b: number): number { return ((this.lengths ? this.lengths[b] : this.T) - 1) * this.B + b; }

  private spreadLast(last: Int32Array): Int32Array {
    const out = new Int32Array(this.T * this.B).fill(-1);
    for (let b = 0; b < this.B; b++) out[this.lastRow(b)] = last[b];
    return out;
  }

  // ---------------------------------------------------------------- backward
  /** Backpropagate the last forward's loss (and any extra final-state gradients) through time; adds into grads. */
  backward(opts: BackwardOptions = {}): void {
    const c = this.config;
    if (!this.hasTargets && !opts.dhFinal && !opts.dcFinal && !opts.dOutput) throw new Error('backward needs a forward pass with targets');
    if (!this.hasTargets) this.be.fill(this.dlogits, 0, this.dlogits.length, 0);
    for (const row of this.layers) for (const layer of row) layer.beginBackward();
    let i = 0;
    for (const row of this.layers) for (const layer of row) {
      const dh = opts.dhFinal?.[i], dc = opts.dcFinal?.[i];
      if (dh) this.be.axpy(this.B * c.hidden, 1, dh, 0, layer.dhs, layer.hOff(this.T - 1));
      if (dc && layer instanceof LstmLayer) layer.addFinalCellGrad(dc, 0);
      i++;
    }
    if (opts.dOutput) {
      const dOut = opts.dOutput, n = this.T * this.B * this.D * c.hidden;
      this.toLayerGrads(c.layers - 1, (dst, off, _ld, beta) => {
        if (beta === 0) this.be.fill(dst, off, n, 0);
        this.be.axpy(n, 1, dOut, 0, dst, off);
      });
    }
    if (this.stepwise) this.backwardStepwise();
    else this.backwardLayerwise();
    this.inputGrads(opts.inputGrad ?? false);
  }

  private backwardLayerwise(): void {
    const c = this.config, T = this.T, B = this.B, H = c.hidden, W = this.D * H, L = c.layers;
    // Head: dY of the top layer.
    const out = this.outputOf(L - 1);
    if (c.outputMode === 'every') {
      this.decoder.backwardParams(T * B, this.dlogits, 0, out.buf, out.off, W);
      this.toLayerGrads(L - 1, (dst, off, ld, beta) => this.decoder.backwardInput(T * B, this.dlogits, 0, dst, off, ld, beta));
    } else {
      this.decoder.backwardParams(B, this.dlogits, 0, this.feat, 0, W);
      this.decoder.backwardInput(B, this.dlogits, 0, this.dfeat, 0, W, 0);
      for (let d = 0; d < this.D; d++) {
        const layer = this.top[d];
        for (let b = 0; b < B; b++) {
          const t = d === 0 ? (this.lengths ? this.lengths[b] - 1 : T - 1) : 0;
          this.be.axpy(H, 1, this.dfeat, b * W + d * H, layer.dhs, layer.hOff(layer.step(t)) + b * H);
        }
      }
    }
    for (let l = L - 1; l >= 0; l--) {
      for (const layer of this.layers[l]) for (let s = T - 1; s >= 0; s--) layer.backwardStep(s);
      if (l > 0) {
        this.toLayerGrads(l - 1, (dst, off, ld, beta) => {
          this.layers[l].forEach((layer, d) => layer.inputGrad(dst, off, ld, 0, T, d === 0 ? beta : 1));
        }, l);
      }
      for (const layer of this.layers[l]) layer.paramGrads();
    }
  }

  /**
   * Route a gradient on layer l's output [T·B×D·H] into its directions' dhs. `produce(dst, off, ld, beta)`
   * writes (beta 0) or adds (beta 1) the gradient into the given place. Through dropout when `via` (the
   * layer above) applies it.
   */
  private toLayerGrads(l: number, produce: (dst: Buf, off: number, ld: number, beta: number) => void, via = -1): void {
    const H = this.config.hidden, rows = this.T * this.B, W = this.D * H;
    const dropped = via > 0 && this.dropping;
    if (this.D === 1 && !dropped) { const layer = this.layers[l][0]; produce(layer.dhs, layer.outOff(), H, 1); return; }
    const tmp = this.D === 2 ? this.cat[l].dy : this.drop[via].dOut;
    produce(tmp, 0, W, 0);
    if (dropped) this.be.mul(rows * W, tmp, 0, this.drop[via].mask, 0, tmp, 0);
    for (let d = 0; d < this.D; d++) {
      const layer = this.layers[l][d], off = layer.outOff();
      if (this.D === 1) this.be.axpy(rows * H, 1, tmp, 0, layer.dhs, off);
      else for (let r = 0; r < rows; r++) this.be.axpy(H, 1, tmp, r * W + d * H, layer.dhs, off + r * H);
    }
  }

  private backwardStepwise(): void {
    const c = this.config, T = this.T, B = this.B, H = c.hidden, O = c.outputSize, L = c.layers, be = this.be;
    const teacher = c.jordanFeed === 'target';
    const top = this.top[0];
    for (let t = T - 1; t >= 0; t--) {
      // o_t fed layer 0 at t+1: its gradient goes back through φ into the logits of step t.
      if (!teacher && t < T - 1) feedbackBackward(be, c.head, B, O, this.fb, (t + 1) * B * O, this.dfb, (t + 1) * B * O, this.dlogits, t * B * O);
      this.decoder.backwardInput(B, this.dlogits, t * B * O, top.dhs, top.hOff(t), H, 1);
      for (let l = L - 1; l >= 0; l--) {
        const layer = this.layers[l][0];
        layer.backwardStep(t);
        if (l > 0) {
          const below = this.layers[l - 1][0], d = this.drop[l];
          if (this.dropping) {
            const o = t * B * H;
            layer.inputGrad(d.dOut, 0, H, t, t + 1, 0);
            be.mul(B * H, d.dOut, o, d.mask, o, d.dOut, o);
            be.axpy(B * H, 1, d.dOut, o, below.dhs, below.hOff(t));
          } else layer.inputGrad(below.dhs, below.outOff(), H, t, t + 1, 1);
        }
      }
    }
    for (const row of this.layers) for (const layer of row) layer.paramGrads();
    this.decoder.backwardParams(T * B, this.dlogits, 0, top.hs, top.outOff(), H);
  }

  /** Gradients below layer 0: into the embedding, or onto dense inputs when asked. */
  private inputGrads(wantDx: boolean): void {
    const c = this.config, T = this.T, B = this.B;
    if (c.inputKind === 'tokens' && c.embed > 0) {
      this.layers[0].forEach((layer, d) => layer.inputGrad(this.dEmb, 0, c.embed, 0, T, d === 0 ? 0 : 1));
      this.be.scatterAddRows(this.dEmb, 0, c.embed, this.tokens!, 0, T * B, this.dEmbTable!, c.embed);
    } else if (c.inputKind === 'dense' && wantDx) {
      this.layers[0].forEach((layer, d) => layer.inputGrad(this.dx, 0, c.inputSize, 0, T, d === 0 ? 0 : 1));
    }
  }

  /** Gradient on the state before the chunk, per layer·direction (for tests and diagnostics). */
  initialStateGrads(): { h: Buf[]; c: Buf[] } {
    const out = { h: [] as Buf[], c: [] as Buf[] };
    for (const row of this.layers) for (const layer of row) {
      const h = this.be.alloc(layer.K * this.B * this.config.hidden);
      layer.getInitialGrad(h);
      out.h.push(h);
      if (layer instanceof LstmLayer) { const cc = this.be.alloc(this.B * this.config.hidden); layer.getInitialCellGrad(cc); out.c.push(cc); }
    }
    return out;
  }

  /**
   * Gradient into a learned h0/c0: the initial-state gradient of the streams that started from it,
   * summed over those streams (and over the K lag slots). Call after backward, with the state's
   * `fresh` flags as they were before the forward pass.
   */
  accumulateH0Grads(fresh: Uint8Array): void {
    const c = this.config;
    if (c.h0 !== 'learned') return;
    const H = c.hidden, B = this.B, g = this.grads;
    const init = this.initialStateGrads();
    let i = 0;
    for (let l = 0; l < this.layers.length; l++) for (let d = 0; d < this.D; d++, i++) {
      const K = this.layers[l][d].K;
      for (let b = 0; b < B; b++) if (fresh[b]) {
        for (let k = 0; k < K; k++) this.be.axpy(H, 1, init.h[i], (k * B + b) * H, g.data, g.offset(`rnn.h0${sfx(l, d)}`));
        if (c.cell === 'lstm') this.be.axpy(H, 1, init.c[i], b * H, g.data, g.offset(`rnn.c0${sfx(l, d)}`));
      }
    }
    release(this.be, [...init.h, ...init.c]);
  }

  zeroGrads(): void { this.be.fill(this.grads.data, 0, this.grads.size, 0); }
}
