/**
 * The settings of a character-language-model run: the architecture of a fresh model and the training
 * hyper-parameters (stored in the model file so that --resume continues with the same ones), their
 * defaults, and the check that turns an unusable value into one sentence. Platform-free.
 */
import type { Activation } from '../kernels/backend.js';
import type { CellType, H0Mode, InitScheme, Regularisation } from '../nn/config.js';
import { OPTIMIZERS, type OptimizerName } from '../train/optim.js';

/**
 * The architecture of a fresh model (the rest of its config follows from the vocabulary), with its
 * regularisers (nn/config.ts Regularisation: dropouts, weight drop, AR/TAR), which live in the model's
 * config and so in its file: --resume keeps them, --init may change them.
 */
export interface LmArch extends Regularisation {
  cell: CellType;
  activation: Activation;
  hidden: number;
  layers: number;
  /** Embedding width; 0 = one-hot input. */
  embed: number;
  lags: number[];
  h0: H0Mode;
  init: InitScheme;
  forgetBias: number | null;
  bidirectional: boolean;
  /** The decoder's weight is the embedding (needs embed = hidden). */
  tieWeights: boolean;
}

/** The learning-rate schedules (train/schedule.ts) under the names the settings use. */
export { SCHEDULE_NAMES as SCHEDULES, type ScheduleName as Schedule } from '../train/schedule.js';
import { SCHEDULE_NAMES as SCHEDULES, type ScheduleName as Schedule } from '../train/schedule.js';

/** Training hyper-parameters; stored in the model file so that --resume continues with the same ones. */
export interface LmSettings {
  batch: number;
  /** Characters per chunk (stream mode). */
  seq: number;
  lr: number;
  /** Learning rate at the end of the budget for the cosine and linear schedules. */
  lrMin: number;
  schedule: Schedule;
  /** Linear warm-up over this many steps (0 = none). */
  warmup: number;
  optimizer: OptimizerName;
  momentum: number;
  weightDecay: number;
  clipNorm: number;
  clipValue: number;
  valFraction: number;
  /** Validate on at most this many characters of the held-out text (0 = all of it). */
  valChars: number;
  /** Budget: a number of steps, or seconds of training (validation, samples and saving not counted). */
  steps: number | null;
  time: number | null;
  seed: number;
  /** Score and save averaged weights (train/average.ts); training continues from the raw ones. */
  average: boolean;
}

/**
 * Defaults: the char-rnn LSTM of ../shared/WORKLOADS.md W2 (256 units, batch 32 × 64 characters, Adam,
 * global-norm clip 5) with two changes that make it learn faster in a fixed time:
 *  - a 64-wide character embedding (N(0, 1), as PyTorch's nn.Embedding) instead of one-hot input. With
 *    one-hot input the LSTM sees one column of W_ih (±1/√H at init), about ten times weaker than an
 *    embedded character, and learns far more slowly per step: on Moby Dick, 1.84 vs 1.63 nats/char
 *    training loss after 1,500 steps of W2 (PyTorch's W2, which embeds, reaches 1.61);
 *  - Adam at 5e-3 with a cosine decay to a tenth of the rate over the budget (steps or seconds).
 * Measured on Moby Dick, 120 s of CPU time on one thread, then the last 10% scored as one stream: 1.458
 * nats/char (native backend), against 1.619 for PyTorch's W2 (tools: bench/quality/torch_w2.py).
 * These are the base; `recur train` on a fresh model then applies the measured defaults table
 * (lm-defaults.ts: on Moby Dick for 180 s, 384 units at batch 8) to the flags the user did not give.
 */
export const DEFAULT_ARCH: LmArch = {
  cell: 'lstm', activation: 'tanh', hidden: 256, layers: 1, embed: 64, lags: [], h0: 'zero', dropout: 0,
  init: 'pytorch', forgetBias: null, bidirectional: false,
  dropoutInput: 0, dropoutOutput: 0, dropoutEmbed: 0, weightDrop: 0, ar: 0, tar: 0, tieWeights: false,
};

/**
 * Why a fresh model's architecture cannot be a character model, in the words of the train command's
 * flags (one sentence), or null. The model's own check (nn/config.ts) still runs after this one.
 */
export function archProblem(a: LmArch): string | null {
  const needsEmbedding = a.dropoutEmbed > 0 ? 'embedding dropout' : a.dropoutInput > 0 ? 'input dropout' : a.tieWeights ? 'weight tying' : null;
  if (needsEmbedding && a.embed === 0) return `${needsEmbedding} needs an embedding: give --embed > 0`;
  if (a.dropoutOutput > 0 && (a.cell === 'jordan' || a.cell === 'elman+jordan')) return `output dropout sits between the last layer and the decoder, which a ${a.cell} cell feeds back: not with --cell ${a.cell}`;
  if (a.tieWeights && a.embed !== a.hidden) return `weight tying makes the decoder's weight the embedding: --embed (${a.embed}) must equal --hidden (${a.hidden})`;
  return null;
}
export const DEFAULT_TIME_S = 180;
export const DEFAULT_SETTINGS: LmSettings = {
  batch: 32, seq: 64, lr: 5e-3, lrMin: 5e-4, schedule: 'cosine', warmup: 0, optimizer: 'adam', momentum: 0,
  weightDecay: 0, clipNorm: 5, clipValue: 0, valFraction: 0.1, valChars: 50_000, steps: null, time: DEFAULT_TIME_S, seed: 1,
  average: false,
};

export const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
export const isNum = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= min;

/** A value from a file, shown as JSON so that an object or an empty string is visible. */
const show = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));

/** Why a settings object is unusable (one sentence), or null. Used for programmatic callers and saved files. */
export function settingsProblem(s: LmSettings): string | null {
  if (!isInt(s.batch, 1)) return `batch must be a positive integer, got ${show(s.batch)}`;
  if (!isInt(s.seq, 1)) return `seq must be a positive integer, got ${show(s.seq)}`;
  if (s.batch * s.seq > 1 << 24) return `batch × seq = ${s.batch * s.seq} is too large`;
  if (!(isNum(s.lr, 0) && s.lr > 0)) return `lr must be a positive number, got ${show(s.lr)}`;
  if (!isNum(s.lrMin, 0)) return `lrMin must be a non-negative number, got ${show(s.lrMin)}`;
  if (!SCHEDULES.includes(s.schedule)) return `schedule must be one of ${SCHEDULES.join(', ')}, got ${show(s.schedule)}`;
  if (!isInt(s.warmup, 0)) return `warmup must be a non-negative integer, got ${show(s.warmup)}`;
  if (!OPTIMIZERS.includes(s.optimizer)) return `optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${show(s.optimizer)}`;
  if (!(isNum(s.momentum, 0) && s.momentum < 1)) return `momentum must be in [0, 1), got ${show(s.momentum)}`;
  if (!isNum(s.weightDecay, 0)) return `weight decay must be a non-negative number, got ${show(s.weightDecay)}`;
  if (!isNum(s.clipNorm, 0)) return `clip-norm must be a non-negative number, got ${show(s.clipNorm)}`;
  if (!isNum(s.clipValue, 0)) return `clip-value must be a non-negative number, got ${show(s.clipValue)}`;
  if (!(isNum(s.valFraction, 0) && s.valFraction < 1)) return `the validation fraction must be in [0, 1), got ${show(s.valFraction)}`;
  if (!isInt(s.valChars, 0)) return `valChars must be a non-negative integer, got ${show(s.valChars)}`;
  if (s.steps !== null && !isInt(s.steps, 0)) return `steps must be a non-negative integer, got ${show(s.steps)}`;
  if (s.time !== null && !(isNum(s.time, 0) && s.time > 0)) return `time must be a positive number of seconds, got ${show(s.time)}`;
  if (s.steps === null && s.time === null) return 'a budget is needed: steps or time';
  if (typeof s.average !== 'boolean') return `average must be true or false, got ${show(s.average)}`;
  if (!isInt(s.seed, 0) || s.seed > 0xffffffff) return `seed must be an integer in 0…4294967295, got ${show(s.seed)}`;
  return null;
}

