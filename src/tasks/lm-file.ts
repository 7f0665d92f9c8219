/**
 * A language model's file: the recur model file (src/io/model-file.ts) plus what makes it a language
 * model (its tokens or character vocabulary, and the `task` entry) and what makes a run resumable (the
 * `training` entry).
 *
 *   task      {"kind": "lm", "mode": "stream" | "lines", "source": "...", "tokens"?: {...}}
 *             stream: the text is one long stream (char-rnn); lines: one sequence per line (names),
 *             each framed by the marker "\n" (SEQ_MARK), which the vocabulary must contain.
 *             tokens: the tokenizer (data/tokens), for every model but a plain character one; without
 *             it the model reads characters and its vocabulary is the file's `vocab` list, as every file
 *             written before tokenizers existed (a plain character model is still written that way, so
 *             its file is byte for byte what it was).
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
import { CharTokenizer, tokenizerFromJSON, type Tokenizer } from '../data/tokens/index.js';
import type { LmTrainingState } from './lm-resume.js';

export type { LmMode } from './lm-resume.js';
import type { LmMode } from './lm-resume.js';
export interface LmTask { kind: 'lm'; mode: LmMode; source: string }

export interface LoadedLm {
  model: Model;
  tokens: Tokenizer;
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
  const tokens = readTokens(checkpoint, what);
  const problem = lmConfigProblem(model.config, tokens.size);
  if (problem) fail(`${what}: ${problem}`);
  if (mode === 'lines') {
    const chars = lineVocab(tokens);
    if (!chars) fail(`${what} is a one-sequence-per-line model but reads ${tokens.kind} tokens, not plain characters`);
    if (chars!.index(SEQ_MARK) < 0) fail(`${what} is a one-sequence-per-line model but its vocabulary lacks the line marker`);
  }
  return { model, tokens, task: { kind: 'lm', mode: mode as LmMode, source: typeof task!.source === 'string' ? task!.source : '' }, checkpoint };
}

/** The file's tokenizer: task.tokens, or (every file before tokenizers) the characters of `vocab`. */
function readTokens(checkpoint: Checkpoint, what: string): Tokenizer {
  const stored = checkpoint.task!.tokens;
  if (stored !== undefined) {
    if (checkpoint.vocab) fail(`${what} has both a character vocabulary and a tokenizer`);
    try {
      return tokenizerFromJSON(stored);
    } catch (e) {
      return fail(`${what} ${(e as Error).message}`);
    }
  }
  if (!checkpoint.vocab || checkpoint.vocab.length === 0) return fail(`${what} has no vocabulary`);
  const vocab = new Vocab(checkpoint.vocab);
  // Ids are positions in the stored list; the Vocab class orders by code point, so the two must agree.
  if (vocab.chars.some((ch, i) => ch !== checkpoint.vocab![i])) fail(`${what} vocabulary is not in code-point order`);
  return new CharTokenizer(vocab);
}

/**
 * The characters of a plain character tokenizer (every character its own id, no <unk>), or null: what
 * one-sequence-per-line models and the playground's character views read.
 */
export function lineVocab(tokens: Tokenizer): Vocab | null {
  return tokens instanceof CharTokenizer && tokens.unk < 0 ? tokens.vocab : null;
}

/** A code-point vocabulary is the character tokenizer it implies (ids unchanged): callers holding one pass it as it is. */
export const asTokens = (t: Tokenizer | Vocab): Tokenizer => (t instanceof Vocab ? new CharTokenizer(t) : t);

/** The model file of a language model, with the run's resume record and optimizer moments when it can be continued. */
export function encodeLm(model: Model, tokenizer: Tokenizer | Vocab, task: LmTask, training: LmTrainingState | null, optimizer: OptimizerSlots | null): Uint8Array {
  const tokens = asTokens(tokenizer), chars = lineVocab(tokens);
  const stored = chars ? { vocab: [...chars.chars], task: { ...task } } : { vocab: null, task: { ...task, tokens: tokens.toJSON() } };
  return encodeModel(model, { ...stored, training: training ? { ...training } : null, optimizer });
}
