/**
 * A graph under construction: nodes in order, initializers, inputs and outputs, and fresh value names.
 * The exporters (export.ts, export-loop.ts) build one for the main graph and one per Loop body.
 */
import {
  floatTensor, int64Tensor, node, valueInfo, type AttrValue, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto.js';

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private counter = 0;
  private readonly consts = new Map<string, string>();

  /** A Loop body names a `parent`: its weights and constants live in the main graph (outer-scope values), and names never repeat. */
  constructor(readonly name: string, private readonly parent: GraphBuilder | null = null) {}

  /** A fresh value name starting with `stem`. */
  fresh(stem: string): string { return this.parent ? this.parent.fresh(stem) : `${stem}__${this.counter++}`; }

  /** Add a node; returns its first output's name (a fresh one unless given). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs?: string[]): string {
    const outs = outputs ?? [this.fresh(opType.toLowerCase())];
    this.nodes.push(node(opType, inputs, outs, attrs, `${opType}_${this.nodes.length}`));
    return outs[0];
  }

  weight(name: string, dims: number[], data: ArrayLike<number>): string {
    if (this.parent) return this.parent.weight(name, dims, data);
    if (this.initializers.some((t) => t.name === name)) return name;
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** An int64 constant (shapes, axes, slice bounds; a scalar for indices that drop an axis), shared by value. */
  ints(values: number[], scalar = false): string {
    if (this.parent) return this.parent.ints(values, scalar);
    const key = `${scalar ? 's' : ''}${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `const_i64_${this.consts.size}`;
      this.consts.set(key, name);
      this.initializers.push(int64Tensor(name, scalar ? [] : [values.length], values));
    }
    return name;
  }

  input(name: string, elemType: number, dims: (number | string | null)[] | null): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: (number | string | null)[] | null): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  graph(): GraphProto {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }
}
