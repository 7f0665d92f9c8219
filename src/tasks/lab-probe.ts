/**
 * The sequence `recur lab gradflow` sends through a model to watch ‖∂L/∂h_t‖: the lab task's own
 * data for a lab model, the characters of a given text for a character model (its last character is
 * the target), or random inputs and targets otherwise. Platform-free.
 */
import type { Batch, Model } from '../nn/model.js';
import type { Rng } from '../util/rng.js';
import { labBatch, type LabTask } from './lab.js';

/** A probe that the options cannot make (the CLI reports it as a usage error). */
export class ProbeError extends Error {}

/** A model, with the lab task it was trained on (if any), the sequence length it used and its vocabulary. */
export interface ProbeModel { model: Model; task: LabTask | null; length: number | null; vocab: string[] | null }

export interface ProbeOptions {
  /** Sequence length (copy task: the delay); default the model's own, or 100. */
  length?: number;
  /** Sequences (random and lab probes). */
  batch: number;
  text?: string;
}

/** The probe sequence: the lab task's own data, a given text, or random inputs (see the command help). */
export function probeBatch(src: ProbeModel, o: ProbeOptions, rng: Rng): Batch {
  const c = src.model.config;
  if (src.task && (o.text === undefined)) {
    const length = o.length ?? src.length;
    if (!length) throw new ProbeError('give the sequence length with --length');
    return labBatch(src.task, length, o.batch, rng);
  }
  const every = c.outputMode === 'every', B = o.text !== undefined ? 1 : o.batch;
  let T = o.length ?? 100, tokens: Int32Array | undefined, inputs: Float32Array | undefined;
  let last: number | null = null;
  if (o.text !== undefined) {
    if (c.inputKind !== 'tokens' || !src.vocab) throw new ProbeError('--text needs a model with a character vocabulary');
    const index = new Map(src.vocab.map((s, i) => [s, i]));
    const chars = [...o.text];
    if (chars.length < 2) throw new ProbeError('--text needs at least two characters (inputs, and the next one as the target)');
    const ids = chars.map((ch) => {
      const id = index.get(ch);
      if (id === undefined) throw new ProbeError(`--text: the character ${JSON.stringify(ch)} is not in the model's vocabulary`);
      return id;
    });
    if (every) {
      // Inputs are every character but the last; the last one is the target of the final prediction.
      T = ids.length - 1;
      tokens = Int32Array.from(ids.slice(0, T));
      last = ids[T];
    } else {
      // A model with one output at the end (a classifier) reads the whole text; its class is drawn at random.
      T = ids.length;
      tokens = Int32Array.from(ids);
    }
  } else if (c.inputKind === 'tokens') {
    tokens = new Int32Array(T * B);
    for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(c.inputSize);
  } else {
    inputs = new Float32Array(T * B * c.inputSize);
    for (let i = 0; i < inputs.length; i++) inputs[i] = rng.normal();
  }
  const batch: Batch = { T, B, tokens, inputs };
  const rows = every ? T * B : B;
  if (c.head === 'softmax') {
    const targets = new Int32Array(rows);
    for (let i = 0; i < rows; i++) targets[i] = rng.int(c.outputSize);
    if (last !== null) {
      if (last >= c.outputSize) throw new ProbeError('the last character of --text is not one of the model\'s output classes');
      targets[rows - 1] = last;
    }
    batch.targets = targets;
  } else batch.targetValues = new Float32Array(rows * c.outputSize);
  return batch;
}
