/**
 * recur model files: a safetensors file (readable by PyTorch's safetensors library) whose
 * __metadata__ says what the tensors are.
 *
 *   format   "recur"
 *   version  "1"
 *   config   JSON object: the model config
 *   vocab    JSON array of one-code-point strings (absent for non-text models)
 *   training JSON object, optional: step, data position, RNG state, optimizer settings... (opaque here)
 *   task     JSON object, optional (opaque here)
 *
 * Model tensors carry PyTorch state_dict names. Optimizer state is stored as extra tensors named
 * `optim.<slot>.<parameter name>` (e.g. `optim.exp_avg.rnn.weight_ih_l0`), shaped like the parameter,
 * so that a plain state_dict loader can skip them by prefix.
 *
 * Platform-free. Every refusal is a ModelFileError with a one-line message.
 */
import { checkCellFields, checkConfigSizes, MAX_VOCAB } from './config-limits.js';
import { excerpt, parseFileJson } from './json-guard.js';
import { decodeSafetensors, encodeSafetensors, ModelFileError, type NamedTensor, type Tensor } from './safetensors.js';

export { ModelFileError } from './safetensors.js';
export type { Tensor } from './safetensors.js';

export const FORMAT = 'recur';
export const VERSION = '1';
const SUPPORTED_VERSIONS = [VERSION];
/** Deepest nesting of a metadata JSON field (the writer's deepest is 3: training.settings, task.tokenizer.tokens). */
const MAX_METADATA_DEPTH = 16;
export const OPTIM_PREFIX = 'optim.';

export interface Checkpoint {
  config: Record<string, unknown>;
  /** One entry per token, each a single Unicode code point; null for non-text models. */
  vocab: string[] | null;
  /** Model parameters by state_dict name. */
  tensors: Map<string, Tensor>;
  /**
   * Optimizer state by `<slot>.<parameter name>` (e.g. `exp_avg.rnn.weight_ih_l0`); the file stores
   * each under `optim.` + that key. Values may be any float (no finiteness check).
   */
  optim: Map<string, Tensor>;
  training: Record<string, unknown> | null;
  task: Record<string, unknown> | null;
  /**
   * Metadata of a model kind other than the recurrent networks (`kind`, and that kind's own fields, e.g.
   * seq2seq's src_vocab and tgt_vocab), as the raw strings; parsing them is that kind's reader's job.
   */
  extra?: Record<string, string>;
}

export interface DecodeCheckpointOptions {
  /** The metadata `kind` this reader reads (absent: the recurrent networks' files, which have none). */
  kind?: string;
  /** The parameter names and shapes the model built from `config` has; the file must match exactly. */
  expectedSpecs?: (config: unknown) => { name: string; shape: number[] }[];
  maxHeaderBytes?: number;
}

const fail = (message: string): never => { throw new ModelFileError(message); };
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** Names come from the file: quote a short excerpt so odd characters (even newlines) cannot garble a message. */
const q = excerpt;
const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const metadata: Record<string, string> = { format: FORMAT, version: VERSION, config: JSON.stringify(ck.config) };
  if (ck.vocab !== null) metadata.vocab = JSON.stringify(ck.vocab);
  if (ck.training !== null) metadata.training = JSON.stringify(ck.training);
  if (ck.task !== null) metadata.task = JSON.stringify(ck.task);
  for (const [key, v] of Object.entries(ck.extra ?? {})) {
    if (Object.hasOwn(metadata, key)) throw new Error(`metadata field ${key} is reserved`);
    metadata[key] = v;
  }
  const list: NamedTensor[] = [];
  for (const [name, t] of ck.tensors) {
    if (name.startsWith(OPTIM_PREFIX)) throw new Error(`model tensor name ${name} uses the reserved prefix ${OPTIM_PREFIX}`);
    list.push({ name, shape: t.shape, data: t.data });
  }
  for (const [key, t] of ck.optim) list.push({ name: OPTIM_PREFIX + key, shape: t.shape, data: t.data });
  return encodeSafetensors(list, metadata);
}

/** Parse one JSON metadata field; `check` says whether the value has the right type. */
function parseField<T>(metadata: Record<string, string>, key: string, what: string, check: (v: unknown) => v is T): T | null {
  if (!Object.prototype.hasOwnProperty.call(metadata, key)) return null;
  const value = parseFileJson(metadata[key], `model file metadata "${key}"`, MAX_METADATA_DEPTH);
  if (!check(value)) fail(`model file metadata "${key}" is not ${what}`);
  return value as T;
}

function checkVocab(vocab: unknown): string[] {
  if (!Array.isArray(vocab)) return fail('model file vocab is not a JSON array');
  if (vocab.length > MAX_VOCAB) fail(`model file vocab has ${vocab.length} entries, more than the ${MAX_VOCAB} code points there are`);
  const seen = new Set<string>();
  vocab.forEach((s: unknown, i) => {
    // A token is one code point: [...s] splits a string into code points (surrogate pairs stay whole).
    if (typeof s !== 'string' || [...s].length !== 1) fail(`model file vocab entry ${i} is not a single character: ${excerpt(s)}`);
    if (seen.has(s as string)) fail(`model file vocab has a duplicate entry ${excerpt(s)} at ${i}`);
    seen.add(s as string);
  });
  return vocab as string[];
}

function checkFinite(name: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) fail(`model tensor ${q(name)} contains ${data[i]} at index ${i}; the model is corrupt (training diverged?)`);
  }
}

/** The file's parameter list must equal the model's, name for name and shape for shape. */
function checkSpecs(tensors: Map<string, Tensor>, specs: { name: string; shape: number[] }[]): void {
  const expected = new Set<string>();
  for (const s of specs) {
    expected.add(s.name);
    const t = tensors.get(s.name);
    if (!t) fail(`model file is missing tensor ${q(s.name)} (shape ${fmtShape(s.shape)}) that this model config needs`);
    else if (!sameShape(t.shape, s.shape)) fail(`tensor ${q(s.name)} has shape ${fmtShape(t.shape)} but the model config needs ${fmtShape(s.shape)}`);
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) fail(`model file has tensor ${q(name)} that this model config does not have`);
  }
}

export function decodeCheckpoint(bytes: Uint8Array, opts: DecodeCheckpointOptions = {}): Checkpoint {
  const { tensors: all, metadata } = decodeSafetensors(bytes, { maxHeaderBytes: opts.maxHeaderBytes });

  if (metadata.format !== FORMAT) fail(`not a recur model file (metadata format is ${excerpt(metadata.format ?? null)})`);
  if (!SUPPORTED_VERSIONS.includes(metadata.version)) {
    fail(`unsupported recur model file version ${excerpt(metadata.version ?? null)} (this build reads version ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  if (metadata.kind !== opts.kind) {
    fail(metadata.kind === undefined ? `model file is a recurrent network, not a ${opts.kind} model`
      : `model file is a ${excerpt(metadata.kind)} model, which ${opts.kind === undefined ? 'this command does not read' : `is not a ${opts.kind} model`}`);
  }
  const config = parseField(metadata, 'config', 'a JSON object', isPlainObject);
  if (config === null) return fail('model file has no config in its metadata');
  // Before the config is used for anything: it sizes the tensor list and, later, the model.
  checkConfigSizes(config);
  checkCellFields(config);
  const vocabField = parseField(metadata, 'vocab', 'a JSON array', Array.isArray);
  const vocab = vocabField === null ? null : checkVocab(vocabField);
  const training = parseField(metadata, 'training', 'a JSON object', isPlainObject);
  const task = parseField(metadata, 'task', 'a JSON object', isPlainObject);

  const tensors = new Map<string, Tensor>();
  const optim = new Map<string, Tensor>();
  for (const [name, t] of all) {
    if (name.startsWith(OPTIM_PREFIX)) optim.set(name.slice(OPTIM_PREFIX.length), t);
    else tensors.set(name, t);
  }

  if (opts.expectedSpecs) {
    let specs: { name: string; shape: number[] }[];
    try {
      specs = opts.expectedSpecs(config);
    } catch (e) {
      // A config that parses but describes no valid model is a bad file, not a program error.
      // The reason may quote the config; keep the line short whatever the file holds.
      const why = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
      return fail(`model file config is not usable: ${why.length > 200 ? `${why.slice(0, 199)}…` : why}`);
    }
    checkSpecs(tensors, specs);
  }
  for (const [name, t] of tensors) checkFinite(name, t.data);

  // Each optimizer tensor is `<slot>.<parameter>` and must be shaped like its parameter.
  for (const [key, t] of optim) {
    const dot = key.indexOf('.');
    const param = dot > 0 ? tensors.get(key.slice(dot + 1)) : undefined;
    if (!param) fail(`optimizer tensor ${q(OPTIM_PREFIX + key)} does not name a slot and a model tensor`);
    else if (!sameShape(param.shape, t.shape)) {
      fail(`optimizer tensor ${q(OPTIM_PREFIX + key)} has shape ${fmtShape(t.shape)} but its parameter has ${fmtShape(param.shape)}`);
    }
  }

  const known = ['format', 'version', 'config', 'vocab', 'training', 'task'];
  const extra = Object.fromEntries(Object.entries(metadata).filter(([key]) => !known.includes(key)));
  return { config, vocab, tensors, optim, training, task, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}
