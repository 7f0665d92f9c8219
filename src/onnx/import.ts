/**
 * An ONNX graph of recurrent layers as a recur character model or classifier: the graph shape
 * torch.onnx.export and tf2onnx write for char-LMs and classifiers, read by what each node does, not by names:
 *
 *   tokens → Gather(embedding) or OneHot → RNN/LSTM/GRU node per layer → MatMul + Add (or Gemm) → logits
 *
 * The linear layer reads the last layer's Y (logits at every step: a char-LM) or its final state Y_h (one
 * output per sequence: a classifier; `h_n[-1]`, a Gather of Y_h, for a one-direction layer). The last
 * real step of each sequence is Y_h under sequence_lens, which is what recur's classifiers read.
 *
 * with shape-only nodes (Squeeze, Transpose, Reshape, …) between, initial states sliced from graph inputs,
 * and an optional LogSoftmax at the end (the same distribution). Weights become recur's tensors in
 * PyTorch order (gates.ts via recurrent-node.ts); anything else is refused in one line naming the node.
 */
import type { ModelConfig } from '../nn/config.js';
import { layerTensorNames } from '../nn/names.js';
import { attrValue, decodeModelProto, tensorValues, type NodeProto } from './proto.js';
import { isRecurrentOp, OnnxUnsupported, readRecurrentNode, type RecurrentNode, type Value } from './recurrent-node.js';

export interface ImportedModel {
  config: Partial<ModelConfig>;
  /** recur tensor name → values, in the graph's token-id order. */
  tensors: Map<string, Float32Array>;
  /** The size of the token alphabet (input and output). */
  vocabSize: number;
}

/** Nodes that only move or reshape values (followed through when tracing where a value comes from). */
const PASS = new Set(['Squeeze', 'Unsqueeze', 'Transpose', 'Reshape', 'Identity', 'Flatten']);
/** Nodes that compute shapes and slices of the state inputs: allowed, not part of the model. */
const SHAPES = new Set(['Constant', 'Shape', 'Slice', 'Concat', 'Cast', 'Gather', 'ConstantOfShape', 'Expand', 'Split']);
const MODEL = new Set(['RNN', 'LSTM', 'GRU', 'Gather', 'OneHot', 'MatMul', 'Gemm', 'Add', 'LogSoftmax']);

/** The constant scalar index of a Gather along axis 0 (null for anything else). */
function gatherIndexIn(inits: Map<string, Value>, n: NodeProto): number | null {
  const idx = inits.get(n.input?.[1] ?? ''), axis = (n.attribute ?? []).find((a) => a.name === 'axis');
  return (axis ? attrValue(axis) : 0) === 0 && idx !== undefined && idx.data.length === 1 ? Number(idx.data[0]) : null;
}

export function importOnnx(bytes: Uint8Array): ImportedModel {
  const g = decodeModelProto(bytes).graph;
  if (!g) throw new OnnxUnsupported('the file holds no graph');
  const nodes = g.node ?? [];
  const inits = new Map<string, Value>();
  for (const t of g.initializer ?? []) { const v = tensorValues(t); inits.set(t.name ?? '', { dims: v.dims, data: v.data }); }
  for (const n of nodes) if (n.opType === 'Constant') {
    const a = (n.attribute ?? []).find((x) => x.name === 'value');
    if (a?.t && n.output?.[0]) { const v = tensorValues(a.t); inits.set(n.output[0], { dims: v.dims, data: v.data }); }
  }
  const graphInputs = new Set((g.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n)));
  const producer = new Map<string, { node: NodeProto; index: number }>();
  for (const n of nodes) (n.output ?? []).forEach((o, index) => producer.set(o, { node: n, index }));
  const who = (n: NodeProto): string => `node ${n.name || n.output?.find((o) => o) || '?'} (${n.opType})`;
  const fail = (msg: string): never => { throw new OnnxUnsupported(msg); };
  for (const n of nodes) {
    const op = n.opType ?? '';
    if (!PASS.has(op) && !SHAPES.has(op) && !MODEL.has(op)) fail(`${who(n)}: recur has no such operator; it imports recurrent layers with an embedding before them and a linear layer after`);
  }
  /** Where a value comes from, through shape-only nodes. */
  const trace = (name: string): { node: NodeProto; index: number } | string => {
    let p = producer.get(name);
    while (p && PASS.has(p.node.opType ?? '')) { const next = p.node.input?.[0] ?? ''; name = next; p = producer.get(next); }
    return p ?? name;
  };
  const rec = nodes.filter((n) => isRecurrentOp(n.opType));
  if (rec.length === 0) fail('the graph has no RNN, LSTM or GRU node');
  const layers: RecurrentNode[] = rec.map((n) => readRecurrentNode(n, (name) => inits.get(name) ?? null));
  const first = layers[0];
  layers.forEach((l, i) => {
    const n = rec[i];
    if (l.cell !== first.cell || l.gruReset !== first.gruReset || l.peephole !== first.peephole || l.activation !== first.activation || l.H !== first.H || l.reverse.length !== first.reverse.length) {
      fail(`${who(n)}: its layer differs from the first recurrent layer in cell, peepholes, activations, width or directions; recur stacks layers of one kind`);
    }
    if (l.reverse.length === 1 && l.reverse[0]) fail(`${who(n)}: attribute direction 'reverse' is not supported: recur layers run forward or both ways`);
    if (i > 0) {
      const src = trace(n.input![0]);
      if (typeof src === 'string' || src.node !== rec[i - 1] || src.index !== 0) fail(`${who(n)}: its input is not the output of the layer before it`);
    }
    for (const k of [5, 6]) {
      const s = n.input?.[k] ? trace(n.input[k]) : '';
      const from = typeof s === 'string' ? s : s.node.opType === 'Slice' ? s.node.input![0] : '';
      const v = inits.get(from);
      if (v && [...v.data].some((x) => x !== 0)) fail(`${who(n)}: input ${k === 5 ? 'initial_h' : 'initial_c'} is a constant; recur starts from zero or the caller's state`);
    }
  });

  // The input: an embedding table, one-hot ids, or real values.
  const tensors = new Map<string, Float32Array>();
  const x0 = trace(rec[0].input![0]);
  let inputSize = first.inputSize, embed = 0, tokens = true;
  if (typeof x0 !== 'string' && x0.node.opType === 'Gather' && inits.has(x0.node.input![0])) {
    const table = inits.get(x0.node.input![0])!;
    [inputSize, embed] = table.dims;
    tensors.set('embedding.weight', Float32Array.from(table.data));
  } else if (typeof x0 !== 'string' && x0.node.opType === 'OneHot') {
    embed = 0;
  } else if (typeof x0 === 'string' && graphInputs.has(x0)) {
    tokens = false;
  } else fail(`${typeof x0 === 'string' ? `value ${x0}` : who(x0.node)}: the first recurrent layer's input is neither an embedding, one-hot ids nor a graph input`);

  const D = first.reverse.length, H = first.H;
  layers.forEach((l, i) => l.weights.forEach((w, d) => {
    const n = layerTensorNames(i, d);
    tensors.set(n.wih, w.wih); tensors.set(n.whh, w.whh); tensors.set(n.bih, w.bih); tensors.set(n.bhh, w.bhh);
    if (w.peep) tensors.set(n.peephole, w.peep);
  }));

  // The head: a linear layer over the last layer's output Y at every step (a char-LM), or over its final
  // state Y_h, one output per sequence (a classifier; h_n[-1] of a one-direction layer is a Gather of it).
  const last = rec[rec.length - 1], gatherIndex = (n: NodeProto): number | null => gatherIndexIn(inits, n);
  const fromLast = (name: string): number => {
    let s = trace(name);
    const index = typeof s !== 'string' && s.node.opType === 'Gather' && D === 1 ? gatherIndex(s.node) : null;
    if (typeof s !== 'string' && index !== null) {
      s = trace(s.node.input![0]);
      // h_n of a stack: the layers' Y_h concatenated; h_n[-1] is the top layer's
      if (typeof s !== 'string' && s.node.opType === 'Concat' && index === -1) s = trace(s.node.input![s.node.input!.length - 1]);
      else if (index !== 0 && index !== -1) return -1;
    }
    if (typeof s === 'string' || s.node !== last) return -1;
    // a Gather picks a layer of the final states Y_h, never a step of Y (Y's last step is not each sequence's last)
    if (index !== null) return s.index === 1 ? 1 : -1;
    return s.index <= 1 ? s.index : -1;
  };
  const lin = nodes.find((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && fromLast(n.input![0]) >= 0);
  if (!lin) return fail(`${who(last)}: no MatMul or Gemm reads its output Y or final state Y_h; recur models end in a linear layer`);
  const everyStep = fromLast(lin.input![0]) === 0;
  const W = inits.get(lin.input![1]);
  const attrs = new Map((lin.attribute ?? []).map((a) => [a.name ?? '', attrValue(a)]));
  const transB = lin.opType === 'Gemm' && attrs.get('transB') === 1;
  if (lin.opType === 'Gemm' && (attrs.get('transA') ?? 0) !== 0) fail(`${who(lin)}: attribute transA = 1 is not supported`);
  if (lin.opType === 'Gemm' && [attrs.get('alpha'), attrs.get('beta')].some((v) => v !== undefined && v !== 1)) fail(`${who(lin)}: attributes alpha/beta other than 1 are not supported`);
  if (!W || W.dims.length !== 2 || W.dims[transB ? 1 : 0] !== D * H) fail(`${who(lin)}: its weight is not a constant [${D * H} × classes] matrix`);
  const O = W!.dims[transB ? 0 : 1], V = new Float32Array(O * D * H);
  for (let o = 0; o < O; o++) for (let j = 0; j < D * H; j++) V[o * D * H + j] = W!.data[transB ? o * D * H + j : j * O + o];
  tensors.set('decoder.weight', V);
  let bias: Value | undefined = lin.opType === 'Gemm' && lin.input![2] ? inits.get(lin.input![2]) : undefined;
  if (lin.opType === 'MatMul') {
    const add = nodes.find((n) => n.opType === 'Add' && n.input!.includes(lin.output![0]));
    bias = add ? inits.get(add.input!.find((i) => i !== lin.output![0])!) : undefined;
  }
  if (bias && bias.data.length !== O) fail(`${who(lin)}: its bias has ${bias.data.length} entries for ${O} outputs`);
  tensors.set('decoder.bias', bias ? Float32Array.from(bias.data) : new Float32Array(O));
  const config: Partial<ModelConfig> = {
    cell: first.cell, gruReset: first.gruReset, peephole: first.peephole, activation: first.activation, hidden: H, layers: rec.length, bidirectional: D === 2,
    inputKind: tokens ? 'tokens' : 'dense', inputSize, embed, outputSize: O, head: 'softmax', outputMode: everyStep ? 'every' : 'last',
  };
  return { config, tensors, vocabSize: inputSize };
}

/**
 * Renumber the tokens: `recurId[i]` is recur's id of the graph's token i (recur orders its vocabulary by
 * code point). Moves the embedding rows (or one-hot input columns of W_ih) and the decoder's rows.
 */
export function renumberTokens(m: ImportedModel, recurId: number[]): void {
  const rows = (name: string, width: number): void => {
    const src = m.tensors.get(name)!, out = new Float32Array(src.length);
    recurId.forEach((r, i) => out.set(src.subarray(i * width, (i + 1) * width), r * width));
    m.tensors.set(name, out);
  };
  const c = m.config, H = c.hidden!, D = c.bidirectional ? 2 : 1, G = c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1;
  if (c.embed! > 0) rows('embedding.weight', c.embed!);
  else for (let d = 0; d < D; d++) {
    const name = layerTensorNames(0, d).wih, src = m.tensors.get(name)!, V = recurId.length, out = new Float32Array(src.length);
    for (let r = 0; r < G * H; r++) recurId.forEach((to, i) => { out[r * V + to] = src[r * V + i]; });
    m.tensors.set(name, out);
  }
  rows('decoder.weight', D * H);
  rows('decoder.bias', 1);
}
