/**
 * What a model config read from a file may say, checked before the config is used for anything:
 * every size is bounded (a 26 KB file saying `layers: 1e9` made the readers list a billion layers'
 * tensors, then build them), and a recurrent config names no setting its cell does not have (an
 * `activation` on an LSTM would be ignored silently, so the file does not mean what it says).
 *
 * The sizes are matched by key at any depth, so configs that nest others (an encoder and a decoder)
 * are bounded by the same table. The tensors a bounded config implies are then compared with the
 * file's, name for name and shape for shape (checkpoint.ts), before any model is built.
 *
 * Platform-free. Every refusal is a ModelFileError with a one-line message.
 */
import { ModelFileError } from './model-file-error.js';
import { excerpt } from './json-guard.js';

/**
 * Largest value of each size a file may give: well above what any command trains (the CLI caps
 * layers at 64 and hidden at 8192; a classifier's vocabulary at 10 million tokens), far below what
 * would exhaust memory before the tensors are compared with the file.
 */
export const CONFIG_LIMITS: Readonly<Record<string, number>> = {
  layers: 256,
  hidden: 65536,
  inputSize: 2 ** 24,
  outputSize: 2 ** 24,
  embed: 65536,
  window: 65536,
};
/** Most extra recurrences (lags) a layer may have; each lag is at most 4096 (nn/config.ts). */
export const MAX_LAGS = 64;
/** Most entries in a character vocabulary: there are 0x110000 code points. */
export const MAX_VOCAB = 0x110000;

const fail = (message: string): never => { throw new ModelFileError(message); };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Refuse a config (or any object nested in it) whose sizes exceed CONFIG_LIMITS; an explicit stack, no recursion. */
export function checkConfigSizes(config: Record<string, unknown>): void {
  const todo: unknown[] = [config];
  while (todo.length > 0) {
    const o = todo.pop();
    if (!isObject(o)) continue;
    for (const [key, v] of Object.entries(o)) {
      const limit = Object.hasOwn(CONFIG_LIMITS, key) ? CONFIG_LIMITS[key] : undefined;
      if (limit !== undefined && typeof v === 'number' && !(v <= limit)) {
        fail(`model file config has ${key} ${excerpt(v)}, more than the limit of ${limit}`);
      }
      if (key === 'lags' && Array.isArray(v) && v.length > MAX_LAGS) fail(`model file config has ${v.length} lags, more than the limit of ${MAX_LAGS}`);
      if (isObject(v)) todo.push(v);
    }
  }
}

const SIMPLE_CELLS = ['elman', 'jordan', 'elman+jordan'];
const JORDAN_CELLS = ['jordan', 'elman+jordan'];
/** What the writer stores for the settings a cell does not have (every field of the config is written). */
const UNUSED_VALUES: Readonly<Record<string, unknown>> = { activation: 'tanh', jordanFeed: 'output' };

/**
 * A recurrent config (one with a `cell`) must leave the settings its cell lacks at the value the
 * writer stores for them: LSTM and GRU have fixed gate nonlinearities and no lags; only Jordan
 * cells feed back, so only they choose what.
 */
export function checkCellFields(config: Record<string, unknown>): void {
  const cell = config.cell;
  if (typeof cell !== 'string') return;
  const foreign = (key: string): void => {
    if (Object.hasOwn(config, key) && config[key] !== UNUSED_VALUES[key]) {
      fail(`model file config gives the ${excerpt(cell)} cell ${key} ${excerpt(config[key])}, which that cell does not have`);
    }
  };
  if (!SIMPLE_CELLS.includes(cell)) {
    foreign('activation');
    if (Array.isArray(config.lags) && config.lags.length > 0) fail(`model file config gives the ${excerpt(cell)} cell lags, which that cell does not have`);
  }
  if (!JORDAN_CELLS.includes(cell)) foreign('jordanFeed');
}
