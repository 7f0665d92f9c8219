/**
 * `recur export --format onnx --model m.safetensors --out m.onnx`: a recur model as an ONNX graph that
 * onnxruntime (Node, browser, Python) runs; the graph's interface is in the README ("ONNX"). A seq2seq
 * model becomes an encoder graph and a one-step decoder graph (export-seq2seq.ts).
 */
import type { Command } from 'commander';
import { decodeCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import { decodeModel, type LoadedModel } from '../io/model-file.js';
import { decodeSafetensors, ModelFileError } from '../io/safetensors.js';
import { decodeSeq2Seq, SEQ2SEQ_KIND } from '../io/seq2seq-file.js';
import { Seq2Seq } from '../nn/seq2seq/model.js';
import { writeSeq2SeqOnnx } from './export-seq2seq.js';
import { JsBackend } from '../kernels/js.js';
import { atomicWriteFile } from '../node/files.js';
import { exportOnnx } from '../onnx/export.js';
import { checkOutputPath, choiceArg, jsonLine, out, run, UsageError } from './common.js';
import { exportPytorch } from './export-pytorch.js';
import { readModelFile } from './lm-io.js';

interface ExportOpts { format: 'onnx' | 'pytorch'; model: string; config?: string; out: string; lengths?: boolean; json?: boolean }

export function register(program: Command): void {
  program
    .command('export')
    .description('Write a recur model in another format: an ONNX graph (opset 14) for onnxruntime, or a PyTorch module (a folder: model.py, config.json).')
    .option('--model <file>', 'model file written by recur train, classify, forecast or seq2seq train')
    .option('--config <file>', 'pytorch only, instead of --model: a JSON object of model settings ({"cell": "lstm", "hidden": 512, ...}); train.py takes the vocabulary from its --data')
    .requiredOption('--out <file>', 'ONNX file to write (a seq2seq model: a prefix, for PREFIX.encoder.onnx and PREFIX.decoder.onnx; pytorch: the folder)')
    .option('--format <name>', 'output format: onnx or pytorch', choiceArg(['onnx', 'pytorch'] as const), 'onnx')
    .option('--lengths', 'give the graph a lengths input for padded batches (default: classifiers and forecasters have one)')
    .option('--json', 'print one JSON object {out, inputs, outputs, bytes} (seq2seq: {encoder, decoder} of those)')
    .action(run(async (opts: ExportOpts) => (opts.format === 'pytorch' ? exportPytorch(opts) : exportModel(opts))));
}

function exportModel(opts: ExportOpts): void {
  if (opts.config !== undefined) throw new UsageError('--config is for --format pytorch; an ONNX export needs a trained --model');
  if (opts.model === undefined) throw new UsageError('--model is required');
  checkOutputPath(opts.out, '--out', { '--model': opts.model });
  // The one kind of recur model file without a recurrent model (classify/forecast baselines) says so first.
  const model: LoadedModel | Seq2Seq = readModelFile(opts.model, (bytes) => {
    if (decodeSafetensors(bytes).metadata.kind === SEQ2SEQ_KIND) return decodeSeq2Seq(bytes, new JsBackend('f32')).model;
    if ((decodeCheckpoint(bytes).config as { kind?: unknown }).kind === 'mlp') {
      throw new ModelFileError('holds a feed-forward baseline, which has no recurrent graph to export');
    }
    return decodeModel(bytes, new JsBackend('f32'));
  });
  if (model instanceof Seq2Seq) return writeSeq2SeqOnnx(model, opts);
  const r = exportOnnx(model.model, { lengths: opts.lengths ? true : undefined, metadata: exportMetadata(model.checkpoint) });
  atomicWriteFile(opts.out, r.bytes);
  if (opts.json) jsonLine({ out: opts.out, inputs: r.inputs, outputs: r.outputs, bytes: r.bytes.length });
  else out(`wrote ${opts.out} (${r.bytes.length} bytes): inputs ${r.inputs.join(', ')}; outputs ${r.outputs.join(', ')}\n`);
}

/**
 * What the graph's caller needs from the model file: a char-LM's symbols (`recur.vocab`, in token-id order),
 * and the task's description (`recur.task`: a classifier's classes, tokenizer and maxLen; a forecaster's
 * scaler, horizon, season and calendar features), as the file stores them.
 */
function exportMetadata(ck: Checkpoint): Record<string, string> {
  return { ...(ck.vocab ? { 'recur.vocab': JSON.stringify(ck.vocab) } : {}), ...(ck.task ? { 'recur.task': JSON.stringify(ck.task) } : {}) };
}
