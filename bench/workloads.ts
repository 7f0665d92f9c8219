/**
 * The benchmark workloads of ../shared/WORKLOADS.md, defined once. The driver hands each child (recur,
 * PyTorch, numpy, tfjs, brain.js) the same JSON spec on its command line, so no peer carries its own
 * copy of the numbers that could drift from this one.
 */

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'S1';
export type BenchCell = 'elman' | 'lstm' | 'gru';

export interface TrainSpec {
  id: WorkloadId;
  kind: 'train';
  title: string;
  cell: BenchCell;
  hidden: number;
  layers: number;
  batch: number;
  seq: number;
  optimizer: 'adagrad' | 'adam';
  lr: number;
  /** Element-wise clipping threshold (0 = off): min-char-rnn's np.clip(g, -5, 5). */
  clipValue: number;
  /** Global-norm clipping threshold (0 = off): torch.nn.utils.clip_grad_norm_. */
  clipNorm: number;
  /** Input: one-hot (absent or 0) or an embedding of this width (nn.Embedding in PyTorch). */
  embed?: number;
  /** Tokens: Moby Dick's characters (absent), or its words with this vocabulary size (bench/words.ts). */
  words?: number;
}

export interface SampleSpec {
  id: 'S1';
  kind: 'sample';
  title: string;
  /** The model sampled from: W2's shape. */
  model: TrainSpec;
  /** Characters generated per generation (batch 1). */
  length: number;
  temperature: number;
}

/**
 * G1, not a WORKLOADS.md workload: the kernel figure the issue sets a floor on (GFLOP/s of one
 * m×k · k×n product), for each recur backend and for torch.mm on the same machine.
 */
export interface GemmSpec { id: 'G1'; kind: 'gemm'; title: string; m: number; n: number; k: number }
export const GEMM: GemmSpec = { id: 'G1', kind: 'gemm', title: 'GEMM 512×512×512 (float32)', m: 512, n: 512, k: 512 };

export type Spec = TrainSpec | SampleSpec | GemmSpec;

const adam = { optimizer: 'adam', lr: 2e-3, clipValue: 0, clipNorm: 5 } as const;

const W2: TrainSpec = { id: 'W2', kind: 'train', title: 'LSTM 256, batch 32, seq 64, Adam', cell: 'lstm', hidden: 256, layers: 1, batch: 32, seq: 64, ...adam };

export const WORKLOADS: Record<WorkloadId, Spec> = {
  W1: {
    id: 'W1', kind: 'train', title: 'Elman tanh 100, batch 1, seq 25, Adagrad 0.1, clip ±5 (min-char-rnn)',
    cell: 'elman', hidden: 100, layers: 1, batch: 1, seq: 25, optimizer: 'adagrad', lr: 0.1, clipValue: 5, clipNorm: 0,
  },
  W2,
  W3: { id: 'W3', kind: 'train', title: 'GRU 256, batch 32, seq 64, Adam', cell: 'gru', hidden: 256, layers: 1, batch: 32, seq: 64, ...adam },
  W4: { id: 'W4', kind: 'train', title: 'Elman tanh 256, batch 32, seq 64, Adam', cell: 'elman', hidden: 256, layers: 1, batch: 32, seq: 64, ...adam },
  W5: { id: 'W5', kind: 'train', title: 'LSTM 512×2, batch 64, seq 128, Adam', cell: 'lstm', hidden: 512, layers: 2, batch: 64, seq: 128, ...adam },
  // Word-level: one-hot inputs would make PyTorch multiply by a 8192-wide one-hot matrix; both sides embed.
  W6: {
    id: 'W6', kind: 'train', title: 'LSTM 1024×2, words (8k vocabulary), embedding 1024, batch 64, seq 128, Adam',
    cell: 'lstm', hidden: 1024, layers: 2, batch: 64, seq: 128, embed: 1024, words: 8192, ...adam,
  },
  S1: { id: 'S1', kind: 'sample', title: "sampling W2's model, batch 1, 2000 chars, T=1.0", model: W2, length: 2000, temperature: 1 },
};

export const WORKLOAD_IDS = Object.keys(WORKLOADS) as WorkloadId[];

/** Characters (W6: words) one training step consumes (batch · seq), or one generation produces. */
export const charsPerUnit = (s: TrainSpec | SampleSpec): number => (s.kind === 'train' ? s.batch * s.seq : s.length);

/**
 * How long to warm up and to measure, in the terms of WORKLOADS.md: warm up for at least
 * `warmupSeconds` AND `warmupSteps` steps (whichever takes longer), measure for at least
 * `measureSeconds`, and never spend more than `capSeconds` on either phase (but always at least one
 * step, so a workload slower than the cap still gives a figure).
 */
export interface Window {
  warmupSeconds: number;
  warmupSteps: number;
  measureSeconds: number;
  capSeconds: number;
}

export const FULL_WINDOW: Window = { warmupSeconds: 20, warmupSteps: 20, measureSeconds: 20, capSeconds: 90 };
/** --quick: a smoke run of the whole matrix in a few minutes; figures are rough. */
export const QUICK_WINDOW: Window = { warmupSeconds: 1, warmupSteps: 1, measureSeconds: 2, capSeconds: 5 };
/**
 * Sampling is cheap per unit and its figures settle fast: a shorter window keeps the default run
 * within its time budget without hurting the measurement (a generation is ~2000 steps of batch 1).
 */
export const SAMPLE_WINDOW: Window = { warmupSeconds: 5, warmupSteps: 1, measureSeconds: 10, capSeconds: 60 };
/** G1 (one 512³ product per step, milliseconds each) settles within seconds. */
export const GEMM_WINDOW: Window = { warmupSeconds: 2, warmupSteps: 5, measureSeconds: 5, capSeconds: 30 };

/** Training seconds before the validation loss is read, for --quality (WORKLOADS.md: 60 s, 2 threads). */
export const QUALITY_SECONDS = 60;
export const QUALITY_WORKLOADS: WorkloadId[] = ['W1', 'W2'];

/** The result line every child prints (one JSON object on stdout). */
export interface ChildResult {
  peer: string;
  workload: WorkloadId | 'G1';
  /** Threads the peer was asked to use (1 for single-threaded peers). */
  threads: number;
  /** Threads the framework reports using, where it says (torch.get_num_threads()). */
  threadsUsed?: number;
  /** Backend or variant inside the peer (js, wasm, cpu, ...). */
  backend?: string;
  /** Training characters per second (batch·seq per step / step time), or generated chars/s for S1. */
  charsPerSec?: number;
  /** G1: billions of floating-point operations per second. */
  gflops?: number;
  steps?: number;
  seconds?: number;
  warmupSteps?: number;
  warmupSeconds?: number;
  /** The figure comes from a single step that was also the warm-up (it outlasted the cap by itself). */
  cold?: boolean;
  /** Mean training loss (nats/char) over the measured steps: a sanity check that it learned something. */
  trainLoss?: number;
  /** Validation loss (nats/char) after QUALITY_SECONDS of training (--quality). */
  valLoss?: number;
  /** Steps taken in the quality run. */
  qualitySteps?: number;
  peakRssMB?: number;
  /** How the peer's model differs from the spec (e.g. brain.js: batch 1, no carried state). */
  deviations?: string[];
  versions?: Record<string, string>;
  /** Set when the peer cannot express the workload: why. */
  unsupported?: string;
  error?: string;
}
