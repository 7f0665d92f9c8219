/**
 * `recur export --format onnx` of a seq2seq model file: two graphs (onnx/export-seq2seq.ts), written as
 * PREFIX.encoder.onnx and PREFIX.decoder.onnx where PREFIX is --out (a trailing `.onnx` dropped), each
 * through the output check and an atomic write.
 */
import type { Seq2Seq } from '../nn/seq2seq/model.js';
import { atomicWriteFile } from '../node/files.js';
import { exportSeq2SeqOnnx } from '../onnx/export-seq2seq.js';
import { checkOutputPath, jsonLine, out } from './common.js';

/** The two files a seq2seq export writes for --out. */
export function seq2seqOutputs(prefix: string): { encoder: string; decoder: string } {
  const p = prefix.endsWith('.onnx') ? prefix.slice(0, -'.onnx'.length) : prefix;
  return { encoder: `${p}.encoder.onnx`, decoder: `${p}.decoder.onnx` };
}

export function writeSeq2SeqOnnx(model: Seq2Seq, opts: { model: string; out: string; json?: boolean }): void {
  const files = seq2seqOutputs(opts.out);
  for (const f of Object.values(files)) checkOutputPath(f, '--out', { '--model': opts.model });
  const graphs = exportSeq2SeqOnnx(model);
  atomicWriteFile(files.encoder, graphs.encoder.bytes);
  atomicWriteFile(files.decoder, graphs.decoder.bytes);
  const info = (part: 'encoder' | 'decoder') => ({ out: files[part], inputs: graphs[part].inputs, outputs: graphs[part].outputs, bytes: graphs[part].bytes.length });
  if (opts.json) { jsonLine({ encoder: info('encoder'), decoder: info('decoder') }); return; }
  for (const part of ['encoder', 'decoder'] as const) {
    const g = graphs[part];
    out(`wrote ${files[part]} (${g.bytes.length} bytes): inputs ${g.inputs.join(', ')}; outputs ${g.outputs.join(', ')}\n`);
  }
}
