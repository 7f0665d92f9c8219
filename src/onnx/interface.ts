/**
 * What every exported graph shares: the model's input ([T, B, width] from token ids or real values), the
 * head over the last axis, the output's name and the file's description of its interface.
 */
import type { ModelConfig } from '../nn/config.js';
import type { Model } from '../nn/model.js';
import type { GraphBuilder } from './graph.js';
import { FLOAT, INT64 } from './proto.js';

export interface ExportOptions {
  /** Add the `lengths` input (sequence_lens of every recurrent node). Default: for models that read a final state or real-valued inputs. */
  lengths?: boolean;
  /**
   * ModelProto.metadata_props: what a caller needs besides the graph to use it (the CLI writes `recur.vocab`,
   * and `recur.task`: a classifier's classes and tokenizer, a forecaster's scaler and feature layout).
   */
  metadata?: Record<string, string>;
}

export interface OnnxExport {
  bytes: Uint8Array;
  inputs: string[];
  outputs: string[];
}

/** The name of the head's output. */
export const outputName = (c: ModelConfig): string => (c.head === 'softmax' ? 'logits' : 'predictions');

/** The graph's input: embedded or one-hot tokens, or the dense values themselves: [T, B, width]. */
export function inputValues(g: GraphBuilder, model: Model): string {
  const c = model.config;
  if (c.inputKind === 'dense') return g.input('inputs', FLOAT, ['T', 'B', c.inputSize]);
  const tokens = g.input('tokens', INT64, ['T', 'B']);
  if (c.embed > 0) return g.op('Gather', [g.weight('embedding.weight', [c.inputSize, c.embed], model.params.get('embedding.weight')), tokens]);
  return g.op('OneHot', [tokens, g.ints([c.inputSize]), g.weight('one_hot_values', [2], [0, 1])], { axis: -1 });
}

/** logits = features Vᵀ + c over the last axis. */
export function head(g: GraphBuilder, model: Model, features: string, out: string): string {
  const c = model.config, W = model.stack.D * c.hidden, O = c.outputSize, V = model.params.get('decoder.weight');
  const Vt = new Float32Array(W * O);
  for (let o = 0; o < O; o++) for (let j = 0; j < W; j++) Vt[j * O + o] = V[o * W + j];
  const prod = g.op('MatMul', [features, g.weight('decoder.weight_t', [W, O], Vt)]);
  return g.op('Add', [prod, g.weight('decoder.bias', [O], model.params.get('decoder.bias'))], {}, [out]);
}

/** What the file says about itself (ModelProto.doc_string). */
export function docString(c: ModelConfig, inputs: string[], outputs: string[]): string {
  return `recur ${c.cell} model, ${c.layers} layer(s) of ${c.hidden}${c.bidirectional ? ', bidirectional' : ''}; ` +
    `inputs ${inputs.join(', ')}; outputs ${outputs.join(', ')} (README: ONNX)`;
}

/** ONNX's names of recur's activations. */
export const ACT: Record<string, string> = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu' };
