/**
 * Cells ONNX has no operator for (Jordan feedback o_{t−1}, lags W_k h_{t−k}) export as a Loop whose body is
 * one time step of the whole stack, written like elman.ts's equations:
 *
 *   pre_t = x_t W_ihᵀ + b_ih + b_hh + h_{t−1} W_hhᵀ + Σ_k h_{t−k} W_kᵀ + o_{t−1} W_ohᵀ,   h_t = σ(pre_t)
 *   logits_t = h_t Vᵀ + c,   o_t = softmax(logits_t) (classes) or logits_t (values)
 *
 * Each layer carries its last K states [K, B, H] (block k = h_{t−1−k}, K = the longest lag, 1 without);
 * a padded step (t ≥ length) holds them, as recur's masks do. The interface differs from the operator
 * graphs only in the state: h0/hn are [layers, B, H], or [layers, K, B, H] with lags; a Jordan model adds
 * o0/on [B, O] (the output fed back).
 */
import { hasElman, hasJordan } from '../nn/config.js';
import type { Model } from '../nn/model.js';
import { GraphBuilder } from './graph.js';
import { ACT, docString, head, inputValues, outputName, type OnnxExport } from './interface.js';
import { BOOL, encodeModelProto, FLOAT, INT32, INT64, valueInfo } from './proto.js';

/** x Wᵀ for a recur weight [rows × cols] (stored transposed once in the graph). */
function linear(g: GraphBuilder, model: Model, x: string, name: string): string {
  const v = model.params.view(name), [rows, cols] = v.shape, W = model.params.get(name), Wt = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) Wt[j * rows + r] = W[r * cols + j];
  return g.op('MatMul', [x, g.weight(`${name}_t`, [cols, rows], Wt)]);
}

export function exportLoop(model: Model, withLengths: boolean, metadata?: Record<string, string>): OnnxExport {
  const c = model.config, L = c.layers, H = c.hidden, O = c.outputSize, K = Math.max(1, ...c.lags), jordan = hasJordan(c.cell);
  if (jordan && c.jordanFeed === 'target') throw new Error('a teacher-forced Jordan model feeds back the previous target, which a graph without targets cannot; it does not export');
  const g = new GraphBuilder('recur');
  const x = inputValues(g, model);
  const lengths = withLengths ? g.op('Unsqueeze', [g.op('Cast', [g.input('lengths', INT32, ['B'])], { to: INT64 }), g.ints([1])]) : '';
  const stateDims = K === 1 ? [L, 'B', H] : [L, K, 'B', H];
  const h0 = g.input('h0', FLOAT, stateDims);
  const o0 = jordan ? g.input('o0', FLOAT, ['B', O]) : '';

  // The body: (t, cond, hist_0 … hist_{L−1}, [o]) → (cond, hist' …, [o'], [logits_t]).
  const b = new GraphBuilder('step', g), names = model.stack.names;
  const t = b.fresh('t'), condIn = b.fresh('cond_in'), hist = names.map((_, l) => b.fresh(`hist_l${l}`)), oIn = b.fresh('o_prev');
  b.inputs.push(valueInfo(t, INT64, []), valueInfo(condIn, BOOL, []), ...hist.map((h) => valueInfo(h, FLOAT, null)),
    ...(jordan ? [valueInfo(oIn, FLOAT, null)] : []));
  const keep = lengths ? b.op('Less', [t, lengths]) : '';
  let input = b.op('Gather', [x, t], { axis: 0 });
  const histOut: string[] = [];
  for (let l = 0; l < L; l++) {
    const n = names[l][0], prev = (k: number): string => b.op('Gather', [hist[l], b.ints([k - 1], true)], { axis: 0 });
    const bias = model.params.get(n.bih).map((v, i) => v + model.params.get(n.bhh)[i]);
    let pre = b.op('Add', [linear(b, model, input, n.wih), b.weight(`rnn.bias_l${l}`, [H], bias)]);
    const terms: string[] = [];
    if (l > 0 || hasElman(c.cell)) terms.push(linear(b, model, prev(1), n.whh));
    for (const k of c.lags) terms.push(linear(b, model, prev(k), n.lag(k)));
    if (l === 0 && jordan) terms.push(linear(b, model, oIn, n.woh));
    for (const term of terms) pre = b.op('Add', [pre, term]);
    let h = b.op(ACT[c.activation], [pre]);
    if (keep) h = b.op('Where', [keep, h, prev(1)]);
    const newest = b.op('Unsqueeze', [h, b.ints([0])]);
    histOut.push(K === 1 ? newest : b.op('Concat', [newest, b.op('Slice', [hist[l], b.ints([0]), b.ints([K - 1]), b.ints([0])])], { axis: 0 }));
    input = h;
  }
  const logits = head(b, model, input, b.fresh('logits_t'));
  const condOut = b.op('Identity', [condIn]);
  const oOut = jordan ? (c.head === 'softmax' ? b.op('Softmax', [logits], { axis: -1 }) : b.op('Identity', [logits])) : '';
  const every = c.outputMode === 'every';
  b.outputs.push(valueInfo(condOut, BOOL, []), ...histOut.map((h) => valueInfo(h, FLOAT, null)),
    ...(jordan ? [valueInfo(oOut, FLOAT, null)] : []), ...(every ? [valueInfo(logits, FLOAT, null)] : []));

  // The main graph: initial histories from h0, the Loop over T = shape(x)[0], final states out.
  const steps = g.op('Gather', [g.op('Shape', [x]), g.ints([0], true)], { axis: 0 });
  const init = names.map((_, l) => (K === 1
    ? g.op('Slice', [h0, g.ints([l]), g.ints([l + 1]), g.ints([0])])
    : g.op('Gather', [h0, g.ints([l], true)], { axis: 0 })));
  const finals = names.map((_, l) => g.fresh(`hist_final_l${l}`)), oFinal = jordan ? 'on' : '';
  const out = outputName(c), loopOut = [...finals, ...(jordan ? [oFinal] : []), ...(every ? [out] : [])];
  g.op('Loop', [steps, '', ...init, ...(jordan ? [o0] : [])], { body: b.graph() }, loopOut);
  if (!every) head(g, model, g.op('Gather', [finals[L - 1], g.ints([0], true)], { axis: 0 }), out);
  g.output(out, FLOAT, every ? ['T', 'B', O] : ['B', O]);
  g.op('Concat', K === 1 ? finals : finals.map((f) => g.op('Unsqueeze', [f, g.ints([0])])), { axis: 0 }, ['hn']);
  g.output('hn', FLOAT, stateDims);
  if (jordan) g.output('on', FLOAT, ['B', O]);
  const inputs = g.inputs.map((i) => i.name!), outputs = g.outputs.map((o) => o.name!);
  return { bytes: encodeModelProto(g.graph(), docString(c, inputs, outputs), metadata), inputs, outputs };
}
