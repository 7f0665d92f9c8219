/**
 * The resume record: the `training` entry of a char-rnn model file, with everything a run needs to
 * continue bit-identically (the optimizer's moments are tensors of the same file). LmJob (recur
 * train) and the playground's Session both write it through `encodeLm(…, training)` from this one
 * type, read it with `readTrainingState` and put a run back with `restoreTraining`; nothing else
 * touches the JSON. Files written before this module (the same fields, untyped) read the same way.
 *
 * Platform-free. Every refusal is a ModelFileError with one line naming the problem.
 */
import type { Buf } from '../kernels/backend.js';
import type { Checkpoint } from '../io/checkpoint.js';
import { restoreOptimizer } from '../io/model-file.js';
import { ModelFileError } from '../io/safetensors.js';
import type { RecurrentState } from '../nn/model.js';
import type { StreamPosition } from '../data/text.js';
import type { StreamedPosition } from '../data/streamed-batcher.js';
import type { Optimizer, OptimizerName } from '../train/optim.js';
import type { Rng } from '../util/rng.js';
import type { LmWeightsRecord } from './lm-weights.js';
import { DEFAULT_SETTINGS, isInt, isNum, settingsProblem, type LmSettings } from './lm-settings.js';

export type LmMode = 'stream' | 'lines';

/**
 * The text a run trains on, so that a resumed run can check it is given the same one: lines (and
 * streams saved before issue 19) by their characters and a hash of all of them; streams by their
 * bytes and a hash of blocks spread over them (byte-source.ts fingerprint: no pass over the corpus).
 */
export interface LmDataInfo { mode: LmMode; chars?: number; bytes?: number; hash: string }

export interface LmTrainingState {
  /** Updates done. */
  step: number;
  /** Seconds of training. */
  elapsed: number;
  seed: number;
  settings: LmSettings;
  /** Where the next batch starts: {epoch, offset} of the line batcher, {epoch, streams} of the streamed one. */
  position: StreamPosition | StreamedPosition;
  /** The training generator (state resets, dropout): Rng.getState(). */
  rng: number[];
  /** The optimizer's hyper-parameters and update count: Optimizer.toJSON(). */
  optimizer: { name: OptimizerName; step: number } & Record<string, unknown>;
  /** The hidden state carried between chunks (stream mode; stateToJson), null for lines. */
  state: Record<string, unknown> | null;
  data: LmDataInfo;
  /** Best validation score and averaging count (lm-weights.ts reads it from the file itself). */
  weights?: LmWeightsRecord;
}

/** What a run is made of, for restoreTraining to set. */
export interface LmRun {
  optimizer: Optimizer;
  batcher: { position: StreamPosition } | { position: StreamedPosition };
  rng: Rng;
  /** The carried state (stream mode), or null. */
  state: RecurrentState | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read and check the training entry of a file to resume from; a ModelFileError names what is wrong. */
export function readTrainingState(ck: Checkpoint, what = 'model file'): LmTrainingState {
  const t = ck.training;
  const bad = (why: string): never => { throw new ModelFileError(`${what} training state cannot be resumed: ${why}`); };
  if (!t) return bad('the file has none (it was not written by recur train)');
  if (!isInt(t.step, 0)) bad('the step count is invalid');
  if (!isNum(t.elapsed, 0)) bad('the elapsed time is invalid');
  if (!isObj(t.settings)) return bad('the settings are missing');
  const settings = { ...DEFAULT_SETTINGS, ...t.settings } as LmSettings;
  const problem = settingsProblem(settings);
  if (problem) bad(`its settings are invalid: ${problem}`);
  if (!isObj(t.position)) bad('the data position is missing');
  if (!Array.isArray(t.rng)) bad('the random generator state is missing');
  const o = t.optimizer;
  if (!isObj(o)) return bad('the optimizer state is missing');
  const d = t.data;
  const sized = isObj(d) && (d.chars === undefined ? d.mode === 'stream' && isInt(d.bytes, 0) : isInt(d.chars, 0) && d.bytes === undefined);
  if (!isObj(d) || (d.mode !== 'stream' && d.mode !== 'lines') || !sized || typeof d.hash !== 'string') bad('the data description is invalid');
  return {
    step: t.step as number, elapsed: t.elapsed as number, seed: isInt(t.seed, 0) ? t.seed : settings.seed, settings,
    position: t.position as unknown as LmTrainingState['position'], rng: t.rng as number[], optimizer: o as LmTrainingState['optimizer'],
    state: isObj(t.state) ? t.state : null, data: d as unknown as LmDataInfo,
  };
}

/**
 * Put a run where the record left it: data position, generator, optimizer moments and update count,
 * carried state. The caller sets its own step and clock from the record.
 */
export function restoreTraining(t: LmTrainingState, ck: Checkpoint, run: LmRun, what = 'model file'): void {
  const bad = (why: string): never => { throw new ModelFileError(`${what} training state cannot be resumed: ${why}`); };
  try { (run.batcher as { position: unknown }).position = t.position; } catch (e) { bad((e as Error).message); }
  try { run.rng.setState(t.rng); } catch { bad('the random generator state is invalid'); }
  const o = t.optimizer;
  if (o.name !== run.optimizer.opts.name) bad(`the optimizer state is for ${String(o.name)}, not ${run.optimizer.opts.name}`);
  if (!isInt(o.step, 0)) bad('the optimizer step count is invalid');
  restoreOptimizer(run.optimizer, ck);
  run.optimizer.step = o.step;
  if (run.state) stateFromJson(t.state, run.state, what);
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
  const bad = (why: string): never => { throw new ModelFileError(`${what} training state cannot be resumed: the carried hidden state ${why}`); };
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
