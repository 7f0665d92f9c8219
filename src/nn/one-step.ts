/**
 * One time step of one stream, in evaluation mode: what sampling does for every character.
 *
 * Model.forward() is built for chunks (T·B rows): masks, checks, a state copied into and out of the
 * layers' time slots. At T = B = 1 that bookkeeping and the number of kernel calls cost as much as
 * the arithmetic, so this path runs the same equations with the fewest calls, in place on the
 * carried state:
 *
 *   layer 0, one-hot input:  xw = T[token]   where T[v] = W_ih[:, v] + b_ih (+ b_hh), one row gather
 *   any other input:         xw = W_ih x + b_ih (+ b_hh)
 *   LSTM / Elman:            xw += W_hh h;  cell(xw, c, h) writes h (and c) over the state
 *   GRU:                     hg = W_hh h + b_hh;  gru(xw, hg, h) writes h over the state
 *   decoder:                 logits = V h_top + c
 *
 * Matrix-vector products use the backend's packed weights when it has them (packed.ts); the table
 * T and the packed copies are rebuilt whenever params.version moved. Results equal forward()'s to
 * float32 rounding (the packed product sums in another order). Cells with Jordan feedback, lags,
 * two directions or dense inputs take forward() instead (Model.stepOne decides).
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import { gatesOf, type ModelConfig } from './config.js';
import { layerTensorNames } from './names.js';
import { PackedWeights } from './packed.js';
import type { Params } from './params.js';
import type { RecurrentState } from './state.js';

/** Largest one-hot input table (elements) built; larger vocabularies gather a column per step. */
const MAX_TABLE = 1 << 22;

export class OneStep {
  private readonly G: number;
  private readonly xw: Buf;
  private readonly hg: Buf;
  private readonly cache: Buf;
  private readonly emb: Buf;
  private readonly ids = new Int32Array(1);
  private readonly all: Int32Array;
  private readonly packed: PackedWeights | null;
  private table: Buf | null = null;
  private tableVersion = -1;
  /** Views made once (kernels address a table from its first row): the embedding, layer 0's W_ih. */
  private readonly embTable: Buf | null;
  private readonly wih0: Buf | null;
  /** Per layer: weight names (keys of the packed copies) and bias offsets, made once (no strings per step). */
  private readonly names: { wih: string; whh: string; bih: number; bhh: number }[];
  private readonly decoderBias: number;

  constructor(private readonly be: Backend, private readonly params: Params, private readonly c: ModelConfig,
    private readonly logits: () => Buf) {
    const H = c.hidden;
    this.G = gatesOf(c.cell);
    this.xw = be.alloc(this.G * H);
    this.hg = be.alloc(c.cell === 'gru' ? 3 * H : 0);
    this.cache = be.alloc(c.cell === 'gru' ? 4 * H : 0);
    this.emb = be.alloc(c.embed);
    this.all = Int32Array.from({ length: c.embed > 0 ? 0 : c.inputSize }, (_, i) => i);
    this.packed = PackedWeights.available(be) ? new PackedWeights(be, params) : null;
    this.embTable = c.embed > 0 ? params.get('embedding.weight') : null;
    this.wih0 = c.embed > 0 ? null : params.get(layerTensorNames(0, 0).wih);
    this.names = Array.from({ length: c.layers }, (_, l) => {
      const n = layerTensorNames(l, 0);
      return { wih: n.wih, whh: n.whh, bih: params.offset(n.bih), bhh: params.offset(n.bhh) };
    });
    this.decoderBias = params.offset('decoder.bias');
  }

  /** Whether this path computes the model (else Model.stepOne runs forward()). */
  static covers(c: ModelConfig): boolean {
    return ((c.cell === 'lstm' && !c.peephole) || (c.cell === 'gru' && c.gruReset === 'after') || c.cell === 'elman') && !c.bidirectional && c.lags.length === 0 &&
      c.inputKind === 'tokens';
  }

  step(token: number, state: RecurrentState): void {
    const { be, c } = this, H = c.hidden, GH = this.G * H, data = this.params.data;
    for (let l = 0; l < c.layers; l++) {
      const L = this.names[l], h = state.h[l];
      // input projection (with the biases that enter it)
      if (l === 0 && c.embed === 0) this.oneHotRow(token);
      else {
        const x = l === 0 ? this.embed(token) : state.h[l - 1];
        this.matvec(L.wih, GH, l === 0 ? c.embed : H, x, 0, this.xw);
        this.addInputBias(this.xw, 1, L);
      }
      // recurrence and cell, over the carried state
      if (c.cell === 'gru') {
        this.matvec(L.whh, GH, H, h, 0, this.hg);
        be.addRowVector(this.hg, 0, 1, GH, GH, data, L.bhh);
        be.gruForward(1, H, this.xw, 0, this.hg, 0, h, 0, h, 0, this.cache, 0, null, 0);
      } else {
        this.matvec(L.whh, GH, H, h, 1, this.xw);
        if (c.cell === 'lstm') be.lstmForward(1, H, this.xw, 0, state.c[l], 0, state.c[l], 0, h, 0, h, 0, null, 0);
        else be.elmanForward(c.activation, 1, H, this.xw, 0, h, 0, h, 0, null, 0);
      }
    }
    const O = c.outputSize, logits = this.logits();
    this.matvec('decoder.weight', O, H, state.h[c.layers - 1], 0, logits);
    be.addRowVector(logits, 0, 1, O, O, data, this.decoderBias);
    state.fresh[0] = 0;
  }

  /** y = W·x + beta·y for the parameter `name` [n×k]. */
  private matvec(name: string, n: number, k: number, x: Buf, beta: number, y: Buf): void {
    if (this.packed) this.packed.matvec(name, n, k, x, 0, beta, y, 0);
    else this.be.gemm(false, true, 1, n, k, 1, x, 0, k, this.params.data, this.params.offset(name), k, beta, y, 0, n);
  }

  private embed(token: number): Buf {
    this.ids[0] = token;
    const E = this.c.embed;
    this.be.gatherRows(this.embTable!, E, this.ids, 0, 1, this.emb, 0, E, 0);
    return this.emb;
  }

  /** xw = W_ih[:, token] + biases: one row of the table while it is small enough, else a column gather. */
  private oneHotRow(token: number): void {
    const { be, c, params: P } = this, GH = this.G * c.hidden, V = c.inputSize, L = this.names[0];
    this.ids[0] = token;
    if (V * GH > MAX_TABLE) {
      be.gatherCols(this.wih0!, GH, V, this.ids, 0, 1, this.xw, 0, GH, 0);
      this.addInputBias(this.xw, 1, L);
      return;
    }
    if (this.tableVersion !== P.version) {
      this.table ??= be.alloc(V * GH);
      be.gatherCols(this.wih0!, GH, V, this.all, 0, V, this.table, 0, GH, 0);
      this.addInputBias(this.table, V, L);
      this.tableVersion = P.version;
    }
    be.gatherRows(this.table!, GH, this.ids, 0, 1, this.xw, 0, GH, 0);
  }

  /** The biases that enter the input projection, on `rows` rows: b_ih, and b_hh except for a GRU (its b_hh stays with W_hh h). */
  private addInputBias(buf: Buf, rows: number, L: { bih: number; bhh: number }): void {
    const GH = this.G * this.c.hidden, data = this.params.data;
    this.be.addRowVector(buf, 0, rows, GH, GH, data, L.bih);
    if (this.c.cell !== 'gru') this.be.addRowVector(buf, 0, rows, GH, GH, data, L.bhh);
  }

  dispose(): void {
    release(this.be, [this.xw, this.hg, this.cache, this.emb, ...(this.table ? [this.table] : [])]);
  }
}
