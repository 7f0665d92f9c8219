/**
 * The cells a stack can be built of: for each, the tensors one layer owns (names from names.ts, shapes
 * as in PyTorch) and how to make the layer. Adding a cell = its file (a RecurrentLayer) + one entry
 * here + its name in config.ts.
 */
import type { Backend } from '../kernels/backend.js';
import { hasElman, hasJordan, type CellType, type StackConfig } from './config.js';
import { ElmanLayer } from './elman.js';
import { GruLayer, GruResetBeforeLayer } from './gru.js';
import type { RecurrentLayer } from './layer.js';
import { LstmLayer } from './lstm.js';
import { LstmPeepholeLayer } from './lstm-peephole.js';
import type { LayerTensorNames } from './names.js';
import type { Params, TensorSpec } from './params.js';


export interface CellKind {
  /** Whether the cell carries a state besides h (its `extra`, whose learned initial value is c0). */
  extraState: boolean;
  /** Layer l's weights and biases, in the order of the flat parameter buffer. */
  specs(c: StackConfig, l: number, n: LayerTensorNames, inSize: number): TensorSpec[];
  make(be: Backend, params: Params, grads: Params, c: StackConfig, l: number, n: LayerTensorNames, inSize: number, reverse: boolean): RecurrentLayer;
}

/** W_ih, W_hh (when the layer has the ordinary recurrence), b_ih, b_hh of a cell with G gate blocks. */
function rnnWeights(n: LayerTensorNames, G: number, H: number, inSize: number, recurrent: boolean): TensorSpec[] {
  return [
    { name: n.wih, shape: [G * H, inSize] },
    ...(recurrent ? [{ name: n.whh, shape: [G * H, H] }] : []),
    { name: n.bih, shape: [G * H] }, { name: n.bhh, shape: [G * H] },
  ];
}

/** Elman and Jordan: Jordan feedback enters layer 0; the layers above it are Elman layers. */
const roles = (c: StackConfig, l: number): { elman: boolean; jordan: boolean } =>
  ({ elman: l > 0 || hasElman(c.cell), jordan: l === 0 && hasJordan(c.cell) });

const simple: CellKind = {
  extraState: false,
  specs(c, l, n, inSize) {
    const H = c.hidden, { elman, jordan } = roles(c, l);
    return [
      ...rnnWeights(n, 1, H, inSize, elman),
      ...c.lags.map((k) => ({ name: n.lag(k), shape: [H, H] })),
      ...(jordan ? [{ name: n.woh, shape: [H, c.feedback] }] : []),
    ];
  },
  make(be, params, grads, c, l, n, inSize, reverse) {
    const { elman, jordan } = roles(c, l);
    return new ElmanLayer(be, params, grads, n, inSize, c.hidden, reverse, {
      activation: c.activation, elman, lags: c.lags, feedback: jordan ? c.feedback : 0, feedbackGrad: c.feedbackGrad,
    });
  },
};

export const CELLS: Record<CellType, CellKind> = {
  elman: simple,
  jordan: simple,
  'elman+jordan': simple,
  lstm: {
    extraState: true,
    specs: (c, _l, n, inSize) => [...rnnWeights(n, 4, c.hidden, inSize, true), ...(c.peephole ? [{ name: n.peephole, shape: [3 * c.hidden] }] : [])],
    make: (be, params, grads, c, _l, n, inSize, reverse) => (c.peephole
      ? new LstmPeepholeLayer(be, params, grads, n, inSize, c.hidden, reverse)
      : new LstmLayer(be, params, grads, n, inSize, c.hidden, reverse)),
  },
  gru: {
    extraState: false,
    specs: (c, _l, n, inSize) => rnnWeights(n, 3, c.hidden, inSize, true),
    make: (be, params, grads, c, _l, n, inSize, reverse) => (c.gruReset === 'before'
      ? new GruResetBeforeLayer(be, params, grads, n, inSize, c.hidden, reverse)
      : new GruLayer(be, params, grads, n, inSize, c.hidden, reverse)),
  },
};
