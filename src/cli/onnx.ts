/**
 * `recur onnx check DIR`: run ONNX backend tests (a folder with model.onnx and test_data_set_N folders, or a
 * folder of such folders) through recur and print, per output, the largest absolute difference from the
 * expected tensors. Exit 1 when any element is off by more than atol + rtol·|expected|, or a test holds
 * a graph recur cannot run.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BackendName } from '../node/backend.js';
import { readFileLimited } from '../node/files.js';
import { checkDataSet, type OutputCheck } from '../onnx/check.js';
import { OnnxUnsupported } from '../onnx/recurrent-node.js';
import { jsonLine, numArg, out, printable, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom } from './lm-io.js';

interface CheckOpts { json?: boolean; atol: number; rtol: number; backend: BackendName; threads?: number }

interface TestResult { test: string; dataSet?: string; outputs?: OutputCheck[]; error?: string; pass: boolean }

export function register(program: Command): void {
  const onnx = program.command('onnx').description('ONNX tools: run ONNX\'s backend tests through recur.');
  const cmd = onnx
    .command('check <dir>')
    .description('Run ONNX backend tests (model.onnx + test_data_set_*) through recur; exit 1 when an output differs.')
    .option('--json', 'print one JSON object per data set, then a summary')
    .option('--atol <x>', 'absolute tolerance', numArg(0), 1e-5)
    .option('--rtol <x>', 'relative tolerance', numArg(0), 1e-4);
  addBackendOptions(cmd).action(run(async (dir: string, opts: CheckOpts) => check(dir, opts)));
}

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
const sorted = (dir: string, re: RegExp): string[] =>
  readdirSync(dir).filter((f) => re.test(f)).sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));

/** The test folders under `dir`: itself when it holds a model.onnx, else its sub-folders that do. */
function testDirs(dir: string): string[] {
  if (!isDir(dir)) throw new UsageError(`${dir} is not a folder`);
  if (existsSync(join(dir, 'model.onnx'))) return [dir];
  const dirs = readdirSync(dir).sort().map((d) => join(dir, d)).filter((d) => existsSync(join(d, 'model.onnx')));
  if (dirs.length === 0) throw new UsageError(`${dir} holds no model.onnx, nor folders that do`);
  return dirs;
}

async function check(dir: string, opts: CheckOpts): Promise<void> {
  const be = await backendFrom(opts), tol = { atol: opts.atol, rtol: opts.rtol }, results: TestResult[] = [];
  const read = (p: string): Uint8Array => readFileLimited(p, undefined, 'ONNX file');
  for (const t of testDirs(dir)) {
    const test = basename(t), model = read(join(t, 'model.onnx'));
    const sets = readdirSync(t).filter((d) => d.startsWith('test_data_set_') && isDir(join(t, d))).sort();
    if (sets.length === 0) results.push({ test, error: 'no test_data_set_* folder', pass: false });
    for (const s of sets) {
      const ds = join(t, s);
      try {
        const outputs = checkDataSet(be, model, sorted(ds, /^input_\d+\.pb$/).map((f) => read(join(ds, f))),
          sorted(ds, /^output_\d+\.pb$/).map((f) => read(join(ds, f))), tol);
        results.push({ test, dataSet: s, outputs, pass: outputs.every((o) => o.pass) });
      } catch (e) {
        if (!(e instanceof OnnxUnsupported) && !(e instanceof Error)) throw e;
        results.push({ test, dataSet: s, error: (e as Error).message, pass: false });
      }
      const r = results[results.length - 1];
      if (opts.json) jsonLine({ ...r });
      else if (r.error) out(`${printable(test)} ${s}: FAIL ${printable(r.error)}\n`);
      else for (const o of r.outputs!) out(`${printable(test)} ${s} ${printable(o.name)}: max |diff| ${o.maxAbsDiff.toExponential(2)} ${o.pass ? 'ok' : 'FAIL'}\n`);
    }
  }
  const failed = results.filter((r) => !r.pass).length;
  if (opts.json) jsonLine({ summary: true, dataSets: results.length, failed, atol: tol.atol, rtol: tol.rtol });
  else out(`${results.length - failed} of ${results.length} data sets pass (atol ${tol.atol}, rtol ${tol.rtol})\n`);
  if (failed > 0) process.exitCode = 1;
}
