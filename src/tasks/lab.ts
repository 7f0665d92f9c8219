/**
 * The long-term dependency lab: the two classic benchmarks on which plain Elman networks fail and
 * gated or identity-initialised ones succeed, with their trivial baselines and a training loop that
 * records what the theory talks about (gradient norm before clipping, spectral radius of W_hh).
 *
 *  - Adding problem (Hochreiter & Schmidhuber 1997; the variant of Le, Jaitly & Hinton 2015): two input
 *    channels over T steps, uniform numbers in [0, 1) and a 0/1 marker channel with one marker in each
 *    half of the sequence; the target, read at the last step, is the sum of the two marked numbers.
 *    Predicting the mean (1) gives MSE = Var(U + U') = 2/12 ≈ 0.167.
 *  - Copy memory (Arjovsky, Shah & Bengio 2016): 10 symbols from 8, then T−1 blanks, a delimiter, and
 *    10 blanks (T + 20 steps); the target is blank everywhere except the last 10 steps, which must
 *    repeat the 10 symbols. A model without memory can at best output blank and then guess uniformly:
 *    cross-entropy 10·ln 8 / (T + 20) averaged over all steps.
 *
 * Platform-free: the clock is `performance.now()` (Node and browsers) unless the caller passes one.
 */
import { eigenvalues, spectralRadius } from '../analysis/spectrum.js';
import type { Backend } from '../kernels/backend.js';
import { gatesOf, type CellType, type ModelConfig } from '../nn/config.js';
import { Model, type Batch } from '../nn/model.js';
import { Optimizer, type OptimizerName } from '../train/optim.js';
import { Cadence } from '../train/cadence.js';
import { TrainingDiverged, TrainLoop } from '../train/loop.js';
import { constantSchedule } from '../train/schedule.js';
import { Trainer } from '../train/trainer.js';
import { Rng } from '../util/rng.js';

// ---------------------------------------------------------------------------------- cells

export type LabCell = 'elman' | 'lstm' | 'gru' | 'irnn';
export const LAB_CELLS: readonly LabCell[] = ['elman', 'lstm', 'gru', 'irnn'];

/** The architecture behind each lab cell name (hidden size and task shape are added by the task). */
export function labCellConfig(cell: LabCell): Partial<ModelConfig> {
  switch (cell) {
    case 'elman': return { cell: 'elman', activation: 'tanh' };
    // A forget bias of 1 (Gers et al. 2000; Jozefowicz et al. 2015) lets the cell state carry the
    // marked numbers from the start instead of forgetting half of them at every step.
    case 'lstm': return { cell: 'lstm', forgetBias: 1 };
    case 'gru': return { cell: 'gru' };
    // Le, Jaitly & Hinton 2015: ReLU units, W_hh = I, zero biases, small input weights (init 'identity').
    case 'irnn': return { cell: 'elman', activation: 'relu', init: 'identity' };
  }
}

/**
 * Adam learning rates measured to work on the adding problem with 32 units (lab adding defaults).
 * The gated cells take large steps (1e-2: solved T = 100 within ~1000 updates); the Elman cells 1e-3.
 * The IRNN's identity recurrence sits at the edge of explosion (ρ = 1 with unbounded ReLUs): 1e-3
 * with the default clipping solved T = 50, 1e-4 was still far from it after 20k updates.
 */
export const DEFAULT_LR: Record<LabCell, number> = { elman: 1e-3, lstm: 1e-2, gru: 1e-2, irnn: 1e-3 };

// ------------------------------------------------------------------------------ generators

export type LabTask = 'adding' | 'copy';

/** Var(U + U') for two independent U(0, 1): the MSE of always predicting the mean, 1. */
export const ADDING_BASELINE_MSE = 1 / 6;

/**
 * B adding-problem sequences of T steps, time-major: inputs[(t·B + b)·2 + 0] is the number,
 * [… + 1] the marker; targetValues[b] the sum of the two marked numbers. One marker falls in
 * [0, ⌊T/2⌋), the other in [⌊T/2⌋, T), so the first one is at least T/2 steps before the end on average.
 */
export function addingBatch(T: number, B: number, rng: Rng): Batch {
  if (!(Number.isInteger(T) && T >= 2)) throw new Error(`the adding problem needs a length of at least 2, got ${T}`);
  if (!(Number.isInteger(B) && B >= 1)) throw new Error(`batch size must be a positive integer, got ${B}`);
  const inputs = new Float32Array(T * B * 2), targetValues = new Float32Array(B);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) inputs[(t * B + b) * 2] = rng.next();
    const first = rng.int(half), second = half + rng.int(T - half);
    inputs[(first * B + b) * 2 + 1] = 1;
    inputs[(second * B + b) * 2 + 1] = 1;
    targetValues[b] = inputs[(first * B + b) * 2] + inputs[(second * B + b) * 2];
  }
  return { T, B, inputs, targetValues };
}

/** Copy task alphabet, as in Arjovsky et al.: 8 data symbols, a blank and a delimiter. */
export const COPY_SYMBOLS = 8;
export const COPY_BLANK = 8;
export const COPY_DELIMITER = 9;
/** Input vocabulary (data symbols, blank, delimiter). */
export const COPY_VOCAB = 10;
/** Output classes: the data symbols and the blank (the delimiter is never a target). */
export const COPY_CLASSES = 9;
/** How many symbols are to be remembered. */
export const COPY_RECALL = 10;

/** Sequence length of a copy task with delay T: the symbols, T−1 blanks, the delimiter, the 10 recall steps. */
export const copyLength = (delay: number): number => delay + 2 * COPY_RECALL;

/** Cross-entropy of the best memoryless predictor: 0 on the blanks, ln 8 on each of the 10 recall steps. */
export const copyBaseline = (delay: number): number => (COPY_RECALL * Math.log(COPY_SYMBOLS)) / copyLength(delay);

/** B copy-memory sequences with the given delay, time-major token ids and targets at every step. */
export function copyBatch(delay: number, B: number, rng: Rng): Batch {
  if (!(Number.isInteger(delay) && delay >= 1)) throw new Error(`the copy task needs a delay of at least 1, got ${delay}`);
  if (!(Number.isInteger(B) && B >= 1)) throw new Error(`batch size must be a positive integer, got ${B}`);
  const T = copyLength(delay), tokens = new Int32Array(T * B).fill(COPY_BLANK), targets = new Int32Array(T * B).fill(COPY_BLANK);
  const recallStart = delay + COPY_RECALL;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < COPY_RECALL; i++) {
      const s = rng.int(COPY_SYMBOLS);
      tokens[i * B + b] = s;
      targets[(recallStart + i) * B + b] = s;
    }
    tokens[(recallStart - 1) * B + b] = COPY_DELIMITER;
  }
  return { T, B, tokens, targets };
}

/** The model shape each task needs. */
export function labModelConfig(task: LabTask, cell: LabCell, hidden: number): Partial<ModelConfig> {
  const io: Partial<ModelConfig> = task === 'adding'
    ? { inputKind: 'dense', inputSize: 2, outputSize: 1, head: 'mse', outputMode: 'last' }
    : { inputKind: 'tokens', inputSize: COPY_VOCAB, outputSize: COPY_CLASSES, head: 'softmax', outputMode: 'every' };
  return { ...labCellConfig(cell), ...io, hidden };
}

export const labBatch = (task: LabTask, length: number, B: number, rng: Rng): Batch =>
  task === 'adding' ? addingBatch(length, B, rng) : copyBatch(length, B, rng);

// ------------------------------------------------------------------- recurrent matrices

/** Gate blocks of W_hh per cell, in PyTorch's row order. */
export const GATE_NAMES: Record<CellType, string[]> = {
  elman: ['h'], jordan: ['h'], 'elman+jordan': ['h'], lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'],
};
/** The block that maps h_{t−1} into the candidate state: the one whose powers shape the gradient most directly. */
export const DEFAULT_GATE: Record<CellType, string> = { elman: 'h', jordan: 'h', 'elman+jordan': 'h', lstm: 'g', gru: 'n' };

export interface BlockChoice { layer?: number; reverse?: boolean; gate?: string }

/** One [H×H] block of a recurrent weight matrix as a row-major Float64Array, with the name it came from. */
export function recurrentBlock(model: Model, choice: BlockChoice = {}): { name: string; gate: string; H: number; W: Float64Array } {
  const c = model.config, H = c.hidden, layer = choice.layer ?? 0;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < c.layers)) throw new Error(`layer ${layer} does not exist (the model has ${c.layers} layer${c.layers === 1 ? '' : 's'}, counted from 0)`);
  if (choice.reverse && !c.bidirectional) throw new Error('the model is not bidirectional: it has no reverse direction');
  const name = `rnn.weight_hh_l${layer}${choice.reverse ? '_reverse' : ''}`;
  if (!model.params.has(name)) throw new Error(`layer ${layer} of a ${c.cell} model has no recurrent matrix W_hh (a Jordan layer feeds back its output instead)`);
  const gates = GATE_NAMES[c.cell], gate = choice.gate ?? DEFAULT_GATE[c.cell];
  const g = gates.indexOf(gate);
  if (g < 0) throw new Error(`a ${c.cell} cell has no gate '${gate}' (its W_hh blocks are ${gates.join(', ')})`);
  if (gates.length !== gatesOf(c.cell)) throw new Error(`internal: gate names of ${c.cell} do not match its gate count`);
  const v = model.params.view(name), off = v.offset + g * H * H;
  return { name, gate, H, W: Float64Array.from(model.params.data.subarray(off, off + H * H)) };
}

/** Spectral radius of a model's recurrent block (default: layer 0, candidate block). */
export function recurrentSpectralRadius(model: Model, choice: BlockChoice = {}): number {
  const { W, H } = recurrentBlock(model, choice);
  for (let i = 0; i < W.length; i++) if (!Number.isFinite(W[i])) return NaN;
  return spectralRadius(eigenvalues(W, H));
}

// ------------------------------------------------------------------------------- training

export interface LabOptions {
  task: LabTask;
  cell: LabCell;
  /** T of the adding problem; the delay of the copy task. */
  length: number;
  hidden: number;
  batch: number;
  /** Default: DEFAULT_LR[cell]. */
  lr?: number;
  optimizer: OptimizerName;
  /** Global-norm clipping threshold (0 = off). */
  clipNorm: number;
  /** Stop after this many updates (0 = no limit). */
  steps: number;
  /** Stop after this many seconds of training (0 = no limit; logging is not training). */
  seconds: number;
  /** Log (and measure the spectral radius) every this many updates. */
  logEvery: number;
  /** Test sequences (a fixed set drawn from the seed, the same for every cell). */
  testSize: number;
  seed: number;
  /** Clock in milliseconds (default performance.now). */
  now?: () => number;
}

export const LAB_DEFAULTS: Omit<LabOptions, 'task' | 'cell' | 'length'> = {
  hidden: 32, batch: 50, optimizer: 'adam', clipNorm: 1, steps: 0, seconds: 120, logEvery: 50, testSize: 1000, seed: 1,
};

export interface LabLog {
  step: number;
  /** Mean training loss over the updates since the previous log. */
  loss: number;
  /** ‖g‖ of this update, before clipping. */
  grad_norm: number;
  /** Spectral radius of layer 0's candidate block of W_hh after this update. */
  spectral_radius: number;
  seconds: number;
}

export interface LabResult {
  task: LabTask;
  cell: LabCell;
  length: number;
  hidden: number;
  lr: number;
  clip_norm: number;
  steps: number;
  /** Training time in seconds (logging included, the final test evaluation not). */
  seconds: number;
  /** Test loss: MSE (adding) or mean cross-entropy per step (copy). */
  test_loss: number;
  baseline: number;
  /** Copy task: fraction of the 10 recalled symbols predicted right (argmax). */
  recall_accuracy?: number;
  spectral_radius_start: number;
  spectral_radius_end: number;
  /** Why training stopped early, if it diverged (the model is then the last good one). */
  diverged?: string;
  history: LabLog[];
}

/** Build, initialise and train one lab model; `onLog` sees every log line as it happens. */
export function trainLab(opts: LabOptions, be: Backend, onLog?: (log: LabLog) => void): { model: Model; optimizer: Optimizer; result: LabResult } {
  const o = { ...opts };
  if (!LAB_CELLS.includes(o.cell)) throw new Error(`unknown lab cell '${o.cell}' (expected ${LAB_CELLS.join(', ')})`);
  if (!(o.steps > 0) && !(o.seconds > 0)) throw new Error('a lab run needs a budget: a number of steps or of seconds');
  if (!(Number.isInteger(o.logEvery) && o.logEvery >= 1)) throw new Error(`log interval must be a positive integer, got ${o.logEvery}`);
  const lr = o.lr ?? DEFAULT_LR[o.cell];
  const now = o.now ?? (() => performance.now());
  const rng = new Rng(o.seed);
  const model = new Model(labModelConfig(o.task, o.cell, o.hidden), be).init(rng.fork());
  const dataRng = rng.fork();
  const optimizer = new Optimizer(be, model.params, { name: o.optimizer, lr });
  const trainer = new Trainer(model, optimizer, { clipNorm: o.clipNorm });
  const state = model.newState(o.batch);
  const history: LabLog[] = [];
  const rho0 = recurrentSpectralRadius(model);
  const t0 = now();
  const elapsed = (): number => (now() - t0) / 1000;
  // Every sequence starts from the initial state. The adding problem's squared error has no uniform
  // guess, so the divergence guard measures it against the first loss; the copy task's against ln 9.
  const loop = new TrainLoop((rate) => {
    const batch = labBatch(o.task, o.length, o.batch, dataRng);
    model.resetState(state, null);
    return trainer.step(batch, state, rate);
  }, {
    budget: { steps: o.steps > 0 ? o.steps : null, seconds: o.seconds > 0 ? o.seconds : null }, schedule: constantSchedule(lr),
    guard: { uniformLoss: o.task === 'copy' ? Math.log(COPY_CLASSES) : null }, params: model.params, now,
  });
  let sum = 0, n = 0, diverged: string | undefined;
  const logging = new Cadence({ steps: o.logEvery }, loop);
  try {
    while (!loop.done) {
      const stats = loop.next(), step = stats.step;
      sum += stats.loss; n++;
      if (logging.due || step === 1) {
        const log: LabLog = { step, loss: sum / n, grad_norm: stats.gradNorm, spectral_radius: recurrentSpectralRadius(model), seconds: elapsed() };
        history.push(log);
        onLog?.(log);
        sum = 0; n = 0; logging.done();
      }
    }
  } catch (e) {
    if (!(e instanceof TrainingDiverged)) throw e;
    diverged = e.message;
  }
  const step = loop.step, seconds = elapsed();
  const test = evaluateLab(model, o.task, o.length, o.testSize, o.seed);
  const result: LabResult = {
    task: o.task, cell: o.cell, length: o.length, hidden: o.hidden, lr, clip_norm: o.clipNorm, steps: step, seconds,
    test_loss: test.loss, baseline: o.task === 'adding' ? ADDING_BASELINE_MSE : copyBaseline(o.length),
    ...(test.recall !== undefined ? { recall_accuracy: test.recall } : {}),
    spectral_radius_start: rho0, spectral_radius_end: recurrentSpectralRadius(model),
    ...(diverged ? { diverged } : {}),
    history,
  };
  return { model, optimizer, result };
}

/** The fixed test set of a seed: its own generator, so every cell and budget sees the same sequences. */
export const testRng = (seed: number): Rng => new Rng((seed ^ 0x5eed7e57) >>> 0);

/** Test loss over `size` fresh sequences (and, for the copy task, recall accuracy). */
export function evaluateLab(model: Model, task: LabTask, length: number, size: number, seed: number): { loss: number; recall?: number } {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`test size must be a positive integer, got ${size}`);
  const rng = testRng(seed), chunk = 250;
  let sum = 0, count = 0, hits = 0, recalls = 0;
  for (let done = 0; done < size; done += chunk) {
    const B = Math.min(chunk, size - done), batch = labBatch(task, length, B, rng);
    const state = model.newState(B);
    const l = model.forward(batch, state, { train: false, carry: false, logits: task === 'copy' })!;
    sum += l.sum; count += l.count;
    if (task === 'copy') {
      const T = batch.T, logits = model.logits, O = COPY_CLASSES;
      for (let t = T - COPY_RECALL; t < T; t++) for (let b = 0; b < B; b++) {
        const r = (t * B + b) * O;
        let best = 0;
        for (let k = 1; k < O; k++) if (logits[r + k] > logits[r + best]) best = k;
        if (best === batch.targets![t * B + b]) hits++;
        recalls++;
      }
    }
  }
  return { loss: sum / count, ...(task === 'copy' ? { recall: hits / recalls } : {}) };
}
