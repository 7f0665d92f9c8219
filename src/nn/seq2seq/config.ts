/**
 * A sequence-to-sequence model's architecture: exactly the constructor arguments of the reference
 * (tools/seq2seq_reference.py, `Seq2Seq`), same names, same defaults, same refusals, so that the object is
 * the model file's `config` and Python rebuilds the model from it. Tensor names and order are the
 * reference's `state_dict`.
 */
import { ConfigError, type StackConfig } from '../config.js';
import type { TensorSpec } from '../params.js';
import { stackSpecs } from '../stack.js';

/** Reserved ids in both vocabularies. */
export const PAD = 0, BOS = 1, EOS = 2, UNK = 3;

export type Seq2SeqCell = 'lstm' | 'gru' | 'elman';
export type AttentionKind = 'none' | 'dot' | 'general' | 'additive';

/** Exactly the reference constructor's arguments and names (this object is the file's `config` metadata). */
export interface Seq2SeqConfig {
  src_vocab: number;
  tgt_vocab: number;
  embed: number;
  hidden: number;
  cell: Seq2SeqCell;
  layers: number;
  bidirectional: boolean;
  attention: AttentionKind;
  /** Width of the additive score's hidden layer (null: hidden). */
  attention_size: number | null;
  input_feeding: boolean;
}

export const SEQ2SEQ_DEFAULTS: Omit<Seq2SeqConfig, 'src_vocab' | 'tgt_vocab' | 'embed' | 'hidden'> = {
  cell: 'lstm', layers: 1, bidirectional: false, attention: 'additive', attention_size: null, input_feeding: false,
};

const CELLS: readonly Seq2SeqCell[] = ['lstm', 'gru', 'elman'];
const KINDS: readonly AttentionKind[] = ['none', 'dot', 'general', 'additive'];
const KEYS: readonly string[] = ['src_vocab', 'tgt_vocab', 'embed', 'hidden', 'cell', 'layers', 'bidirectional', 'attention', 'attention_size', 'input_feeding'];
/** Bounds on sizes (a model file's config is untrusted input). */
const MAX_VOCAB = 1 << 20, MAX_WIDTH = 65536, MAX_LAYERS = 64;

const posInt = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max;

/** Fill the reference's defaults and validate; throws ConfigError with one sentence naming the problem. */
export function makeSeq2SeqConfig(partial: Partial<Seq2SeqConfig>): Seq2SeqConfig {
  const d = { ...SEQ2SEQ_DEFAULTS, ...partial } as Seq2SeqConfig;
  // the reference's argument order (the file's config reads like the constructor call)
  const c: Seq2SeqConfig = {
    src_vocab: d.src_vocab, tgt_vocab: d.tgt_vocab, embed: d.embed, hidden: d.hidden, cell: d.cell, layers: d.layers,
    bidirectional: d.bidirectional, attention: d.attention, attention_size: d.attention_size, input_feeding: d.input_feeding,
  };
  const fail = (msg: string): never => { throw new ConfigError(msg); };
  for (const k of Object.keys(partial)) if (!KEYS.includes(k)) fail(`unknown seq2seq setting '${k}'`);
  if (!posInt(c.src_vocab, MAX_VOCAB) || c.src_vocab < 4) fail(`src_vocab must be an integer in 4…${MAX_VOCAB} (ids 0–3 are reserved), got ${c.src_vocab}`);
  if (!posInt(c.tgt_vocab, MAX_VOCAB) || c.tgt_vocab < 4) fail(`tgt_vocab must be an integer in 4…${MAX_VOCAB} (ids 0–3 are reserved), got ${c.tgt_vocab}`);
  if (!posInt(c.embed, MAX_WIDTH)) fail(`embed must be an integer in 1…${MAX_WIDTH}, got ${c.embed}`);
  if (!posInt(c.hidden, MAX_WIDTH)) fail(`hidden must be an integer in 1…${MAX_WIDTH}, got ${c.hidden}`);
  if (!posInt(c.layers, MAX_LAYERS)) fail(`layers must be an integer in 1…${MAX_LAYERS}, got ${c.layers}`);
  if (!CELLS.includes(c.cell)) fail(`unknown cell '${c.cell}' (expected one of ${CELLS.join(', ')})`);
  if (!KINDS.includes(c.attention)) fail(`unknown attention '${c.attention}' (expected one of ${KINDS.join(', ')})`);
  if (typeof c.bidirectional !== 'boolean') fail('bidirectional must be true or false');
  if (typeof c.input_feeding !== 'boolean') fail('input_feeding must be true or false');
  if (c.attention_size !== null && !posInt(c.attention_size, MAX_WIDTH)) fail(`attention_size must be null or an integer in 1…${MAX_WIDTH}, got ${c.attention_size}`);
  if (c.input_feeding && c.attention === 'none') fail('input feeding needs attention');
  if (c.attention === 'dot' && c.bidirectional) fail('dot scores need encoder width == hidden: a bidirectional encoder is twice as wide (use general or additive)');
  return c;
}

/** Width of the encoder's output e_s (both directions concatenated). */
export const encoderWidth = (c: Seq2SeqConfig): number => (c.bidirectional ? 2 : 1) * c.hidden;
/** Width of the additive score's hidden layer. */
export const attentionSize = (c: Seq2SeqConfig): number => c.attention_size ?? c.hidden;
/** Width of the decoder's input: the target embedding, and h~_{t−1} with input feeding. */
export const decoderInput = (c: Seq2SeqConfig): number => c.embed + (c.input_feeding ? c.hidden : 0);

function stack(c: Seq2SeqConfig, prefix: string, input: number, bidirectional: boolean): StackConfig {
  return {
    cell: c.cell, activation: 'tanh', hidden: c.hidden, layers: c.layers, bidirectional, lags: [], h0: 'zero', dropout: 0,
    input, feedback: 0, feedbackGrad: false, prefix,
  };
}
export const encoderStack = (c: Seq2SeqConfig): StackConfig => stack(c, 'encoder', c.embed, c.bidirectional);
export const decoderStack = (c: Seq2SeqConfig): StackConfig => stack(c, 'decoder', decoderInput(c), false);

/** The tensors, named, shaped and ordered as the reference's state_dict (module registration order). */
export function seq2seqSpecs(c: Seq2SeqConfig): TensorSpec[] {
  const H = c.hidden, E = encoderWidth(c), A = attentionSize(c);
  const specs: TensorSpec[] = [
    { name: 'src_embedding.weight', shape: [c.src_vocab, c.embed] },
    { name: 'tgt_embedding.weight', shape: [c.tgt_vocab, c.embed] },
    ...stackSpecs(encoderStack(c)), ...stackSpecs(decoderStack(c)),
  ];
  if (c.bidirectional) {
    specs.push({ name: 'bridge_h.weight', shape: [H, 2 * H] }, { name: 'bridge_h.bias', shape: [H] });
    if (c.cell === 'lstm') specs.push({ name: 'bridge_c.weight', shape: [H, 2 * H] }, { name: 'bridge_c.bias', shape: [H] });
  }
  if (c.attention === 'general') specs.push({ name: 'attn_W.weight', shape: [H, E] });
  if (c.attention === 'additive') {
    specs.push({ name: 'attn_Wq.weight', shape: [A, H] }, { name: 'attn_Wk.weight', shape: [A, E] }, { name: 'attn_Wk.bias', shape: [A] },
      { name: 'attn_v.weight', shape: [1, A] });
  }
  if (c.attention !== 'none') specs.push({ name: 'attn_combine.weight', shape: [H, E + H] });
  specs.push({ name: 'out.weight', shape: [c.tgt_vocab, H] }, { name: 'out.bias', shape: [c.tgt_vocab] });
  return specs;
}
