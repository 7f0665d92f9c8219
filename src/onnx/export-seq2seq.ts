/**
 * A seq2seq model (nn/seq2seq, the reference ../shared/reference/seq2seq.py) as two ONNX graphs that a
 * caller drives one decoder step at a time, greedy or beam search alike (README "ONNX"):
 *
 * encoder   inputs  src int64 [S, B], src_lengths int32 [B]
 *           outputs encoder_states float [S, B, E] (E = D·H; zeros at padded steps, which attention masks out),
 *                   h0 [layers, B, H] (+ c0 for LSTM): the decoder's initial state, through the bridge
 * decoder   inputs  prev_token int64 [B], h [layers, B, H] (+ c), and with attention encoder_states
 *                   [S, B, E], src_mask bool [S, B] (true at real source steps), and with input feeding
 *                   feed [B, H] (h~ of the previous step; zeros at the first)
 *           outputs logits [B, V], hn (+ cn), and with attention attention [B, S] and h_tilde [B, H]
 *
 * The equations are the reference's: the bridge tanh(bridge_h [h_fwd; h_bwd]) and bridge_c [c_fwd; c_bwd]
 * when bidirectional, the scores dot, general and additive, a softmax over the unmasked source steps,
 * h~ = tanh(attn_combine [context; h]) and logits = out(h~) (out(h) without attention).
 */
import type { Seq2Seq } from '../nn/seq2seq/model.js';
import { attentionSize, encoderWidth } from '../nn/seq2seq/config.js';
import type { Stack } from '../nn/stack.js';
import { onnxOpOf } from './gates.js';
import { GraphBuilder } from './graph.js';
import { recurrentNodes, type OnnxStack } from './export.js';
import type { OnnxExport } from './interface.js';
import { BOOL, encodeModelProto, FLOAT, INT32, INT64 } from './proto.js';

export interface Seq2SeqOnnx { encoder: OnnxExport; decoder: OnnxExport }

/** W [rows × cols] (a Linear's weight) as the [cols × rows] right operand of MatMul. */
function transposed(g: GraphBuilder, m: Seq2Seq, name: string): string {
  const v = m.params.view(name), [rows, cols] = v.shape, W = m.params.get(name), t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = W[r * cols + c];
  return g.weight(`${name}_t`, [cols, rows], t);
}

/** x · Wᵀ (+ bias) over the last axis: PyTorch's Linear. */
function linear(g: GraphBuilder, m: Seq2Seq, x: string, name: string, bias = false): string {
  const y = g.op('MatMul', [x, transposed(g, m, `${name}.weight`)]);
  return bias ? g.op('Add', [y, g.weight(`${name}.bias`, [m.params.view(`${name}.bias`).size], m.params.get(`${name}.bias`))]) : y;
}

const stackOf = (m: Seq2Seq, s: Stack): OnnxStack => ({
  params: m.params, names: s.names, input: s.layers[0][0].inSize,
  config: { cell: m.config.cell, activation: 'tanh', hidden: m.config.hidden, layers: m.config.layers, gruReset: 'after', peephole: false },
});

const embedding = (g: GraphBuilder, m: Seq2Seq, name: string, ids: string): string =>
  g.op('Gather', [g.weight(name, m.params.view(name).shape, m.params.get(name)), ids]);

function encoderGraph(m: Seq2Seq): OnnxExport {
  const c = m.config, H = c.hidden, L = c.layers, lstm = c.cell === 'lstm', op = onnxOpOf(c.cell)!;
  const g = new GraphBuilder('recur_seq2seq_encoder');
  const x = embedding(g, m, 'src_embedding.weight', g.input('src', INT64, ['S', 'B']));
  const top = recurrentNodes(g, stackOf(m, m.encoder), op, x, g.input('src_lengths', INT32, ['B']), '', '');
  g.op('Identity', [top.x], {}, ['encoder_states']);
  g.output('encoder_states', FLOAT, ['S', 'B', encoderWidth(c)]);
  const bridged = (finals: string[], name: string, out: string, squash: boolean): void => {
    // each layer's [2, B, H] (forward, backward) → [B, 2H] → the bridge; stacked back to [layers, B, H]
    const joined = finals.map((f) => g.op('Unsqueeze', [linear(g, m, g.op('Reshape', [g.op('Transpose', [f], { perm: [1, 0, 2] }), g.ints([0, -1])]), name, true), g.ints([0])]));
    const all = g.op('Concat', joined, { axis: 0 });
    g.op(squash ? 'Tanh' : 'Identity', [all], {}, [out]);
  };
  if (c.bidirectional) {
    bridged(top.hn, 'bridge_h', 'h0', true);
    if (lstm) bridged(top.cn, 'bridge_c', 'c0', false);
  } else {
    g.op('Concat', top.hn, { axis: 0 }, ['h0']);
    if (lstm) g.op('Concat', top.cn, { axis: 0 }, ['c0']);
  }
  g.output('h0', FLOAT, [L, 'B', H]);
  if (lstm) g.output('c0', FLOAT, [L, 'B', H]);
  return finish(g, m, 'encoder');
}

/** Attention scores [B, S] of the top decoder state h [B, H] over enc [S, B, E]. */
function scores(g: GraphBuilder, m: Seq2Seq, h: string, enc: string): string {
  const c = m.config;
  if (c.attention === 'additive') {
    // v · tanh(W_q h + W_k e_s + b_k): [S, B, A] → [S, B, 1] → [B, S]
    const e = g.op('Tanh', [g.op('Add', [linear(g, m, enc, 'attn_Wk', true), linear(g, m, h, 'attn_Wq')])]);
    return g.op('Transpose', [g.op('Squeeze', [linear(g, m, e, 'attn_v'), g.ints([2])])], { perm: [1, 0] });
  }
  const keys = c.attention === 'general' ? linear(g, m, enc, 'attn_W') : enc;   // [S, B, H]
  const bsh = g.op('Transpose', [keys], { perm: [1, 0, 2] });                       // [B, S, H]
  return g.op('Squeeze', [g.op('MatMul', [bsh, g.op('Unsqueeze', [h, g.ints([2])])]), g.ints([2])]);
}

function decoderGraph(m: Seq2Seq): OnnxExport {
  const c = m.config, H = c.hidden, L = c.layers, E = encoderWidth(c), lstm = c.cell === 'lstm', op = onnxOpOf(c.cell)!;
  const g = new GraphBuilder('recur_seq2seq_decoder');
  let x = embedding(g, m, 'tgt_embedding.weight', g.input('prev_token', INT64, ['B']));
  const h0 = g.input('h', FLOAT, [L, 'B', H]), c0 = lstm ? g.input('c', FLOAT, [L, 'B', H]) : '';
  const attention = c.attention !== 'none';
  const enc = attention ? g.input('encoder_states', FLOAT, ['S', 'B', E]) : '';
  const mask = attention ? g.input('src_mask', BOOL, ['S', 'B']) : '';
  if (c.input_feeding) x = g.op('Concat', [x, g.input('feed', FLOAT, ['B', H])], { axis: 1 });
  const top = recurrentNodes(g, stackOf(m, m.decoder), op, g.op('Unsqueeze', [x, g.ints([0])]), '', h0, c0);
  const h = g.op('Squeeze', [top.x, g.ints([0])]);                                  // [B, H]
  let feature = h;
  if (attention) {
    const masked = g.op('Where', [g.op('Transpose', [mask], { perm: [1, 0] }), scores(g, m, h, enc), g.weight('minus_infinity', [], [-Infinity])]);
    const a = g.op('Softmax', [masked], { axis: -1 }, ['attention']);                // [B, S]
    const context = g.op('Squeeze', [g.op('MatMul', [g.op('Unsqueeze', [a, g.ints([1])]), g.op('Transpose', [enc], { perm: [1, 0, 2] })]), g.ints([1])]);
    feature = g.op('Tanh', [linear(g, m, g.op('Concat', [context, h], { axis: 1 }), 'attn_combine')], {}, ['h_tilde']);
  }
  g.op('Add', [g.op('MatMul', [feature, transposed(g, m, 'out.weight')]), g.weight('out.bias', [c.tgt_vocab], m.params.get('out.bias'))], {}, ['logits']);
  g.output('logits', FLOAT, ['B', c.tgt_vocab]);
  g.op('Concat', top.hn, { axis: 0 }, ['hn']);
  g.output('hn', FLOAT, [L, 'B', H]);
  if (lstm) { g.op('Concat', top.cn, { axis: 0 }, ['cn']); g.output('cn', FLOAT, [L, 'B', H]); }
  if (attention) { g.output('attention', FLOAT, ['B', 'S']); g.output('h_tilde', FLOAT, ['B', H]); }
  return finish(g, m, 'decoder');
}

function finish(g: GraphBuilder, m: Seq2Seq, part: string): OnnxExport {
  const c = m.config, inputs = g.inputs.map((i) => i.name!), outputs = g.outputs.map((o) => o.name!);
  const doc = `recur seq2seq ${part} (${c.cell}, ${c.layers} layer(s) of ${c.hidden}${c.bidirectional ? ', bidirectional encoder' : ''}, ` +
    `attention ${c.attention}${c.attention === 'additive' ? ` ${attentionSize(c)}` : ''}${c.input_feeding ? ', input feeding' : ''}); ` +
    `inputs ${inputs.join(', ')}; outputs ${outputs.join(', ')} (README: ONNX)`;
  return { bytes: encodeModelProto(g.graph(), doc), inputs, outputs };
}

/** The encoder graph and the one-step decoder graph of a seq2seq model. */
export function exportSeq2SeqOnnx(m: Seq2Seq): Seq2SeqOnnx {
  return { encoder: encoderGraph(m), decoder: decoderGraph(m) };
}
