/**
 * What `recur export --format pytorch` writes for a model file: model.py (the model as an nn.Module,
 * model-py.ts or seq2seq-py.ts), config.json (the file's config and vocabularies, which build(config)
 * reads) and train-files.ts's train.py, recur_io.py and README.md, as name → text. The bytes are read through the hardened model-file readers first: the file is
 * untrusted input, and nothing is generated from a config they refuse.
 */
import { decodeCheckpoint } from '../io/checkpoint.js';
import { decodeModel } from '../io/model-file.js';
import { ModelFileError, decodeSafetensors } from '../io/safetensors.js';
import { SEQ2SEQ_KIND, decodeSeq2Seq } from '../io/seq2seq-file.js';
import { JsBackend } from '../kernels/js.js';
import { checkCellFields, checkConfigSizes } from '../io/config-limits.js';
import { parseFileJson } from '../io/json-guard.js';
import { ConfigError, makeConfig, type ModelConfig } from '../nn/config.js';
import { modelPy } from './model-py.js';
import { seq2seqPy } from './seq2seq-py.js';
import { writeTrainFiles } from './train-files.js';

export type PytorchKind = 'recurrent' | 'seq2seq';

export interface PytorchExport {
  kind: PytorchKind;
  /** The file's task kind ('lm', 'classify', 'forecast', 'seq2seq'; null when it names none) and model config. */
  taskKind: string | null;
  config: Record<string, unknown>;
  /** File name → contents. */
  files: Record<string, string>;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export function pytorchFiles(bytes: Uint8Array): PytorchExport {
  // Shapes only: the model is built to validate the file, never run, so float32 on the JS backend is enough.
  const be = new JsBackend('f32');
  if (decodeSafetensors(bytes).metadata.kind === SEQ2SEQ_KIND) {
    const { model, srcVocab, tgtVocab, task } = decodeSeq2Seq(bytes, be);
    const config = { kind: SEQ2SEQ_KIND, config: model.config, src_vocab: srcVocab, tgt_vocab: tgtVocab, task };
    return { kind: 'seq2seq', taskKind: SEQ2SEQ_KIND, config: { ...model.config }, files: { 'model.py': seq2seqPy(model.config), 'config.json': json(config), ...writeTrainFiles(SEQ2SEQ_KIND, { ...model.config }) } };
  }
  if ((decodeCheckpoint(bytes).config as { kind?: unknown }).kind === 'mlp') {
    throw new ModelFileError('holds a feed-forward baseline, which has no recurrent model to export');
  }
  const { model, checkpoint } = decodeModel(bytes, be);
  // The config with recur's defaults filled in (a file may predate a setting): every key build() reads is there.
  const config = { config: model.config, vocab: checkpoint.vocab, task: checkpoint.task };
  // Character models say `kind` ('lm'), classifiers and forecasters `type`.
  const task = checkpoint.task, named = task?.kind ?? task?.type;
  return {
    kind: 'recurrent', taskKind: typeof named === 'string' ? named : null, config: { ...model.config },
    files: { 'model.py': modelPy(model.config), 'config.json': json(config), ...writeTrainFiles(typeof named === 'string' ? named : null, { ...model.config }) },
  };
}

/**
 * The same folder for a model that does not exist yet: `arch` is the text of a JSON object of recur model
 * config fields (`{"cell": "lstm", "hidden": 512, "layers": 2, "embed": 64}`; the rest take recur's
 * defaults), checked like a model file's config. A character model's sizes come from its text, so
 * config.json has no vocabulary and train.py takes the characters of --data (inputSize/outputSize are
 * placeholders it replaces).
 */
export function pytorchFilesFromConfig(arch: string, what: string): PytorchExport {
  const parsed = parseFileJson(arch, what, 4);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ModelFileError(`${what} is not a JSON object of model settings`);
  const fields = parsed as Record<string, unknown>;
  checkConfigSizes(fields);
  checkCellFields(fields);
  let config: ModelConfig;
  try {
    config = makeConfig({ inputSize: 1, outputSize: 1, inputKind: 'tokens', head: 'softmax', outputMode: 'every', ...(fields as Partial<ModelConfig>) });
  } catch (e) {
    if (e instanceof ConfigError) throw new ModelFileError(`${what}: ${e.message}`);
    throw e;
  }
  if (config.inputKind !== 'tokens' || config.head !== 'softmax' || config.outputMode !== 'every' || config.bidirectional) {
    throw new ModelFileError(`${what}: train.py trains character models (token inputs, a softmax at every step, one direction)`);
  }
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    kind: 'recurrent', taskKind: 'lm', config: { ...config },
    files: { 'model.py': modelPy(config), 'config.json': json({ config, vocab: null, task: { kind: 'lm', mode: 'stream' } }), ...writeTrainFiles('lm', { ...config }) },
  };
}
