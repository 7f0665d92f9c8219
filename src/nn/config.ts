/**
 * A model's architecture as plain JSON (stored in the model file's metadata), with the checks
 * that turn an impossible configuration into one clear sentence before anything is allocated.
 */
import type { Activation } from '../kernels/backend.js';

export type CellType = 'elman' | 'jordan' | 'elman+jordan' | 'lstm' | 'gru';
export type H0Mode = 'zero' | 'random' | 'learned';
export type HeadType = 'softmax' | 'mse';
export type OutputMode = 'every' | 'last';
export type InitScheme = 'pytorch' | 'xavier' | 'orthogonal' | 'identity';
/**
 * Where a GRU applies its reset gate: 'after' the recurrent product, r ⊙ (W_hn h + b_hn) (PyTorch, cuDNN,
 * ONNX linear_before_reset = 1), or 'before' it, W_hn (r ⊙ h) (Cho et al. 2014, ONNX's default, Keras
 * reset_after = False).
 */
export type GruReset = 'after' | 'before';
/** What a Jordan layer feeds back: its own previous output (the Jordan network) or the previous target (teacher forcing). */
export type JordanFeed = 'output' | 'target';

/**
 * The regularisers of training (none is active in evaluation, none changes the tensors, so a model
 * started from a file may change them). Dropouts are locked: one mask per stream per chunk
 * (locked-dropout.ts), kept units scaled by 1/(1−p).
 */
export interface Regularisation {
  /** Between stacked layers. */
  dropout: number;
  /** On layer 0's input: the embedding's output (or dense inputs). */
  dropoutInput: number;
  /** On the top layer's output, before the decoder. */
  dropoutOutput: number;
  /** Whole symbols: rows of the embedding dropped for the chunk (inputs.ts). */
  dropoutEmbed: number;
  /** DropConnect on every W_hh, one mask per chunk (weight-drop.ts). */
  weightDrop: number;
  /** Activation regularisation α·mean(y²) of the top output as the decoder reads it (act-reg.ts). */
  ar: number;
  /** Temporal activation regularisation β·mean((h_t − h_{t−1})²) of the top output before dropout. */
  tar: number;
}

export const REGULARISATION_KEYS = ['dropout', 'dropoutInput', 'dropoutOutput', 'dropoutEmbed', 'weightDrop', 'ar', 'tar'] as const;

export interface ModelConfig extends Regularisation {
  cell: CellType;
  /** Nonlinearity of Elman/Jordan cells (LSTM/GRU use their fixed gates). */
  activation: Activation;
  hidden: number;
  layers: number;
  bidirectional: boolean;
  /** Input: vocabulary size for token inputs, or feature count for real-valued inputs. */
  inputSize: number;
  /** 'tokens': integer ids (one-hot or embedded); 'dense': real-valued vectors. */
  inputKind: 'tokens' | 'dense';
  /** Embedding width for token inputs; 0 = one-hot (no embedding tensor). */
  embed: number;
  outputSize: number;
  head: HeadType;
  outputMode: OutputMode;
  /** Extra recurrences W_k h_{t-k} for k in lags (Elman-type cells), each k ≥ 2. */
  lags: number[];
  h0: H0Mode;
  /** Standard deviation of a random initial state. */
  h0Scale: number;
  jordanFeed: JordanFeed;
  init: InitScheme;
  /** Rescale every recurrent [H×H] block to this spectral radius after initialisation (0 = leave). */
  spectralRadius: number;
  /** Value of the LSTM forget-gate bias at initialisation (PyTorch's default init when null). */
  forgetBias: number | null;
  /** GRU only: where the reset gate applies (GruReset). */
  gruReset: GruReset;
  /** LSTM only: peephole connections from the cell state into i, f and o (Gers & Schmidhuber 2000; ONNX's P). */
  peephole: boolean;
  /** The decoder's weight is the embedding matrix (tying.ts): one tensor, `decoder.weight` an alias of `embedding.weight`. */
  tieWeights: boolean;
}

/**
 * What a stack of recurrent layers needs to know (stack.ts): the model's recurrent part, and what
 * comes in from around it. A model with several stacks (an encoder-decoder) makes one per stack.
 */
export interface StackConfig extends Pick<ModelConfig, 'cell' | 'activation' | 'hidden' | 'layers' | 'bidirectional' | 'lags' | 'h0' | 'dropout'> {
  /** Locked dropout on the top layer's output before the head (default 0). */
  dropoutOutput?: number;
  /** DropConnect on every W_hh (default 0). */
  weightDrop?: number;
  /** Width of layer 0's input. */
  input: number;
  /** Width of the output fed back into layer 0 (Jordan cells: the head's output); 0 = none. */
  feedback: number;
  /** Whether the feedback carries a gradient (not under teacher forcing). */
  feedbackGrad: boolean;
  /** The module name in tensor names (`rnn` → `rnn.weight_ih_l0`). */
  prefix: string;
  /** GRU only: where the reset gate applies (default 'after'). */
  gruReset?: GruReset;
  /** LSTM only: peephole connections (default none). */
  peephole?: boolean;
}

export const DEFAULT_CONFIG: ModelConfig = {
  cell: 'elman', activation: 'tanh', hidden: 64, layers: 1, bidirectional: false,
  inputSize: 1, inputKind: 'tokens', embed: 0, outputSize: 1, head: 'softmax', outputMode: 'every',
  lags: [], h0: 'zero', h0Scale: 0.1, jordanFeed: 'output', dropout: 0, init: 'pytorch',
  spectralRadius: 0, forgetBias: null, gruReset: 'after', peephole: false,
  dropoutInput: 0, dropoutOutput: 0, dropoutEmbed: 0, weightDrop: 0, ar: 0, tar: 0, tieWeights: false,
};

export class ConfigError extends Error {}

const CELLS: CellType[] = ['elman', 'jordan', 'elman+jordan', 'lstm', 'gru'];
const ACTS: Activation[] = ['tanh', 'sigmoid', 'relu'];

export const isSimpleCell = (c: CellType): boolean => c === 'elman' || c === 'jordan' || c === 'elman+jordan';
export const hasJordan = (c: CellType): boolean => c === 'jordan' || c === 'elman+jordan';
export const hasElman = (c: CellType): boolean => c === 'elman' || c === 'elman+jordan';
/** Gate blocks per cell: the rows of weight_ih are gates × hidden, as in PyTorch. */
export const gatesOf = (c: CellType): number => (c === 'lstm' ? 4 : c === 'gru' ? 3 : 1);

const posInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Fill defaults and validate; throws ConfigError with one sentence naming the problem. */
export function makeConfig(partial: Partial<ModelConfig>): ModelConfig {
  const c: ModelConfig = { ...DEFAULT_CONFIG, ...partial, lags: [...(partial.lags ?? [])] };
  const fail = (msg: string): never => { throw new ConfigError(msg); };
  if (!CELLS.includes(c.cell)) fail(`unknown cell '${c.cell}' (expected one of ${CELLS.join(', ')})`);
  if (isSimpleCell(c.cell) && !ACTS.includes(c.activation)) fail(`unknown activation '${c.activation}' (expected tanh, sigmoid or relu)`);
  if (!posInt(c.hidden)) fail(`hidden size must be a positive integer, got ${c.hidden}`);
  if (c.hidden > 65536) fail(`hidden size ${c.hidden} is too large`);
  if (!posInt(c.layers)) fail(`layers must be a positive integer, got ${c.layers}`);
  if (!posInt(c.inputSize)) fail(`input size must be a positive integer, got ${c.inputSize}`);
  if (!posInt(c.outputSize)) fail(`output size must be a positive integer, got ${c.outputSize}`);
  if (c.inputKind !== 'tokens' && c.inputKind !== 'dense') fail(`input kind must be tokens or dense`);
  if (!(Number.isInteger(c.embed) && c.embed >= 0)) fail(`embedding size must be a non-negative integer, got ${c.embed}`);
  if (c.inputKind === 'dense' && c.embed > 0) fail('an embedding needs token inputs');
  if (c.head !== 'softmax' && c.head !== 'mse') fail(`unknown head '${c.head}' (expected softmax or mse)`);
  if (c.outputMode !== 'every' && c.outputMode !== 'last') fail(`output mode must be every or last`);
  for (const k of c.lags) {
    if (!Number.isInteger(k) || k < 2) fail(`lags must be integers ≥ 2 (lag 1 is the ordinary recurrence), got ${k}`);
    if (k > 4096) fail(`lag ${k} is too long`);
  }
  if (new Set(c.lags).size !== c.lags.length) fail('lags must be distinct');
  c.lags.sort((a, b) => a - b);
  if (c.lags.length > 0 && !isSimpleCell(c.cell)) fail(`lags apply to Elman and Jordan cells, not ${c.cell}`);
  if (c.h0 !== 'zero' && c.h0 !== 'random' && c.h0 !== 'learned') fail(`h0 must be zero, random or learned, got '${c.h0}'`);
  if (!(c.h0Scale >= 0 && Number.isFinite(c.h0Scale))) fail('h0 scale must be a non-negative number');
  regularisationProblem(c, fail);
  if (!['pytorch', 'xavier', 'orthogonal', 'identity'].includes(c.init)) fail(`unknown init '${c.init}'`);
  if (!(c.spectralRadius >= 0 && Number.isFinite(c.spectralRadius))) fail('spectral radius must be a non-negative number');
  if (c.forgetBias !== null && !Number.isFinite(c.forgetBias)) fail('forget bias must be a number');
  if (hasJordan(c.cell)) {
    if (c.bidirectional) fail('a Jordan network feeds back its previous output, so it cannot be bidirectional');
    if (c.jordanFeed !== 'output' && c.jordanFeed !== 'target') fail(`jordan feed must be output or target`);
    if (c.jordanFeed === 'target' && c.outputMode === 'last') fail('teacher forcing feeds the previous target, which needs a target at every step');
  }
  if (c.gruReset !== 'after' && c.gruReset !== 'before') fail(`gru reset must be after or before, got '${c.gruReset}'`);
  if (c.gruReset === 'before' && c.cell !== 'gru') fail(`the reset gate's place is a GRU setting, not one of ${c.cell}`);
  if (typeof c.peephole !== 'boolean') fail(`peephole must be true or false, got '${String(c.peephole)}'`);
  if (c.peephole && c.cell !== 'lstm') fail(`peepholes are an LSTM setting, not one of ${c.cell}`);
  if (c.cell === 'jordan' && c.lags.length > 0) fail('lags extend the Elman recurrence W_hh; a pure Jordan cell has none');
  return c;
}

/** The regularisers' ranges and the models they fit. */
function regularisationProblem(c: ModelConfig, fail: (msg: string) => never): void {
  const probability = (key: keyof Regularisation, what: string): void => {
    if (!(typeof c[key] === 'number' && c[key] >= 0 && c[key] < 1)) fail(`${what} must be in [0, 1), got ${c[key]}`);
  };
  probability('dropout', 'dropout');
  probability('dropoutInput', 'input dropout');
  probability('dropoutOutput', 'output dropout');
  probability('dropoutEmbed', 'embedding dropout');
  probability('weightDrop', 'weight drop');
  for (const k of ['ar', 'tar'] as const) if (!(typeof c[k] === 'number' && c[k] >= 0 && Number.isFinite(c[k]))) fail(`${k.toUpperCase()} must be a non-negative number, got ${c[k]}`);
  if (c.dropoutEmbed > 0 && !(c.inputKind === 'tokens' && c.embed > 0)) fail('embedding dropout drops rows of the embedding: it needs an embedding (embed > 0)');
  if (c.dropoutInput > 0 && c.inputKind === 'tokens' && c.embed === 0) fail('input dropout drops units of the embedding\'s output: it needs an embedding (embed > 0) or dense inputs');
  if (c.dropoutOutput > 0 && (hasJordan(c.cell) || c.outputMode !== 'every')) fail('output dropout is applied before a decoder at every step of a model without output feedback (not Jordan cells, not output mode last)');
  if (typeof c.tieWeights !== 'boolean') fail('tieWeights must be true or false');
  if (c.tieWeights) {
    const W = (c.bidirectional ? 2 : 1) * c.hidden;
    if (!(c.inputKind === 'tokens' && c.embed > 0)) fail('tied weights share the embedding with the decoder: they need an embedding (embed > 0)');
    if (c.inputSize !== c.outputSize) fail(`tied weights need as many outputs as input symbols, got ${c.outputSize} and ${c.inputSize}`);
    if (c.embed !== W) fail(`tied weights need the embedding width (${c.embed}) to equal the last layer's output width (${W})`);
  }
}
