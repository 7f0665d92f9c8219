/**
 * The messages between the page and the training worker. The worker owns the model; the page only
 * sends settings and requests and draws what comes back.
 */
import type { CellType, H0Mode } from '../../src/nn/config.js';
import type { OptimizerName } from '../../src/train/optim.js';
import type { Complex } from '../../src/analysis/spectrum.js';

export type CorpusId = 'moby' | 'names' | 'custom';

/** What the model is (changing any of these needs a new model). */
export interface ModelSettings {
  cell: CellType;
  activation: 'tanh' | 'relu' | 'sigmoid';
  hidden: number;
  layers: number;
  h0: H0Mode;
  seed: number;
}

/** How it is trained (changes apply to the running model). */
export interface TrainSettings {
  seq: number;
  batch: number;
  lr: number;
  optimizer: OptimizerName;
  clipNorm: number;
  clipValue: number;
}

export interface Settings extends ModelSettings, TrainSettings {}

export interface CorpusChoice { id: CorpusId; text?: string }

export type BackendChoice = 'auto' | 'wasm' | 'js';

/** How the samples are drawn: from the prime (else a newline), `length` characters, temperature and top-k. */
export interface Sampling { temperature: number; prime: string; length: number; topK: number }

export type ToWorker =
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'start'; corpus: CorpusChoice; settings: Settings }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'train-settings'; settings: TrainSettings }
  | { type: 'sample'; sampling: Sampling }
  | { type: 'inspect'; text: string | null; layer: number }
  | { type: 'spectrum'; matrix: string }
  | { type: 'download' }
  | { type: 'preview'; corpus: CorpusChoice }
  | { type: 'load'; bytes: ArrayBuffer; name: string; corpus: CorpusChoice; settings: Settings };

export interface StepPoint { step: number; loss: number; gradNorm: number }

export interface ModelInfo {
  cell: CellType;
  hidden: number;
  layers: number;
  h0: H0Mode;
  activation: string;
  vocab: number;
  params: number;
  /** The square matrices whose spectrum can be shown. */
  matrices: { id: string; label: string }[];
  source: string;
}

export interface Inspection {
  /** The characters shown (code points). */
  chars: string[];
  /** Activations [T×H] of the chosen layer. */
  acts: Float32Array;
  H: number;
  layer: number;
  /** Top-k next-character predictions per position: chars [T×k], probabilities [T×k]. */
  k: number;
  topChars: string[];
  topProbs: Float32Array;
  /** Characters of the requested text the vocabulary lacks (left out). */
  dropped: number;
  /** The gates of the layer over the text (LSTM i, f, o; GRU r, z), each [T×H] after the other in `values`; null for cells without gates. */
  gates: { names: string[]; values: Float32Array } | null;
}

export type FromWorker =
  | { type: 'ready'; backend: string; threads: number; isolated: boolean; note: string | null }
  | { type: 'model'; info: ModelInfo; settings: Settings; loaded?: { name: string; resumed: boolean; trainable: boolean } }
  | { type: 'state'; running: boolean; step: number }
  | { type: 'progress'; points: StepPoint[]; stepsPerSec: number; epoch: number }
  | { type: 'val'; step: number; bits: number }
  | { type: 'sample'; text: string; prime: string; temperature: number; step: number }
  /** Training diverged and stopped; the model is back at the weights of `keptStep`. */
  | { type: 'diverged'; message: string; step: number; keptStep: number; lr: number; clipNorm: number }
  /** The eigenvalues of a square recurrent matrix, and the matrix itself (H×H, row-major) for its heatmap. */
  | { type: 'spectrum'; step: number; matrix: string; label: string; eigs: Complex[]; radius: number; weights: Float32Array; size: number }
  | { type: 'gradflow'; step: number; norms: number[]; perStep: number; layer: number }
  | { type: 'inspect'; data: Inspection }
  | { type: 'file'; bytes: ArrayBuffer; name: string }
  | { type: 'cleared' }
  /** The start of a corpus as the model will read it, and its length in characters. */
  | { type: 'preview'; text: string; chars: number }
  | { type: 'error'; message: string };

// ------------------------------------------------------------------- seq2seq panel (its own worker)
export interface Seq2SeqSettingsMsg { task: string; length: number; hidden: number; batch: number; lr: number; seed: number }

export type ToSeq2SeqWorker =
  | { type: 'start'; settings: Seq2SeqSettingsMsg }
  | { type: 'stop' }
  | { type: 'reset' }
  | { type: 'translate'; text: string };

export type FromSeq2SeqWorker =
  | { type: 'state'; running: boolean; step: number }
  | { type: 'progress'; step: number; loss: number }
  /** Held-out scores (greedy decoding). */
  | { type: 'score'; step: number; loss: number; exact: number; tokenAccuracy: number }
  /** The greedy output for `text`, and its attention [output × input] (null without attention). */
  | { type: 'translation'; step: number; input: string[]; output: string[]; attention: Float32Array | null }
  | { type: 'error'; message: string };
