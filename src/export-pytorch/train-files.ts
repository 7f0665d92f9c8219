/**
 * The training half of `recur export --format pytorch` (model.py is the other half): the files of the
 * exported folder that train the model with PyTorch and bring it back to recur.
 *
 *   train.py     data-parallel training under torchrun (DDP; gloo on CPUs, NCCL on GPUs) with recur
 *                train's data pipeline, optimizers, clipping and schedule, writing a recur model file
 *   recur_io.py  recur model files (safetensors + recur's metadata) read and written from Python
 *   README.md    how to run it on one machine, several, and GPUs, and how the result comes back
 *
 * train.py is written for character models (the file's task kind "lm"); it refuses, in one line, a
 * model read one sequence per line. Other kinds get recur_io.py and the README only. Platform-free:
 * the files are strings (templates/), the caller writes them.
 */
import { RECUR_IO_PY } from './templates/recur-io-py.js';
import { readme } from './templates/readme-md.js';
import { TRAIN_PY } from './templates/train-py.js';

const CELL_NAMES: Record<string, string> = { elman: 'Elman', jordan: 'Jordan', 'elman+jordan': 'Elman+Jordan', lstm: 'LSTM', gru: 'GRU' };
const KIND_NAMES: Record<string, string> = { lm: 'character model', classify: 'classifier', forecast: 'forecaster', seq2seq: 'sequence-to-sequence model' };

/** "LSTM 2×256 character model": the README's title, from what the config says (anything missing is left out). */
function describe(kind: string | null, config: Record<string, unknown>): string {
  const cell = typeof config.cell === 'string' ? CELL_NAMES[config.cell] : undefined;
  const size = typeof config.layers === 'number' && typeof config.hidden === 'number' ? ` ${config.layers}×${config.hidden}` : '';
  const what = `${cell ? `${cell}${size} ` : ''}${(kind && KIND_NAMES[kind]) ?? 'model'}`;
  return what[0].toUpperCase() + what.slice(1);
}

/**
 * The exported folder's files besides model.py and config.json: name → content. `kind` is the model
 * file's task kind ("lm", "classify", "forecast", "seq2seq"; null when it has none), `config` its model
 * config (the README names the cell and size from it).
 */
export function writeTrainFiles(kind: string | null, config: Record<string, unknown>): Record<string, string> {
  const trains = kind === 'lm';
  return {
    ...(trains ? { 'train.py': TRAIN_PY } : {}),
    'recur_io.py': RECUR_IO_PY,
    'README.md': readme(describe(kind, config), trains),
  };
}
