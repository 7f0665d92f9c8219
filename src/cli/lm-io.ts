/**
 * What the language-model commands (train, sample, eval) share: reading a text (a file or stdin)
 * strictly, loading a model file with the path in every message, the backend flags, and cadence
 * arguments ("200" = every 200 steps, "30s" = every 30 seconds of training).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Backend } from '../kernels/backend.js';
import { decodeUtf8Strict } from '../data/text.js';
import { ModelFileError } from '../io/safetensors.js';
import { BACKEND_NAMES, createBackend, defaultThreads, type BackendName } from '../node/backend.js';
import { readFileLimited } from '../node/files.js';
import { decodeLm, type LoadedLm } from '../tasks/lm-file.js';
import { VAL_AUTO, type Every } from '../tasks/lm.js';
import { choiceArg, intArg } from './common.js';

/** Largest text we read (the whole text is held in memory several times over as ids and batches). */
export const MAX_TEXT_BYTES = 512 * 1024 ** 2;

export async function readStdin(max: number): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > max) throw new Error(`standard input is larger than the limit of ${max} bytes`);
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The text of a file ('-' = standard input): refuses an unreadable, empty or non-UTF-8 file in one line. */
export async function readText(path: string, what = 'data file'): Promise<string> {
  const name = path === '-' ? 'standard input' : `${what} ${path}`;
  let bytes: Uint8Array;
  try {
    bytes = path === '-' ? await readStdin(MAX_TEXT_BYTES) : readFileLimited(path, MAX_TEXT_BYTES, what);
  } catch (e) {
    throw new Error((e as Error).message);
  }
  if (bytes.length === 0) throw new Error(`${name} is empty`);
  try {
    return decodeUtf8Strict(bytes);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** Read a model file (a regular file, size-limited) and decode it; every refusal is one line naming the file. */
export function readModelFile<T>(path: string, decode: (bytes: Uint8Array) => T): T {
  const bytes = readFileLimited(path, undefined, 'model file');
  try {
    return decode(bytes);
  } catch (e) {
    if (e instanceof ModelFileError) throw new ModelFileError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Read and check a language model file; every problem is one line naming the file. */
export const loadLm = (path: string, be: Backend): LoadedLm => readModelFile(path, (bytes) => decodeLm(bytes, be, 'it'));

export function addBackendOptions(cmd: Command): Command {
  return cmd
    .option('--backend <name>', `kernel backend: ${BACKEND_NAMES.join(', ')} (auto = the fastest available)`, choiceArg(BACKEND_NAMES), 'auto' as BackendName)
    .option('--threads <n>', `threads for the backends that use them (default: ${defaultThreads()})`, intArg(1, 256));
}

export async function backendFrom(opts: { backend?: BackendName; threads?: number }): Promise<Backend> {
  return createBackend({ backend: opts.backend ?? 'auto', threads: opts.threads });
}

/**
 * "200" → every 200 steps; "30s" → every 30 seconds of training; "0" → never, as {steps: 0} (commander
 * turns a parser's null into ''); `never` maps that to null.
 */
export const everyArg = (v: string): Every => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s?)\s*$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected a number of steps (e.g. 200) or seconds (e.g. 30s), got '${v}'`);
  const n = Number(m[1]);
  if (m[2] === '') {
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`a number of steps must be an integer, got '${v}'`);
    return { steps: n };
  }
  return n === 0 ? { steps: 0 } : { seconds: n };
};

/** --val-every: everyArg's forms, or "auto" (tasks/lm.ts VAL_AUTO). */
export const valEveryArg = (v: string): Every => {
  if (v.trim() === 'auto') return VAL_AUTO;
  try {
    return everyArg(v);
  } catch (e) {
    const m = (e as Error).message;
    throw m.startsWith('expected ') ? new InvalidArgumentError(`expected auto, ${m.slice('expected '.length)}`) : e;
  }
};

export const never = (e: Every | undefined): Every | null => (!e || ('steps' in e && e.steps === 0) ? null : e);
