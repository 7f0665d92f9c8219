/**
 * A stack of recurrent layers: `layers` deep, one or two directions, locked dropout between layers and
 * on the top output, DropConnect on the recurrent weights. It owns the buffers that connect the layers
 * (the concatenation of both directions, dropout masks) and routes values up and gradients down; the
 * schedules decide in which order the layers' steps run.
 *
 * Layer l's output is [T·B×D·H], time-major, directions concatenated: a view of the layer's own state
 * slots with one direction, a separate concatenation buffer with two. Layer l > 0 reads it (or its
 * dropout) as a dense input; the head reads the top output (or its dropout: headInput).
 *
 * Dropout sits "on the input of" index l: l = 1 … L−1 between layers, l = L (one past the top layer)
 * before the head, so one routing (gradTarget/spreadGrad with `via`) serves both.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';
import { CELLS } from './cells.js';
import type { StackConfig } from './config.js';
import type { LayerInput, RecurrentLayer } from './layer.js';
import { LockedDropout } from './locked-dropout.js';
import { layerTensorNames, type LayerTensorNames } from './names.js';
import type { Params, TensorSpec } from './params.js';
import { DroppedWeight } from './weight-drop.js';

/** The tensors of a stack, in the order of the flat parameter buffer. */
export function stackSpecs(c: StackConfig): TensorSpec[] {
  const D = c.bidirectional ? 2 : 1, H = c.hidden, cell = CELLS[c.cell], specs: TensorSpec[] = [];
  for (let l = 0; l < c.layers; l++) for (let d = 0; d < D; d++) {
    const n = layerTensorNames(l, d, c.prefix);
    specs.push(...cell.specs(c, l, n, l === 0 ? c.input : D * H));
    if (c.h0 === 'learned') {
      specs.push({ name: n.h0, shape: [H] });
      if (cell.extraState) specs.push({ name: n.c0, shape: [H] });
    }
  }
  return specs;
}

/** Where a gradient on a layer's output is to be written (beta 0) or added (beta 1). */
export interface GradTarget { buf: Buf; off: number; ld: number; beta: number }

export class Stack {
  /** layers[l][d] */
  readonly layers: RecurrentLayer[][];
  /** names[l][d]: the tensor names of each layer. */
  readonly names: LayerTensorNames[][];
  /** Every layer and direction in state order (layer-major, forward before reverse). */
  readonly all: RecurrentLayer[];
  readonly D: number;
  readonly H: number;
  T = 0;
  B = 0;
  /** Whether the current chunk applies dropout between layers (training, p > 0, several layers). */
  dropping = false;
  /** Whether the current chunk drops units of the top output before the head (training, p > 0). */
  droppingOutput = false;
  /** Whether the current chunk runs the layers on dropped recurrent weights (training, p > 0). */
  droppingWeights = false;
  private rowsCap = -1;
  /** drop[l]: the locked dropout on the input of l (between layers for l < L, before the head for l = L), or null. */
  private readonly drop: (LockedDropout | null)[] = [];
  /** DropConnect: W_hh of every layer that has one, when weight drop is on (`all`'s order). */
  private readonly weightDrops: { layer: RecurrentLayer; d: DroppedWeight }[] = [];
  private cat: { y: Buf; dy: Buf }[] = [];
  private readonly target: GradTarget;

  constructor(readonly config: StackConfig, readonly be: Backend, readonly params: Params, readonly grads: Params) {
    const c = config, cell = CELLS[c.cell];
    this.D = c.bidirectional ? 2 : 1;
    this.H = c.hidden;
    this.target = { buf: be.alloc(0), off: 0, ld: 0, beta: 0 };
    this.layers = [];
    this.names = [];
    for (let l = 0; l < c.layers; l++) {
      const names = Array.from({ length: this.D }, (_, d) => layerTensorNames(l, d, c.prefix));
      this.names.push(names);
      this.layers.push(names.map((n, d) => cell.make(be, params, grads, c, l, n, l === 0 ? c.input : this.D * c.hidden, d === 1)));
    }
    this.all = this.layers.flat();
    const W = this.D * this.H, L = c.layers;
    for (let l = 0; l <= L; l++) {
      const p = l === L ? c.dropoutOutput ?? 0 : l > 0 ? c.dropout : 0;
      this.drop.push(p > 0 ? new LockedDropout(be, W) : null);
    }
    if ((c.weightDrop ?? 0) > 0) {
      for (const layer of this.all) {
        if (params.has(layer.names.whh)) this.weightDrops.push({ layer, d: new DroppedWeight(be, params, grads, layer.names.whh) });
      }
    }
  }

  get top(): RecurrentLayer[] { return this.layers[this.layers.length - 1]; }

  /** Size buffers for T steps of B rows (reused when large enough). */
  ensure(T: number, B: number): void {
    const be = this.be, rows = T * B, W = this.D * this.H;
    this.T = T; this.B = B;
    for (const row of this.layers) for (const layer of row) layer.ensure(T, B);
    for (const d of this.drop) d?.ensure(T, B);
    if (rows <= this.rowsCap) return;
    this.rowsCap = rows;
    release(be, this.cat.flatMap((d) => [d.y, d.dy]));
    this.cat = [];
    for (let l = 0; l < this.layers.length; l++) {
      this.cat.push(this.D === 2 ? { y: be.alloc(rows * W), dy: be.alloc(rows * W) } : { y: be.alloc(0), dy: be.alloc(0) });
    }
  }

  setMask(mask: Buf | null): void { for (const row of this.layers) for (const layer of row) layer.mask = mask; }

  /** Layer 0 reads `input`; each layer above reads the output of the one below (or its dropout). */
  setInputs(input: LayerInput): void {
    for (const layer of this.layers[0]) layer.input = input;
    for (let l = 1; l < this.layers.length; l++) {
      const buf = this.dropping ? this.drop[l]!.out : this.outBuf(l - 1), off = this.dropping ? 0 : this.outOff(l - 1);
      for (const layer of this.layers[l]) layer.input = { kind: 'dense', buf, off, ld: this.D * this.H };
    }
  }

  /** Whether a training chunk drops out (then setInputs routes through the dropout buffers) and drops weights. */
  setDropout(train: boolean): void {
    const L = this.layers.length;
    this.dropping = train && this.drop[1] !== null && L > 1;
    this.droppingOutput = train && this.drop[L] !== null;
    this.droppingWeights = train && this.weightDrops.length > 0;
    // The layers read W_hh from the dropped copies in training chunks, from the parameters otherwise.
    for (const { layer, d } of this.weightDrops) {
      const r = layer.whh, p = this.droppingWeights ? null : layer.names.whh;
      r.w = p ? this.params.data : d.w; r.off = p ? this.params.offset(p) : 0;
      r.g = p ? this.grads.data : d.g; r.gOff = p ? this.grads.offset(p) : 0;
    }
  }

  /** Whether this chunk draws anything at random. */
  get random(): boolean { return this.dropping || this.droppingOutput || this.droppingWeights; }

  /**
   * Draw this chunk's masks (kept units scaled by 1/(1−p)), in a fixed order: between layers
   * bottom-up, the output, then the recurrent weights layer by layer.
   */
  drawDropout(rng: Rng): void {
    const L = this.layers.length;
    if (this.dropping) for (let l = 1; l < L; l++) this.drop[l]!.draw(rng, this.config.dropout);
    if (this.droppingOutput) this.drop[L]!.draw(rng, this.config.dropoutOutput!);
    if (this.droppingWeights) for (const w of this.weightDrops) w.d.draw(rng, this.config.weightDrop!);
  }

  /** What the head reads: the top output [T·B×D·H], or its dropout. */
  headInput(): { buf: Buf; off: number } {
    const L = this.layers.length;
    return this.droppingOutput ? { buf: this.drop[L]!.out, off: 0 } : this.outputOf(L - 1);
  }

  /** The output dropout's mask [T·B×D·H] when it is on this chunk, else null. */
  outputMask(): Buf | null { return this.droppingOutput ? this.drop[this.layers.length]!.mask : null; }

  /** Where layer l's output [T·B×D·H] lives: the layer's own state slots (one direction) or the concatenation. */
  outputOf(l: number): { buf: Buf; off: number } { return { buf: this.outBuf(l), off: this.outOff(l) }; }
  outBuf(l: number): Buf { return this.D === 1 ? this.layers[l][0].hs : this.cat[l].y; }
  outOff(l: number): number { return this.D === 1 ? this.layers[l][0].outOff() : 0; }

  /** The input of l (a layer, or the head for l = L) = dropout(output of layer l−1) for steps [t0, t1). */
  applyDropout(l: number, t0: number, t1: number): void {
    this.drop[l]!.forward(this.outBuf(l - 1), this.outOff(l - 1), t0, t1);
  }

  /** With two directions: copy both outputs into the concatenation [T·B×2H]. */
  concat(l: number): void {
    if (this.D === 1) return;
    const H = this.H, rows = this.T * this.B, y = this.cat[l].y;
    for (let d = 0; d < 2; d++) {
      const layer = this.layers[l][d], off = layer.outOff();
      for (let r = 0; r < rows; r++) this.be.copy(H, layer.hs, off + r * H, y, r * 2 * H + d * H);
    }
  }

  /** Every layer over the whole chunk, one after the other (inputs set and state loaded). */
  forwardLayers(): void {
    for (let l = 0; l < this.layers.length; l++) {
      if (l > 0 && this.dropping) this.applyDropout(l, 0, this.T);
      for (const layer of this.layers[l]) {
        layer.project(0, this.T);
        for (let t = 0; t < this.T; t++) layer.forwardStep(t);
      }
      this.concat(l);
    }
    if (this.droppingOutput) this.applyDropout(this.layers.length, 0, this.T);
  }

  // ---------------------------------------------------------------- backward
  /**
   * Backward through every layer, top-down, each through time, after the gradients on the top output
   * (and on final states) are in the layers' dhs; adds into the parameter gradients.
   */
  backwardLayers(): void {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      for (const layer of this.layers[l]) for (let t = this.T - 1; t >= 0; t--) layer.backwardStep(t);
      if (l > 0) this.backInput(l);
      for (const layer of this.layers[l]) layer.paramGrads();
    }
    this.foldWeightDrop();
  }

  beginBackward(): void {
    for (const layer of this.all) layer.beginBackward();
    if (this.droppingWeights) for (const w of this.weightDrops) w.d.beginBackward();
  }
  paramGrads(): void {
    for (const layer of this.all) layer.paramGrads();
    this.foldWeightDrop();
  }

  /** After the layers' weight gradients: the dropped copies' gradients through their masks into W_hh. */
  private foldWeightDrop(): void { if (this.droppingWeights) for (const w of this.weightDrops) w.d.fold(); }

  /**
   * Where to put a gradient on layer l's output [T·B×D·H] (all steps): straight into the layer's dhs
   * (one direction, no dropout above: added) or into a buffer that spreadGrad then routes (written).
   * `via` is the layer above (or L, the head) when the gradient comes through its input (and so
   * through its dropout).
   */
  gradTarget(l: number, via = -1): GradTarget {
    const t = this.target, drop = this.dropOn(via);
    if (this.D === 1 && !drop) { const layer = this.layers[l][0]; t.buf = layer.dhs; t.off = layer.outOff(); t.ld = this.H; t.beta = 1; }
    else { t.buf = this.D === 2 ? this.cat[l].dy : drop!.dOut; t.off = 0; t.ld = this.D * this.H; t.beta = 0; }
    return t;
  }

  /** After gradTarget(l, via) was written: through the dropout mask, and into each direction's dhs. */
  spreadGrad(l: number, via = -1): void {
    const drop = this.dropOn(via);
    if (this.D === 1 && !drop) return;
    const H = this.H, rows = this.T * this.B, W = this.D * H, tmp = this.gradTarget(l, via).buf;
    drop?.backward(tmp, 0, 0, this.T);
    for (let d = 0; d < this.D; d++) {
      const layer = this.layers[l][d], off = layer.outOff();
      if (this.D === 1) this.be.axpy(rows * H, 1, tmp, 0, layer.dhs, off);
      else for (let r = 0; r < rows; r++) this.be.axpy(H, 1, tmp, r * W + d * H, layer.dhs, off + r * H);
    }
  }

  /** The dropout on the input of `via` when it is on this chunk. */
  private dropOn(via: number): LockedDropout | null {
    if (via <= 0) return null;
    return (via === this.layers.length ? this.droppingOutput : this.dropping) ? this.drop[via] : null;
  }

  /** Layer l's input gradient over all steps into the output of layer l−1. */
  backInput(l: number): void {
    const t = this.gradTarget(l - 1, l);
    this.inputGrad(l, t.buf, t.off, t.ld, t.beta);
    this.spreadGrad(l - 1, l);
  }

  /** Layer l's input gradient at step t into the layer below (one direction: the step-by-step schedule). */
  backInputStep(l: number, t: number): void {
    const layer = this.layers[l][0], below = this.layers[l - 1][0], B = this.B, H = this.H;
    if (!this.dropping) { layer.inputGrad(below.dhs, below.outOff(), H, t, t + 1, 1); return; }
    const d = this.drop[l]!, o = t * B * H;
    layer.inputGrad(d.dOut, 0, H, t, t + 1, 0);
    d.backward(d.dOut, 0, t, t + 1);
    this.be.axpy(B * H, 1, d.dOut, o, below.dhs, below.hOff(t));
  }

  /** dX (+)= the gradient on layer l's input over all steps, both directions summed (beta for the first). */
  inputGrad(l: number, dst: Buf, off: number, ld: number, beta: number): void {
    const row = this.layers[l];
    for (let d = 0; d < row.length; d++) row[d].inputGrad(dst, off, ld, 0, this.T, d === 0 ? beta : 1);
  }
}
