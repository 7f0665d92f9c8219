/**
 * `recur bench`: which kernel backends this machine can run (and why not, for the others), which one
 * `--backend auto` picks, and a few seconds of training and sampling on each, in characters per
 * second. A quick check of an installation; `npm run bench` in a checkout measures the full
 * workloads against PyTorch, TensorFlow.js and brain.js.
 */
import type { Command } from 'commander';
import { arch, cpus, platform } from 'node:os';
import type { Backend } from '../kernels/backend.js';
import { Model } from '../nn/model.js';
import { BACKEND_NAMES, createBackend, defaultThreads, describeBackend, type BackendName } from '../node/backend.js';
import { Optimizer } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import { Rng } from '../util/rng.js';
import { VERSION } from '../version.js';
import { choiceArg, intArg, jsonLine, numArg, run } from './common.js';

interface BenchOpts { backend: BackendName[]; threads?: number; seconds: number; json?: boolean; measure: boolean }

const V = 83, HIDDEN = 256, BATCH = 32, SEQ = 64;

export function register(program: Command): void {
  program
    .command('bench')
    .description('Show the kernel backends this machine can run, and how fast each trains and samples an LSTM-256 character model.')
    .option('--backend <names...>', `backends to measure: ${BACKEND_NAMES.filter((b) => b !== 'auto').join(', ')} (default: the compiled ones that load)`,
      (v: string, prev: BackendName[] | undefined) => [...(prev ?? []), choiceArg(BACKEND_NAMES.filter((b) => b !== 'auto'))(v)])
    .option('--threads <n>', `threads for the backends that use them (default: ${defaultThreads()})`, intArg(1, 256))
    .option('--seconds <s>', 'measuring time per figure', numArg(0.2, 600), 2)
    .option('--no-measure', 'only list the backends')
    .option('--json', 'one JSON line per result instead of a table')
    .action(run(async (opts: BenchOpts) => bench(opts)));
}

async function bench(opts: BenchOpts): Promise<void> {
  const threads = opts.threads ?? defaultThreads();
  const say = (s: string): void => { if (!opts.json) process.stdout.write(s); };
  say(`recur ${VERSION}, node ${process.version}, ${platform()} ${arch()}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'})\n`);
  const auto = await createBackend({ backend: 'auto', threads });
  say(`--backend auto picks: ${describeBackend(auto)}\n\nbackends:\n`);
  const loaded = new Map<string, Backend>();
  for (const name of ['native', 'wasm', 'js'] as const) {
    try {
      const be = await createBackend({ backend: name, threads });
      loaded.set(name, be);
      say(`  ${name.padEnd(7)} ${describeBackend(be)}\n`);
      if (opts.json) jsonLine({ event: 'backend', name, available: true, describe: describeBackend(be) });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      say(`  ${name.padEnd(7)} not available: ${why}\n`);
      if (opts.json) jsonLine({ event: 'backend', name, available: false, why });
    }
  }
  if (!opts.measure) return;
  const wanted = opts.backend ?? [...loaded.keys()].filter((n) => n !== 'js' || loaded.size === 1);
  say(`\nLSTM ${HIDDEN}, one-hot input of ${V} symbols; training: batch ${BATCH} × ${SEQ} steps, Adam, clipping; sampling: one stream\n`);
  say(`${'backend'.padEnd(34)} ${'train (chars/s)'.padStart(16)} ${'sample (chars/s)'.padStart(17)}\n`);
  for (const name of wanted) {
    const be = loaded.get(name);
    if (!be) { say(`${name.padEnd(34)} not available\n`); continue; }
    const train = trainSpeed(be, opts.seconds), sample = sampleSpeed(be, opts.seconds);
    say(`${describeBackend(be).padEnd(34)} ${Math.round(train).toLocaleString('en-US').padStart(16)} ${Math.round(sample).toLocaleString('en-US').padStart(17)}\n`);
    if (opts.json) jsonLine({ event: 'speed', backend: name, describe: describeBackend(be), threads, trainCharsPerSec: Math.round(train), sampleCharsPerSec: Math.round(sample) });
  }
}

function lstm(be: Backend): Model {
  return new Model({ cell: 'lstm', hidden: HIDDEN, inputKind: 'tokens', inputSize: V, embed: 0, outputSize: V, head: 'softmax', outputMode: 'every' }, be).init(new Rng(1));
}

/** Calls `f` (one unit of `size` characters) for about `seconds` after a short warm-up; characters per second. */
function rate(seconds: number, size: number, f: () => void): number {
  const warm = performance.now() + Math.min(1000, seconds * 250);
  do f(); while (performance.now() < warm);
  let n = 0;
  const t0 = performance.now();
  do { f(); n++; } while (performance.now() - t0 < seconds * 1000);
  return (n * size) / ((performance.now() - t0) / 1000);
}

function trainSpeed(be: Backend, seconds: number): number {
  const model = lstm(be), rng = new Rng(2);
  const trainer = new Trainer(model, new Optimizer(be, model.params, { name: 'adam', lr: 2e-3 }), { clipNorm: 5 });
  const tokens = Int32Array.from({ length: SEQ * BATCH }, () => rng.int(V));
  const targets = Int32Array.from({ length: SEQ * BATCH }, () => rng.int(V));
  const state = model.newState(BATCH);
  return rate(seconds, SEQ * BATCH, () => { trainer.step({ T: SEQ, B: BATCH, tokens, targets }, state); });
}

function sampleSpeed(be: Backend, seconds: number): number {
  const model = lstm(be), rng = new Rng(3), probs = be.alloc(V), state = model.newState(1);
  let cur = 0;
  return rate(seconds, 100, () => {
    for (let i = 0; i < 100; i++) {
      model.stepOne(cur, state);
      be.softmax(1, V, model.logits, 0, probs, 0, 1);
      let u = rng.next(), k = 0;
      for (; k < V - 1; k++) { u -= probs[k]; if (u < 0) break; }
      cur = k;
    }
  });
}
