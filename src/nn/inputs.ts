/**
 * What layer 0 reads for a chunk, and the gradient below it:
 *   token ids, one-hot   → the layer gathers columns of W_ih (no one-hot matrix is built), nothing below
 *   token ids, embedded  → x_t = E[id_t]  (PyTorch's nn.Embedding);  dE[id] += dx_t  (scatter-add)
 *   dense values         → x_t as given;  dx_t on request (a gradient with respect to the data)
 * Padded steps may hold token −1 (never a real token): the layer holds its state there, and the
 * embedding gradient skips them.
 *
 * Two regularisers act here in training chunks: embedding dropout (whole rows of E dropped for the
 * chunk: the lookup reads Ẽ = E ⊙ m_rows, weight-drop.ts) and input dropout (locked dropout on what
 * layer 0 reads: x̃_t = x_t ⊙ m, locked-dropout.ts); the gradient goes back through both masks.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';
import type { LayerInput } from './layer.js';
import { LockedDropout } from './locked-dropout.js';
import type { Params, TensorSpec } from './params.js';
import type { Stack } from './stack.js';
import { DroppedWeight } from './weight-drop.js';

export interface InputConfig {
  kind: 'tokens' | 'dense';
  /** Vocabulary size (tokens) or feature count (dense). */
  size: number;
  /** Embedding width for tokens; 0 = one-hot. */
  embed: number;
  /** The embedding's module name in tensor names (`embedding` → `embedding.weight`). */
  name: string;
  /** Locked dropout on what layer 0 reads (default 0). */
  dropout?: number;
  /** Embedding dropout: whole rows of the table per chunk (default 0). */
  dropoutEmbed?: number;
}

/** The embedding table, when there is one. */
export const inputSpecs = (c: InputConfig): TensorSpec[] =>
  c.kind === 'tokens' && c.embed > 0 ? [{ name: `${c.name}.weight`, shape: [c.size, c.embed] }] : [];

/** Width of what layer 0 reads. */
export const inputWidth = (c: InputConfig): number => (c.kind === 'tokens' && c.embed > 0 ? c.embed : c.size);

export class Inputs {
  /** Gradient on dense inputs after backward with dx requested: [T·B×F]. */
  dx: Buf;
  private x: Buf;           // dense inputs, or embedded tokens
  private dEmb: Buf;
  private tokens: Int32Array | null = null;
  private rows = 0;
  private rowsCap = -1;
  /** The embedding table and its gradient as views made once (the kernels address tables from their first row). */
  private readonly table: Buf | null = null;
  private readonly dTable: Buf | null = null;
  private readonly dropIn: LockedDropout | null;
  private readonly dropRows: DroppedWeight | null;
  /** Whether this chunk drops inputs / embedding rows (training, p > 0). */
  private droppingIn = false;
  private droppingRows = false;

  constructor(readonly config: InputConfig, readonly be: Backend, params: Params, grads: Params) {
    const name = `${config.name}.weight`;
    if (params.has(name)) { this.table = params.get(name); this.dTable = grads.get(name); }
    this.x = this.dEmb = this.dx = be.alloc(0);
    this.dropIn = (config.dropout ?? 0) > 0 ? new LockedDropout(be, inputWidth(config)) : null;
    this.dropRows = (config.dropoutEmbed ?? 0) > 0 && this.table ? new DroppedWeight(be, params, grads, name) : null;
  }

  /** Whether a chunk of T steps of B streams drops anything (training), and so needs drawDropout before read. */
  setDropout(train: boolean, T: number, B: number): boolean {
    this.droppingIn = train && this.dropIn !== null;
    this.droppingRows = train && this.dropRows !== null;
    this.dropIn?.ensure(T, B);
    return this.droppingIn || this.droppingRows;
  }

  /** This chunk's masks: the embedding's rows, then the input units. */
  drawDropout(rng: Rng): void {
    const c = this.config;
    if (this.droppingRows) this.dropRows!.draw(rng, c.dropoutEmbed!, c.embed);
    if (this.droppingIn) this.dropIn!.draw(rng, c.dropout!);
  }

  private ensure(rows: number): void {
    this.rows = rows;
    if (rows <= this.rowsCap) return;
    this.rowsCap = rows;
    const c = this.config, be = this.be, W = inputWidth(c);
    release(be, [this.x, this.dEmb, this.dx]);
    this.x = be.alloc(c.kind === 'dense' || c.embed > 0 ? rows * W : 0);
    this.dEmb = be.alloc(c.embed > 0 ? rows * c.embed : 0);
    this.dx = be.alloc(c.kind === 'dense' ? rows * W : 0);
  }

  /** Check and take a chunk's inputs ([rows] ids or [rows·F] values); `masks` marks padded steps (0). */
  read(rows: number, tokens: Int32Array | undefined, values: ArrayLike<number> | undefined, masks: Buf | null): LayerInput {
    const c = this.config, be = this.be;
    this.ensure(rows);
    if (c.kind === 'tokens') {
      const ids = tokens;
      if (!ids || ids.length < rows) throw new Error(`expected ${rows} token ids`);
      for (let i = 0; i < rows; i++) {
        const v = ids[i];
        if (!(v >= 0 && v < c.size) && !(v === -1 && masks && masks[i] === 0)) throw new Error(`token id ${v} at position ${i} is outside the vocabulary of ${c.size}`);
      }
      this.tokens = ids;
      if (c.embed === 0) return { kind: 'onehot', ids };
      be.gatherRows(this.droppingRows ? this.dropRows!.w : this.table!, c.embed, ids, 0, rows, this.x, 0, c.embed, 0);
      return this.dense();
    }
    const xs = values;
    if (!xs || xs.length < rows * c.size) throw new Error(`expected ${rows * c.size} input values`);
    for (let i = 0; i < rows * c.size; i++) this.x[i] = xs[i];
    return this.dense();
  }

  /** Layer 0's dense input: x, or its dropout. */
  private dense(): LayerInput {
    const W = inputWidth(this.config);
    if (!this.droppingIn) return { kind: 'dense', buf: this.x, off: 0, ld: W };
    const d = this.dropIn!;
    d.forward(this.x, 0, 0, d.steps);
    return { kind: 'dense', buf: d.out, off: 0, ld: W };
  }

  /** After the stack's backward: into the embedding, or onto dense inputs when asked (`dx`). */
  backward(stack: Stack, wantDx: boolean): void {
    const c = this.config;
    if (c.kind === 'tokens' && c.embed > 0) {
      stack.inputGrad(0, this.dEmb, 0, c.embed, 0);
      if (this.droppingIn) this.dropIn!.backward(this.dEmb, 0, 0, this.dropIn!.steps);
      const rows = this.droppingRows ? this.dropRows! : null;
      rows?.beginBackward();
      this.be.scatterAddRows(this.dEmb, 0, c.embed, this.tokens!, 0, this.rows, rows ? rows.g : this.dTable!, c.embed);
      rows?.fold();
    } else if (c.kind === 'dense' && wantDx) {
      stack.inputGrad(0, this.dx, 0, c.size, 0);
      if (this.droppingIn) this.dropIn!.backward(this.dx, 0, 0, this.dropIn!.steps);
    }
  }
}
