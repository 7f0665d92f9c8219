/**
 * ONNX's protobuf messages through onnx-proto (protobufjs code generated from the official onnx.proto),
 * and the few constructors a graph needs: tensors, nodes with typed attributes, typed graph inputs and
 * outputs. Tensors are written as raw little-endian bytes, as onnx's own Python helpers do.
 * Platform-free (protobufjs/minimal runs in the browser).
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** The opset the exporter writes: LSTM/GRU/RNN as in opset 14 (layout attribute), Loop with sequence-free bodies. */
export const OPSET = 14;
export const IR_VERSION = 7;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT32 = onnx.TensorProto.DataType.INT32;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const BOOL = onnx.TensorProto.DataType.BOOL;

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

export function floatTensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: FLOAT, rawData: bytesOf(Float32Array.from(data)) };
}

export function int64Tensor(name: string, dims: number[], data: readonly number[]): TensorProto {
  return { name, dims, dataType: INT64, rawData: bytesOf(BigInt64Array.from(data.map(BigInt))) };
}

export function boolTensor(name: string, value: boolean): TensorProto {
  return { name, dims: [], dataType: BOOL, rawData: new Uint8Array([value ? 1 : 0]) };
}

export type AttrValue = number | string | number[] | string[] | GraphProto | { float: number } | { floats: number[] };

/** An attribute: integers and strings by their JS type, floats marked ({float}, {floats}), graphs as GraphProto. */
function attribute(name: string, v: AttrValue): AttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    return v.length > 0 && typeof v[0] === 'string'
      ? { name, type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) }
      : { name, type: A.INTS, ints: v as number[] };
  }
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: A.FLOATS, floats: v.floats };
  return { name, type: A.GRAPH, g: v };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): NodeProto {
  return {
    opType, input: inputs, output: outputs, name: name ?? `${opType}_${outputs[0]}`,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A graph input or output: element type and dims (a string = a named dynamic dimension, null = unnamed). */
export function valueInfo(name: string, elemType: number, dims: (number | string | null)[] | null): ValueInfoProto {
  const shape = dims === null ? undefined
    : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })) };
  return { name, type: { tensorType: { elemType, shape } } };
}

export function encodeModelProto(graph: GraphProto, docString: string, metadata: Record<string, string> = {}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION, producerName: 'recur', producerVersion: '', docString,
    opsetImport: [{ domain: '', version: OPSET }], graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

export const decodeModelProto = (bytes: Uint8Array): onnxProto.onnx.ModelProto => onnx.ModelProto.decode(bytes);
export const decodeTensorProto = (bytes: Uint8Array): onnxProto.onnx.TensorProto => onnx.TensorProto.decode(bytes);

/** A number from a protobuf int64 (a Long or a number). */
export const toNum = (v: number | { toNumber(): number } | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

/** A tensor's values as float32 or (integer types) as numbers; raw bytes or the typed repeated fields. */
export function tensorValues(t: TensorProto): { dims: number[]; type: number; data: Float32Array | number[] } {
  const dims = (t.dims ?? []).map(toNum), n = dims.reduce((a, b) => a * b, 1), raw = t.rawData;
  const T = onnx.TensorProto.DataType, type = t.dataType ?? 0;
  const view = raw && raw.length > 0 ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  if (type === T.FLOAT) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view ? view.getFloat32(4 * i, true) : t.floatData![i];
    return { dims, type, data: out };
  }
  if (type === T.DOUBLE) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view ? view.getFloat64(8 * i, true) : t.doubleData![i];
    return { dims, type, data: out };
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (type === T.INT64) out.push(view ? Number(view.getBigInt64(8 * i, true)) : toNum(t.int64Data![i]));
    else if (type === T.INT32) out.push(view ? view.getInt32(4 * i, true) : t.int32Data![i]);
    else throw new Error(`tensor ${t.name ?? ''} has element type ${T[type] ?? type}, which recur does not read`);
  }
  return { dims, type, data: out };
}

/** An attribute's value by name: ints/floats/strings/graphs as their JS values. */
export function attrValue(a: AttributeProto): number | string | number[] | string[] | GraphProto | null {
  const A = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case A.INT: return toNum(a.i);
    case A.FLOAT: return a.f ?? 0;
    case A.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case A.INTS: return (a.ints ?? []).map(toNum);
    case A.FLOATS: return [...(a.floats ?? [])];
    case A.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case A.GRAPH: return a.g ?? null;
    default: return null;
  }
}
