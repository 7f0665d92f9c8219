/**
 * A language model's file: the recur model file (src/io/model-file.ts) plus what makes it a character
 * model (its vocabulary and the `task` entry) and what makes a run resumable (the `training` entry).
 *
 *   task      {"kind": "lm", "mode": "stream" | "lines", "source": "..."}
 *             stream: the text is one long stream (char-rnn); lines: one sequence per line (names),
 *             each framed by the marker "\n" (SEQ_MARK), which the vocabulary must contain.
 *   training  the resume record (lm-resume.ts): enough to continue a run exactly.
 *
 * Platform-free. Every refusal is a ModelFileError with one line naming the problem.
 */
import type { Backend } from '../kernels/backend.js';
import { decodeModel, encodeModel, type OptimizerSlots } from '../io/model-file.js';
import { describeKind, excerpt } from '../io/json-guard.js';
import { ModelFileError } from '../io/safetensors.js';
import type { Checkpoint } from '../io/checkpoint.js';
import type { Model } from '../nn/model.js';
import { SEQ_MARK, Vocab } from '../data/text.js';
import type { LmTrainingState } from './lm-resume.js';

export type { LmMode } from './lm-resume.js';
import type { LmMode } from './lm-resume.js';
export interface LmTask { kind: 'lm'; mode: LmMode; source: string }

export interface LoadedLm {
  model: Model;
  vocab: Vocab;
  task: LmTask;
  checkpoint: Checkpoint;
}

const fail = (message: string): never => { throw new ModelFileError(message); };

/** Why a model config cannot be a next-character model, or null when it can. */
export function lmConfigProblem(c: Model['config'], vocabSize: number): string | null {
  if (c.bidirectional) return 'a bidirectional model sees the characters it should predict, so it cannot be a language model';
  if (c.inputKind !== 'tokens') return 'the model does not read characters (its inputs are real-valued)';
  if (c.head !== 'softmax' || c.outputMode !== 'every') return 'the model does not predict a character at every step';
  if (c.inputSize !== vocabSize || c.outputSize !== vocabSize) {
    return `the model's input/output sizes (${c.inputSize}/${c.outputSize}) do not match its ${vocabSize}-character vocabulary`;
  }
  if (c.jordanFeed === 'target' && (c.cell === 'jordan' || c.cell === 'elman+jordan')) return 'a teacher-forced Jordan model cannot generate text';
  return null;
}

/** Decode and check that the file is a recur character language model; `what` names it in messages. */
export function decodeLm(bytes: Uint8Array, be: Backend, what = 'model file'): LoadedLm {
  const { model, checkpoint } = decodeModel(bytes, be);
  const task = checkpoint.task;
  if (!task || task.kind !== 'lm') {
    fail(`${what} is ${task ? describeKind(task.kind ?? task.type) : 'not a language model'}, not a character language model`);
  }
  const mode = task!.mode;
  if (mode === undefined) fail(`${what} does not say how it reads text (no language-model mode)`);
  if (mode !== 'stream' && mode !== 'lines') fail(`${what} has an unknown language-model mode ${excerpt(mode)}`);
  if (!checkpoint.vocab || checkpoint.vocab.length === 0) return fail(`${what} has no vocabulary`);
  const vocab = new Vocab(checkpoint.vocab);
  // Ids are positions in the stored list; the Vocab class orders by code point, so the two must agree.
  if (vocab.chars.some((ch, i) => ch !== checkpoint.vocab![i])) fail(`${what} vocabulary is not in code-point order`);
  const problem = lmConfigProblem(model.config, vocab.size);
  if (problem) fail(`${what}: ${problem}`);
  if (mode === 'lines' && vocab.index(SEQ_MARK) < 0) fail(`${what} is a one-sequence-per-line model but its vocabulary lacks the line marker`);
  return { model, vocab, task: { kind: 'lm', mode: mode as LmMode, source: typeof task!.source === 'string' ? task!.source : '' }, checkpoint };
}

/** The model file of a language model, with the run's resume record and optimizer moments when it can be continued. */
export function encodeLm(model: Model, vocab: Vocab, task: LmTask, training: LmTrainingState | null, optimizer: OptimizerSlots | null): Uint8Array {
  return encodeModel(model, { vocab: [...vocab.chars], task: { ...task }, training: training ? { ...training } : null, optimizer });
}
