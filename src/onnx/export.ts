/**
 * A recur model as an ONNX graph (opset 14) that onnxruntime runs. Layers with an ONNX operator (LSTM,
 * GRU, Elman = RNN) become one node per layer with the weights in ONNX's gate order (gates.ts); recur's
 * GRU is PyTorch's, whose reset gate multiplies W_hn h + b_hn: ONNX `linear_before_reset=1` (0 for the
 * reset-before variant, gruReset 'before'); LSTM peepholes are its input P. Cells ONNX
 * has no operator for (Jordan feedback, lags) run as a Loop over one step (export-loop.ts).
 *
 * The interface (README "ONNX"), with T and B dynamic:
 *   inputs   tokens int64 [T, B] (token models) or inputs float [T, B, F] (dense models);
 *            lengths int32 [B] (when asked for; steps at or after a sequence's length are padding);
 *            h0 float [layers·directions, B, H] (+ c0 for LSTM)
 *   outputs  logits (softmax head) or predictions (squared-error head): [T, B, O] at every step, or
 *            [B, O] for models that read each sequence's final state; hn (+ cn) like h0.
 * Padded steps: ONNX writes zeros where recur holds the state, so outputs there are the head's bias;
 * valid steps and final states agree with recur.
 */
import { hasJordan, type ModelConfig } from '../nn/config.js';
import type { LayerTensorNames } from '../nn/names.js';
import type { Params } from '../nn/params.js';
import type { Model } from '../nn/model.js';
import { gateCount, onnxOpOf, swapPeepholes, toOnnxGates, type OnnxCell } from './gates.js';
import { GraphBuilder } from './graph.js';
import { exportLoop } from './export-loop.js';
import { ACT, docString, head, inputValues, outputName, type ExportOptions, type OnnxExport } from './interface.js';
import { encodeModelProto, FLOAT, INT32 } from './proto.js';

export type { ExportOptions, OnnxExport } from './interface.js';

/** Whether a config's recurrent layers map onto ONNX's recurrent operators (else: a Loop). */
export const hasOnnxOperator = (c: ModelConfig): boolean => onnxOpOf(c.cell) !== null && c.lags.length === 0 && !hasJordan(c.cell);

/** A stack of recurrent layers to write as ONNX nodes: its tensors and shape (a char-LM's, or a seq2seq's encoder or decoder). */
export interface OnnxStack {
  params: Params;
  /** Tensor names per layer and direction. */
  names: LayerTensorNames[][];
  /** Width of layer 0's input (the layers above read D·H). */
  input: number;
  config: Pick<ModelConfig, 'cell' | 'activation' | 'hidden' | 'layers' | 'gruReset' | 'peephole'>;
}

/** A char-LM's (classifier's, forecaster's) stack. */
const modelStack = (model: Model): OnnxStack => ({ params: model.params, names: model.stack.names, input: model.stack.layers[0][0].inSize, config: model.config });

/**
 * One ONNX recurrent node per layer; returns the top layer's output as [T, B, D·H] (`x`), its Y_h, and each
 * layer's final states. h0 and c0 name [layers·D, B, H] values, or '' to start from zeros.
 */
export function recurrentNodes(g: GraphBuilder, st: OnnxStack, op: OnnxCell, x: string, lengths: string, h0: string, c0: string) {
  const c = st.config, D = st.names[0].length, H = c.hidden, G = gateCount(op), lstm = op === 'LSTM', get = (n: string) => st.params.get(n);
  const hn: string[] = [], cn: string[] = [];
  let y = '', yh = '';
  for (let l = 0; l < c.layers; l++) {
    const names = st.names[l], inSize = l === 0 ? st.input : D * H;
    const W = new Float32Array(D * G * H * inSize), R = new Float32Array(D * G * H * H), Bias = new Float32Array(D * 2 * G * H);
    names.forEach((n, d) => {
      W.set(toOnnxGates(op, get(n.wih), H, inSize), d * G * H * inSize);
      R.set(toOnnxGates(op, get(n.whh), H, H), d * G * H * H);
      Bias.set(toOnnxGates(op, get(n.bih), H), d * 2 * G * H);
      Bias.set(toOnnxGates(op, get(n.bhh), H), d * 2 * G * H + G * H);
    });
    const slice = (s: string): string => (s ? g.op('Slice', [s, g.ints([l * D]), g.ints([(l + 1) * D]), g.ints([0])]) : '');
    const ins = [x, g.weight(`${names[0].wih}_onnx`, [D, G * H, inSize], W), g.weight(`${names[0].whh}_onnx`, [D, G * H, H], R),
      g.weight(`${names[0].bih}_onnx`, [D, 2 * G * H], Bias), lengths, slice(h0), lstm ? slice(c0) : ''];
    if (c.peephole) {
      const P = new Float32Array(D * 3 * H);
      names.forEach((n, d) => P.set(swapPeepholes(get(n.peephole), H), d * 3 * H));
      ins.push(g.weight(`${names[0].peephole}_onnx`, [D, 3 * H], P));
    }
    while (ins[ins.length - 1] === '') ins.pop();
    const outs = [g.fresh(`Y_l${l}`), g.fresh(`Y_h_l${l}`), ...(lstm ? [g.fresh(`Y_c_l${l}`)] : [])];
    const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
    if (op === 'GRU') attrs.linear_before_reset = c.gruReset === 'after' ? 1 : 0;
    if (op === 'RNN') attrs.activations = Array(D).fill(ACT[c.activation]);
    g.op(op, ins, attrs, outs);
    [y, yh] = outs;
    hn.push(outs[1]);
    if (lstm) cn.push(outs[2]);
    // [T, D, B, H] → [T, B, D·H]: the next layer's input (directions concatenated, as recur's stack does).
    x = g.op('Reshape', [g.op('Transpose', [y], { perm: [0, 2, 1, 3] }), g.ints([0, 0, -1])]);
  }
  return { x, yh, hn, cn };
}

export function exportOnnx(model: Model, opts: ExportOptions = {}): OnnxExport {
  const c = model.config;
  const withLengths = opts.lengths ?? (c.outputMode === 'last' || c.inputKind === 'dense');
  if (!hasOnnxOperator(c)) return exportLoop(model, withLengths, opts.metadata);
  const op = onnxOpOf(c.cell)!, D = model.stack.D, LD = c.layers * D, H = c.hidden, lstm = op === 'LSTM';
  const g = new GraphBuilder('recur');
  const x = inputValues(g, model);
  const lengths = withLengths ? g.input('lengths', INT32, ['B']) : '';
  const h0 = g.input('h0', FLOAT, [LD, 'B', H]);
  const c0 = lstm ? g.input('c0', FLOAT, [LD, 'B', H]) : '';
  const top = recurrentNodes(g, modelStack(model), op, x, lengths, h0, c0);
  const out = outputName(c);
  if (c.outputMode === 'every') head(g, model, top.x, out);
  else head(g, model, g.op('Reshape', [g.op('Transpose', [top.yh], { perm: [1, 0, 2] }), g.ints([0, -1])]), out);
  g.output(out, FLOAT, c.outputMode === 'every' ? ['T', 'B', c.outputSize] : ['B', c.outputSize]);
  g.op('Concat', top.hn, { axis: 0 }, ['hn']);
  g.output('hn', FLOAT, [LD, 'B', H]);
  if (lstm) { g.op('Concat', top.cn, { axis: 0 }, ['cn']); g.output('cn', FLOAT, [LD, 'B', H]); }
  const inputs = g.inputs.map((i) => i.name!), outputs = g.outputs.map((o) => o.name!);
  return { bytes: encodeModelProto(g.graph(), docString(c, inputs, outputs), opts.metadata), inputs, outputs };
}

