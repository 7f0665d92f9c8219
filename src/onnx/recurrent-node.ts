/**
 * An ONNX RNN/LSTM/GRU node read as a recur layer: its cell, width, directions and weights in recur's
 * (PyTorch's) gate order, or one line naming the node and the attribute or input recur has no
 * counterpart for. Shared by the importer (import.ts) and the conformance runner (node-run.ts).
 */
import type { Activation } from '../kernels/backend.js';
import type { CellType, GruReset } from '../nn/config.js';
import { gateCount, swapPeepholes, toRecurGates, type OnnxCell } from './gates.js';
import { attrValue, type NodeProto } from './proto.js';

export interface Value { dims: number[]; data: Float32Array | number[] }

export interface RecurrentNode {
  name: string;
  op: OnnxCell;
  cell: CellType;
  activation: Activation;
  /** GRU: linear_before_reset = 1 → 'after' (recur's default), 0 → 'before'. */
  gruReset: GruReset;
  /** LSTM: whether P holds a non-zero peephole (an all-zero P is the plain LSTM). */
  peephole: boolean;
  H: number;
  /** The directions in ONNX order: forward, reverse, or both (forward first). */
  reverse: boolean[];
  /** 1: X, Y and the states are batch-major. */
  layout: number;
  /** Per direction, in recur's gate order: W_ih [G·H × I], W_hh [G·H × H], b_ih, b_hh [G·H]; peep [3H] (p_i, p_f, p_o) when peephole. */
  weights: { wih: Float32Array; whh: Float32Array; bih: Float32Array; bhh: Float32Array; peep?: Float32Array }[];
  inputSize: number;
}

export class OnnxUnsupported extends Error {}

const DEFAULT_ACTS: Record<OnnxCell, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
const RNN_ACTS: Record<string, Activation> = { tanh: 'tanh', sigmoid: 'sigmoid', relu: 'relu' };

export const isRecurrentOp = (op: string | null | undefined): op is OnnxCell => op === 'LSTM' || op === 'GRU' || op === 'RNN';

/** Read node `n` whose inputs (W, R, B, P: initializers or test inputs) `value` gives; refuses what recur cannot run. */
export function readRecurrentNode(n: NodeProto, value: (name: string) => Value | null): RecurrentNode {
  const op = n.opType as OnnxCell, name = n.name || `${op} node`;
  const out = n.output?.find((o) => o !== '');
  const who = n.name ? `node ${n.name} (${op})` : `${op} node${out ? ` (output ${out})` : ''}`;
  const fail = (what: string, why: string): never => { throw new OnnxUnsupported(`${who}: ${what} ${why}`); };
  const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', attrValue(a)]));
  const hAttr = attrs.get('hidden_size');
  if (typeof hAttr !== 'number' || hAttr <= 0) fail('attribute hidden_size', 'is missing; recur needs the width of the state');
  const H = hAttr as number;
  const direction = (attrs.get('direction') ?? 'forward') as string;
  const D = direction === 'bidirectional' ? 2 : 1;
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) fail(`attribute direction '${direction}'`, 'is not an ONNX direction');
  for (const key of attrs.keys()) {
    if (key === 'clip') fail('attribute clip', 'is not supported: recur does not clip cell inputs');
    if (key === 'activation_alpha' || key === 'activation_beta') fail(`attribute ${key}`, 'is not supported: recur activations take no parameters');
    if (key === 'input_forget' && attrs.get(key) !== 0) fail('attribute input_forget = 1', 'is not supported: recur LSTMs have separate input and forget gates');
    if (!['hidden_size', 'direction', 'layout', 'activations', 'linear_before_reset', 'input_forget'].includes(key)) fail(`attribute ${key}`, 'is not one recur knows');
  }
  let activation: Activation = 'tanh';
  const acts = attrs.get('activations') as string[] | undefined;
  if (acts) {
    const per = DEFAULT_ACTS[op].length, first = acts.slice(0, per);
    const same = acts.length === per * D && acts.every((a, i) => a === first[i % per]);
    if (op === 'RNN' && same && RNN_ACTS[first[0].toLowerCase()]) activation = RNN_ACTS[first[0].toLowerCase()];
    else if (!same || op !== 'RNN' && first.some((a, i) => a !== DEFAULT_ACTS[op][i])) {
      fail(`attribute activations [${acts.join(', ')}]`, `is not supported: recur's ${op} uses [${DEFAULT_ACTS[op].join(', ')}]${op === 'RNN' ? ' (or Relu, Sigmoid)' : ''} in every direction`);
    }
  }
  const cell: CellType = op === 'LSTM' ? 'lstm' : op === 'GRU' ? 'gru' : 'elman';
  const gruReset: GruReset = op === 'GRU' && (attrs.get('linear_before_reset') ?? 0) === 0 ? 'before' : 'after';
  const layout = (attrs.get('layout') ?? 0) as number;
  const input = (i: number): Value | null => (n.input && n.input[i] ? value(n.input[i]) : null);
  const W = input(1), R = input(2), Bv = input(3), P = input(7);
  if (!W || !R) return fail('inputs W and R', 'must be constant weights (initializers)');
  const peephole = P !== null && [...P.data].some((v) => v !== 0);
  const G = gateCount(op), I = W.dims[2];
  if (P && P.dims.join() !== [D, 3 * H].join()) fail('input P (peepholes)', `has shape [${P.dims}], not [${D}, ${3 * H}]`);
  if (W.dims.join() !== [D, G * H, I].join() || R.dims.join() !== [D, G * H, H].join() || (Bv && Bv.dims.join() !== [D, 2 * G * H].join())) {
    fail('weights', `have shapes W [${W.dims}], R [${R.dims}]${Bv ? `, B [${Bv.dims}]` : ''}, not those of ${D} direction(s) of ${G} gates × ${H}`);
  }
  const h = H, weights = Array.from({ length: D }, (_, d) => {
    const part = (v: Value | null, off: number, len: number): Float32Array => (v ? Float32Array.from(v.data.slice(off, off + len)) : new Float32Array(len));
    return {
      wih: toRecurGates(op, part(W, d * G * h * I, G * h * I), h, I),
      whh: toRecurGates(op, part(R, d * G * h * h, G * h * h), h, h),
      bih: toRecurGates(op, part(Bv, d * 2 * G * h, G * h), h),
      bhh: toRecurGates(op, part(Bv, d * 2 * G * h + G * h, G * h), h),
      ...(peephole ? { peep: swapPeepholes(part(P, d * 3 * h, 3 * h), h) } : {}),
    };
  });
  return { name, op, cell, activation, gruReset, peephole, H: h, reverse: D === 2 ? [false, true] : [direction === 'reverse'], layout, weights, inputSize: I };
}
