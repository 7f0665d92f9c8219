/**
 * `recur export --format pytorch --model m.safetensors --out dir/`: the model as a small Python package
 * (src/export-pytorch/files.ts) in the folder `--out`, made if it does not exist (its parent must). Each file
 * goes through the output check and is written atomically.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pytorchFiles, pytorchFilesFromConfig, type PytorchExport } from '../export-pytorch/files.js';
import { atomicWriteFile } from '../node/files.js';
import { checkOutputPath, jsonLine, out, UsageError } from './common.js';
import { readModelFile } from './lm-io.js';

export function exportPytorch(opts: { model?: string; config?: string; out: string; json?: boolean }): void {
  if ((opts.model === undefined) === (opts.config === undefined)) throw new UsageError('give one of --model (a recur model file) or --config (a JSON file of model settings)');
  const input = opts.model !== undefined ? { '--model': opts.model } : { '--config': opts.config! };
  const st = statSync(opts.out, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new UsageError(`--out ${opts.out}: a PyTorch export is a folder, and this is a file`);
  if (!st) checkOutputPath(opts.out, '--out', input);
  const { kind, files } = opts.model !== undefined ? readModelFile(opts.model, pytorchFiles) : fromConfig(opts.config!);
  // An existing folder: each file it would replace is checked (the model file itself among them?); a new one is made.
  if (st) for (const name of Object.keys(files)) checkOutputPath(join(opts.out, name), '--out', input);
  else mkdirSync(opts.out);
  for (const [name, text] of Object.entries(files)) atomicWriteFile(join(opts.out, name), new TextEncoder().encode(text));
  const names = Object.keys(files);
  if (opts.json) jsonLine({ out: opts.out, kind, files: names });
  else out(`wrote ${opts.out}: ${names.join(', ')} (${kind === 'seq2seq' ? 'a seq2seq model' : 'a recurrent model'}; see model.py's docstring)\n`);
}

/** --config: a JSON file of model settings, read with a size cap (it is untrusted input like a model file). */
function fromConfig(path: string): PytorchExport {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--config ${path}: not a regular file`);
    if (st.size > 1 << 20) throw new UsageError(`--config ${path}: ${st.size} bytes is too large for a file of model settings`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--config ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return pytorchFilesFromConfig(text, `--config ${path}`);
}
