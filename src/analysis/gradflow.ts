/**
 * Gradient flow through time: ‖∂L/∂h_t‖ for every step t of a sequence whose loss sits at its end.
 *
 * The gradient that reaches h_t from a loss at step T−1 is a product of T−1−t step Jacobians
 * (for an Elman cell diag(σ'(pre_s)) · W_hh each), so its norm against t shows directly whether the
 * error signal vanishes (|λ(W_hh)| < 1, saturated units) or explodes on the way back.
 *
 * How it is measured: one forward pass with the loss only at the last step, one backward pass, and
 * then the layer's own BPTT buffer `dhs`, which after backward holds the *total* gradient on each h_t
 * (from the head above and from step t+1). Nothing is re-derived here, so this is the gradient the
 * trainer actually uses.
 *
 * The norm at step t is the Frobenius norm of the [B×H] block ∂L/∂H_t, with L the batch-mean loss
 * (the quantity BPTT propagates); for B = 1 that is the plain vector norm. The per-sequence norms
 * would each be B times larger in the batch-mean scale, and the ratio last/first does not depend on it.
 */
import type { Buf } from '../kernels/backend.js';
import type { Batch, Model, RecurrentState } from '../nn/model.js';
import { Rng } from '../util/rng.js';

export interface GradFlowOptions {
  /** Which layer to read (default: the top one); the forward direction of a bidirectional layer. */
  layer?: number;
  /** Start state (default: the model's initial state for B streams). Not modified. */
  state?: RecurrentState;
  /**
   * Dropout masks for a stacked model with dropout: the probe runs in training mode (backward needs
   * it), so it sees the network the trainer sees. Default: a generator seeded with 0.
   */
  rng?: Rng;
}

export interface GradFlow {
  /** ‖∂L/∂h_t‖ for t = 0 … T−1. */
  grad_norms: number[];
  /** The loss at the last step. */
  loss: number;
  /** grad_norms[T−1] / grad_norms[0]: ≫ 1 when the gradient vanishes on the way back, ≪ 1 when it explodes. */
  ratio: number;
  /** (grad_norms[0] / grad_norms[T−1])^(1/(T−1)): the mean factor per step back in time (< 1 vanishing, > 1 exploding). */
  per_step: number;
  layer: number;
}

/**
 * Measure the gradient flow of `model` on `batch` with the loss at the last step only. Targets for the
 * loss: for outputMode 'last' the batch's own; for 'every' those of step T−1 (the others are ignored).
 */
export function gradFlow(model: Model, batch: Batch, opts: GradFlowOptions = {}): GradFlow {
  const c = model.config, { T, B } = batch, H = c.hidden, O = c.outputSize, be = model.be;
  const l = opts.layer ?? c.layers - 1;
  if (!(Number.isInteger(l) && l >= 0 && l < c.layers)) throw new Error(`layer ${l} does not exist (the model has ${c.layers}, counted from 0)`);
  if (c.jordanFeed === 'target' && (c.cell === 'jordan' || c.cell === 'elman+jordan')) {
    throw new Error('gradient flow needs the model to run on its own outputs; a teacher-forced Jordan model reads targets at every step');
  }
  const state = cloneState(model, opts.state ?? model.newState(B));
  if (state.B !== B) throw new Error(`state holds ${state.B} streams but the batch has ${B}`);
  const last = T - 1, fwd = { train: true, carry: false, rng: opts.rng ?? new Rng(0) };
  let loss: number;
  model.zeroGrads();
  if (c.outputMode === 'last') {
    const l0 = model.forward(batch, state, fwd);
    if (!l0) throw new Error('gradient flow needs targets for the loss at the last step');
    loss = l0.loss;
    model.backward();
  } else if (c.head === 'softmax') {
    if (!batch.targets || batch.targets.length < T * B) throw new Error(`gradient flow needs ${T * B} targets (only the last step's are used)`);
    const targets = new Int32Array(T * B).fill(-1);
    targets.set(batch.targets.subarray(last * B, T * B), last * B);
    loss = model.forward({ ...batch, targets }, state, fwd)!.loss;
    model.backward();
  } else {
    // Regression at every step: the model's loss cannot be restricted to one step, so the gradient of
    // the last step's mean squared error is formed here and sent into the top layer's output.
    const tv = batch.targetValues;
    if (!tv || tv.length < T * B * O) throw new Error(`gradient flow needs ${T * B * O} target values (only the last step's are used)`);
    model.forward({ ...batch, targetValues: undefined, targets: undefined }, state, fwd);
    const W = model.D * H, dOut = be.alloc(T * B * W), dec = model.params.offset('decoder.weight');
    let sum = 0;
    for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) {
      const e = model.logits[(last * B + b) * O + o] - tv[(last * B + b) * O + o];
      sum += e * e;
      const dy = (2 * e) / (B * O);
      for (let j = 0; j < W; j++) dOut[(last * B + b) * W + j] += dy * model.params.data[dec + o * W + j];
    }
    loss = sum / (B * O);
    model.backward({ dOutput: dOut });
    be.free(dOut);
  }
  const layer = model.layers[l][0];
  const norms = new Array<number>(T);
  for (let t = 0; t < T; t++) norms[t] = blockNorm(layer.dhs, layer.hOff(layer.step(t)), B * H);
  model.zeroGrads(); // the weight gradients of this probe must not leak into a later update
  const ratio = norms[last] / norms[0];
  return { grad_norms: norms, loss, ratio, per_step: T > 1 ? Math.pow(norms[0] / norms[last], 1 / (T - 1)) : 1, layer: l };
}

function blockNorm(x: Buf, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[off + i] * x[off + i];
  return Math.sqrt(s);
}

/** A copy of a state, so that probing never advances or disturbs the caller's streams. */
function cloneState(model: Model, st: RecurrentState): RecurrentState {
  const be = model.be, dup = (b: Buf): Buf => { const o = be.alloc(b.length); be.copy(b.length, b, 0, o, 0); return o; };
  return { B: st.B, h: st.h.map(dup), c: st.c.map(dup), fb: st.fb ? dup(st.fb) : null, fresh: Uint8Array.from(st.fresh) };
}
