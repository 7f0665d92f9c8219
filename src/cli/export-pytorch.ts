/**
 * `recur export --format pytorch --model m.safetensors --out dir/`: the model as a small Python package
 * (src/export-pytorch/files.ts) in the folder `--out`, made if it does not exist (its parent must). Each file
 * goes through the output check and is written atomically.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pytorchFiles } from '../export-pytorch/files.js';
import { atomicWriteFile } from '../node/files.js';
import { checkOutputPath, jsonLine, out, UsageError } from './common.js';
import { readModelFile } from './lm-io.js';

export function exportPytorch(opts: { model: string; out: string; json?: boolean }): void {
  const st = statSync(opts.out, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new UsageError(`--out ${opts.out}: a PyTorch export is a folder, and this is a file`);
  if (!st) checkOutputPath(opts.out, '--out', { '--model': opts.model });
  const { kind, files } = readModelFile(opts.model, pytorchFiles);
  // An existing folder: each file it would replace is checked (the model file itself among them?); a new one is made.
  if (st) for (const name of Object.keys(files)) checkOutputPath(join(opts.out, name), '--out', { '--model': opts.model });
  else mkdirSync(opts.out);
  for (const [name, text] of Object.entries(files)) atomicWriteFile(join(opts.out, name), new TextEncoder().encode(text));
  const names = Object.keys(files);
  if (opts.json) jsonLine({ out: opts.out, kind, files: names });
  else out(`wrote ${opts.out}: ${names.join(', ')} (${kind === 'seq2seq' ? 'a seq2seq model' : 'a recurrent model'}; see model.py's docstring)\n`);
}
