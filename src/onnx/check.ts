/**
 * ONNX backend-test conformance: a model (one RNN/LSTM/GRU node) and a data set of input and expected
 * output tensors (`input_*.pb`, `output_*.pb`, in the order of the graph's inputs and outputs) run
 * through recur (node-run.ts); per output, the largest absolute difference from the expected tensor and
 * whether every element is within atol + rtol·|expected| (numpy.isclose's rule, which ONNX's runner uses).
 */
import type { Backend } from '../kernels/backend.js';
import { runRecurrentNode } from './node-run.js';
import { decodeModelProto, decodeTensorProto, tensorValues } from './proto.js';
import { isRecurrentOp, OnnxUnsupported, readRecurrentNode, type Value } from './recurrent-node.js';

export interface Tolerance { atol: number; rtol: number }

export interface OutputCheck { name: string; maxAbsDiff: number; pass: boolean }

const valueOf = (bytes: Uint8Array): Value & { name: string } => {
  const t = decodeTensorProto(bytes), v = tensorValues(t);
  return { name: t.name ?? '', dims: v.dims, data: v.data };
};

/** Run one data set; throws OnnxUnsupported (one line) for a graph recur cannot run. */
export function checkDataSet(be: Backend, modelBytes: Uint8Array, inputs: Uint8Array[], expected: Uint8Array[], tol: Tolerance): OutputCheck[] {
  const model = decodeModelProto(modelBytes), g = model.graph;
  const nodes = g?.node ?? [];
  if (nodes.length !== 1 || !isRecurrentOp(nodes[0].opType)) {
    const other = nodes.find((n) => !isRecurrentOp(n.opType)) ?? nodes[1];
    throw new OnnxUnsupported(other ? `node ${other.name || other.output?.[0]} (${other.opType}): recur runs graphs of one RNN, LSTM or GRU node` : 'the graph has no node');
  }
  const node = nodes[0];
  const values = new Map<string, Value>();
  for (const t of g!.initializer ?? []) { const v = tensorValues(t); values.set(t.name ?? '', { dims: v.dims, data: v.data }); }
  const graphInputs = (g!.input ?? []).map((i) => i.name ?? '').filter((n) => !values.has(n));
  if (inputs.length > graphInputs.length) throw new Error(`the data set has ${inputs.length} inputs for a graph of ${graphInputs.length}`);
  inputs.forEach((bytes, i) => values.set(graphInputs[i], valueOf(bytes)));
  const get = (i: number): Value | null => (node.input?.[i] ? values.get(node.input[i]) ?? null : null);
  const spec = readRecurrentNode(node, (name) => values.get(name) ?? null);
  const X = get(0);
  if (!X) throw new Error(`node ${spec.name}: no value for its input X`);
  const lengths = get(4);
  const out = runRecurrentNode(be, spec, { X, lengths: lengths ? [...lengths.data] : null, initialH: get(5), initialC: get(6) });
  const produced = new Map<string, Value | null>();
  [out.Y, out.Yh, out.Yc].forEach((v, i) => { if (node.output?.[i]) produced.set(node.output[i], v); });
  const graphOutputs = (g!.output ?? []).map((o) => o.name ?? '');
  return expected.map((bytes, j) => {
    const want = valueOf(bytes), name = graphOutputs[j] ?? want.name, got = produced.get(name);
    if (!got) throw new Error(`expected output ${j} (${name}) is not an output of node ${spec.name}`);
    if (got.dims.join() !== want.dims.join()) throw new Error(`output ${name}: recur's shape [${got.dims}] differs from the expected [${want.dims}]`);
    let maxAbsDiff = 0, pass = true;
    for (let i = 0; i < want.data.length; i++) {
      const e = want.data[i], d = Math.abs(got.data[i] - e);
      maxAbsDiff = Math.max(maxAbsDiff, d);
      if (!(d <= tol.atol + tol.rtol * Math.abs(e))) pass = false;
    }
    return { name, maxAbsDiff, pass };
  });
}
