/**
 * A language model's file: the recur model file (src/io/model-file.ts) plus what makes it a character
 * model (its vocabulary and the `task` entry) and what makes a run resumable (the `training` entry).
 *
 *   task      {"kind": "lm", "mode": "stream" | "lines", "source": "..."}
 *             stream: the text is one long stream (char-rnn); lines: one sequence per line (names),
 *             each framed by the marker "\n" (SEQ_MARK), which the vocabulary must contain.
 *   training  {step, elapsed, seed, settings, position, rng, optimizer, state, data}: enough to continue
 *             a run exactly. `state` is the hidden state carried between chunks (stream mode), stored as
 *             base64 float32 so that the resumed run starts from bit-identical numbers.
 *
 * Platform-free. Every refusal is a ModelFileError with one line naming the problem.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import { decodeModel, encodeModel } from '../io/model-file.js';
import { describeKind, excerpt } from '../io/json-guard.js';
import { ModelFileError } from '../io/safetensors.js';
import type { Checkpoint } from '../io/checkpoint.js';
import type { Model, RecurrentState } from '../nn/model.js';
import type { Optimizer } from '../train/optim.js';
import { SEQ_MARK, Vocab } from '../data/text.js';

export type LmMode = 'stream' | 'lines';
export interface LmTask { kind: 'lm'; mode: LmMode; source: string }

export interface LoadedLm {
  model: Model;
  vocab: Vocab;
  task: LmTask;
  checkpoint: Checkpoint;
}

const fail = (message: string): never => { throw new ModelFileError(message); };
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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

export function encodeLm(model: Model, vocab: Vocab, task: LmTask, training: Record<string, unknown> | null, optimizer: Optimizer | null): Uint8Array {
  return encodeModel(model, { vocab: [...vocab.chars], task: { ...task }, training, optimizer });
}

// ---------------------------------------------------------------- float32 ↔ base64 (exact, platform-free)

export function f32ToBase64(buf: ArrayLike<number>): string {
  const f = Float32Array.from(buf);
  const bytes = new Uint8Array(f.buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Decode base64 float32 data of exactly n values; null when it is not that. */
export function base64ToF32(s: unknown, n: number): Float32Array | null {
  // The exact length of base64 for 4n bytes is 4·ceil(4n/3); anything else is refused before decoding.
  if (typeof s !== 'string' || s.length !== 4 * Math.ceil((4 * n) / 3)) return null;
  let bin: string;
  try { bin = atob(s); } catch { return null; }
  if (bin.length !== 4 * n) return null;
  const bytes = new Uint8Array(4 * n);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const out = new Float32Array(bytes.buffer);
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) return null;
  return out;
}

/** The carried recurrent state as JSON (stream mode resumes from it). */
export function stateToJson(st: RecurrentState): Record<string, unknown> {
  return {
    B: st.B, h: st.h.map(f32ToBase64), c: st.c.map(f32ToBase64), fb: st.fb ? f32ToBase64(st.fb) : null, fresh: [...st.fresh],
  };
}

/** Restore a state saved by stateToJson into `st` (same model, same B); throws ModelFileError when it does not fit. */
export function stateFromJson(json: unknown, st: RecurrentState, what = 'model file'): void {
  const bad = (why: string): never => fail(`${what} training state cannot be resumed: the carried hidden state ${why}`);
  if (!isObj(json)) return bad('is missing');
  if (json.B !== st.B) bad(`is for ${String(json.B)} streams, not ${st.B}`);
  const fill = (src: unknown, dst: Buf[], name: string): void => {
    if (!Array.isArray(src) || src.length !== dst.length) bad(`has the wrong number of ${name} blocks`);
    dst.forEach((d, i) => {
      const v = base64ToF32((src as unknown[])[i], d.length);
      if (!v) bad(`block ${name}[${i}] is not ${d.length} finite float32 values`);
      d.set(v!);
    });
  };
  fill(json.h, st.h, 'h');
  fill(json.c, st.c, 'c');
  if (st.fb) fill([json.fb], [st.fb], 'fb');
  const fresh = json.fresh;
  if (!Array.isArray(fresh) || fresh.length !== st.B || !fresh.every((v) => v === 0 || v === 1)) bad('has bad fresh flags');
  st.fresh.set(fresh as number[]);
}
