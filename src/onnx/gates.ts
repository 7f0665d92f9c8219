/**
 * How recur (PyTorch) and ONNX order the gate blocks of a recurrent layer's weight rows, and the
 * reordering between them. Both stack G blocks of H rows: PyTorch LSTM i,f,g,o and GRU r,z,n; ONNX LSTM
 * i,o,f,c and GRU z,r,h. ONNX's bias is one row per direction, [Wb, Rb] = [b_ih, b_hh].
 */
import type { CellType } from '../nn/config.js';

/** ONNX operator of a cell with an ONNX counterpart. */
export type OnnxCell = 'LSTM' | 'GRU' | 'RNN';

/**
 * LSTM peepholes: recur's [3H] weight_peephole holds p_i, p_f, p_o; ONNX's P holds i, o, f. The order
 * is its own inverse.
 */
const PEEPHOLE_ORDER = [0, 2, 1];

/** ONNX block j holds recur block ONNX_FROM_RECUR[op][j]. */
const ONNX_FROM_RECUR: Record<OnnxCell, number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] };
/** recur block k holds ONNX block RECUR_FROM_ONNX[op][k]. */
const RECUR_FROM_ONNX: Record<OnnxCell, number[]> = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2], RNN: [0] };

export const gateCount = (op: OnnxCell): number => ONNX_FROM_RECUR[op].length;

export const onnxOpOf = (cell: CellType): OnnxCell | null =>
  cell === 'lstm' ? 'LSTM' : cell === 'gru' ? 'GRU' : cell === 'elman' ? 'RNN' : null;

/** Blocks of `rows` consecutive rows (each `cols` wide) taken in `order` from src into a new array. */
function permuteBlocks(src: ArrayLike<number>, order: number[], rows: number, cols: number): Float32Array {
  const out = new Float32Array(order.length * rows * cols), n = rows * cols;
  order.forEach((from, j) => { for (let i = 0; i < n; i++) out[j * n + i] = src[from * n + i]; });
  return out;
}

/** recur's [G·H × cols] weights or [G·H] bias in ONNX's gate order. */
export const toOnnxGates = (op: OnnxCell, src: ArrayLike<number>, H: number, cols = 1): Float32Array =>
  permuteBlocks(src, ONNX_FROM_RECUR[op], H, cols);

/** ONNX's [G·H × cols] weights or [G·H] bias in recur's gate order. */
export const toRecurGates = (op: OnnxCell, src: ArrayLike<number>, H: number, cols = 1): Float32Array =>
  permuteBlocks(src, RECUR_FROM_ONNX[op], H, cols);

/** Peephole weights [3H], recur's order ↔ ONNX's (the same swap both ways). */
export const swapPeepholes = (src: ArrayLike<number>, H: number): Float32Array => permuteBlocks(src, PEEPHOLE_ORDER, H, 1);
