/**
 * One ONNX recurrent node run by recur's own layers (the cell table's RecurrentLayers, the backend's
 * kernels): what `recur onnx check` compares with the expected tensors of ONNX's backend tests.
 *
 * recur holds the state on padded steps where ONNX writes zeros into Y, so Y is zeroed there; Y_h is
 * each sequence's last real state in both, and a reverse direction starts at each sequence's own end
 * in both. layout = 1 (batch-major X, Y and states) is transposed in and out.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import { CELLS } from '../nn/cells.js';
import type { StackConfig } from '../nn/config.js';
import { layerTensorNames } from '../nn/names.js';
import { Params } from '../nn/params.js';
import type { RecurrentNode, Value } from './recurrent-node.js';

export interface NodeInputs {
  /** X as given (layout 0: [T, B, I]; layout 1: [B, T, I]). */
  X: Value;
  lengths: number[] | null;
  initialH: Value | null;
  initialC: Value | null;
}

export interface NodeOutputs { Y: Value; Yh: Value; Yc: Value | null }

/** [a, b, rest] → [b, a, rest] (row-major). */
function swap01(data: ArrayLike<number>, a: number, b: number, rest: number): Float32Array {
  const out = new Float32Array(a * b * rest);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < rest; k++) out[(j * a + i) * rest + k] = data[(i * b + j) * rest + k];
  return out;
}

/** Run the node on X from the given (or zero) initial states. */
export function runRecurrentNode(be: Backend, node: RecurrentNode, inp: NodeInputs): NodeOutputs {
  const batchMajor = node.layout === 1, H = node.H, D = node.reverse.length, I = node.inputSize;
  const [T, B] = batchMajor ? [inp.X.dims[1], inp.X.dims[0]] : [inp.X.dims[0], inp.X.dims[1]];
  if (inp.X.dims.length !== 3 || inp.X.dims[2] !== I) throw new Error(`node ${node.name}: X has shape [${inp.X.dims}], expected ${I} features`);
  const lengths = inp.lengths ?? Array(B).fill(T);
  if (lengths.length !== B || lengths.some((n) => !(Number.isInteger(n) && n >= 1 && n <= T))) {
    throw new Error(`node ${node.name}: sequence_lens [${lengths}] must give each of the ${B} sequences a length from 1 to ${T}`);
  }
  const state = (v: Value | null): Float32Array => (!v ? new Float32Array(D * B * H) : batchMajor ? swap01(v.data, B, D, H) : Float32Array.from(v.data));
  const h0 = state(inp.initialH), c0 = state(inp.initialC);
  const sc: StackConfig = {
    cell: node.cell, activation: node.activation, hidden: H, layers: 1, bidirectional: D === 2, lags: [], h0: 'zero', dropout: 0,
    input: I, feedback: 0, feedbackGrad: false, prefix: 'node', gruReset: node.gruReset, peephole: node.peephole,
  };
  const kind = CELLS[node.cell], names = node.reverse.map((r) => layerTensorNames(0, r ? 1 : 0, 'node'));
  const specs = names.flatMap((n) => kind.specs(sc, 0, n, I));
  const params = new Params(specs, be), grads = new Params(specs, be);
  const alloc = (data: ArrayLike<number>): Buf => { const b = be.alloc(data.length); b.set(data); return b; };
  const X = alloc(batchMajor ? swap01(inp.X.data, B, T, I) : inp.X.data);
  const mask = alloc(Array.from({ length: T * B }, (_, i) => (Math.floor(i / B) < lengths[i % B] ? 1 : 0)));
  const Y = new Float32Array(T * D * B * H), Yh = new Float32Array(D * B * H), Yc = kind.extraState ? new Float32Array(D * B * H) : null;
  const buf = be.alloc(B * H);
  node.reverse.forEach((reverse, d) => {
    const n = names[d], w = node.weights[d];
    params.set(n.wih, w.wih); params.set(n.whh, w.whh); params.set(n.bih, w.bih); params.set(n.bhh, w.bhh);
    if (w.peep) params.set(n.peephole, w.peep);
    const layer = kind.make(be, params, grads, sc, 0, n, I, reverse);
    layer.ensure(T, B);
    layer.input = { kind: 'dense', buf: X, off: 0, ld: I };
    layer.mask = mask;
    buf.set(h0.subarray(d * B * H, (d + 1) * B * H));
    layer.setInitial(buf);
    if (layer.extra) { buf.set(c0.subarray(d * B * H, (d + 1) * B * H)); layer.extra.setInitial(buf); }
    layer.project(0, T);
    for (let s = 0; s < T; s++) layer.forwardStep(s);
    const out = layer.outOff();
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lengths[b]) {
      for (let j = 0; j < H; j++) Y[((t * D + d) * B + b) * H + j] = layer.hs[out + (t * B + b) * H + j];
    }
    layer.getFinal(buf);
    Yh.set(buf.subarray(0, B * H), d * B * H);
    if (layer.extra && Yc) { layer.extra.getFinal(buf); Yc.set(buf.subarray(0, B * H), d * B * H); }
  });
  if (!batchMajor) return { Y: { dims: [T, D, B, H], data: Y }, Yh: { dims: [D, B, H], data: Yh }, Yc: Yc && { dims: [D, B, H], data: Yc } };
  // Batch-major: Y [B, T, D, H], states [B, D, H].
  return {
    Y: { dims: [B, T, D, H], data: batchY(Y, T, D, B, H) },
    Yh: { dims: [B, D, H], data: swap01(Yh, D, B, H) },
    Yc: Yc && { dims: [B, D, H], data: swap01(Yc, D, B, H) },
  };
}

/** [T, D, B, H] → [B, T, D, H]. */
function batchY(Y: Float32Array, T: number, D: number, B: number, H: number): Float32Array {
  const out = new Float32Array(Y.length);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) for (let b = 0; b < B; b++) {
    out.set(Y.subarray(((t * D + d) * B + b) * H, ((t * D + d) * B + b + 1) * H), ((b * T + t) * D + d) * H);
  }
  return out;
}
