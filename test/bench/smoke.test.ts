/**
 * Smoke tests of the benchmark harness's code paths (never its speed): recur's side runs a training
 * workload, a sampling workload, a quality run and the GEMM figure on tiny sizes; the plan and the
 * report compute what they say; the driver runs end to end on one cheap cell and refuses bad flags.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCorpus } from '../../bench/corpus.js';
import { planCells } from '../../bench/plan.js';
import { runRecur } from '../../bench/recur.js';
import { markdownReport, recurBest, type CellResult, type RunInfo } from '../../bench/report.js';
import { GEMM, WORKLOADS, type SampleSpec, type TrainSpec, type Window } from '../../bench/workloads.js';

const TINY: Window = { warmupSeconds: 0, warmupSteps: 1, measureSeconds: 0, capSeconds: 5 };
const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40);
const corpus = loadCorpus(text);
const small = (base: TrainSpec, over: Partial<TrainSpec> = {}): TrainSpec => ({ ...base, hidden: 8, batch: 2, seq: 5, ...over });
const args = (spec: TrainSpec | SampleSpec | typeof GEMM, quality = 0) => ({ spec, threads: 1, window: TINY, quality, backend: 'js', seed: 3 });

test('corpus: sorted vocabulary and a 90/10 split of the characters', () => {
  assert.deepEqual([...corpus.vocab.chars], [...new Set(text)].sort());
  assert.equal(corpus.train.length + corpus.val.length, text.length);
  assert.equal(corpus.val.length, Math.round(text.length * 0.1));
});

for (const id of ['W1', 'W2', 'W3', 'W4'] as const) {
  test(`recur ${id} (tiny): trains, times whole steps, reports a finite loss`, async () => {
    const spec = small(WORKLOADS[id] as TrainSpec);
    const r = await runRecur(args(spec), corpus);
    assert.equal(r.workload, id);
    assert.equal(r.backend, 'js');
    assert.ok(r.steps! >= 1 && r.warmupSteps! >= 1);
    assert.ok(Number.isFinite(r.charsPerSec) && r.charsPerSec! > 0);
    // chars/s is batch·seq per step over the measured time
    assert.ok(Math.abs(r.charsPerSec! - (r.steps! * spec.batch * spec.seq) / r.seconds!) < 1e-6 * r.charsPerSec!);
    assert.ok(Number.isFinite(r.trainLoss) && r.trainLoss! > 0 && r.trainLoss! < 2 * Math.log(corpus.size));
    assert.ok(r.peakRssMB! > 0);
  });
}

test('recur stacked W5 shape (tiny) runs', async () => {
  const r = await runRecur(args(small(WORKLOADS.W5 as TrainSpec, { layers: 2 })), corpus);
  assert.ok(r.charsPerSec! > 0);
});

test('recur S1 (tiny): generates, counts generated characters', async () => {
  const spec: SampleSpec = { ...(WORKLOADS.S1 as SampleSpec), model: small(WORKLOADS.W2 as TrainSpec), length: 50 };
  const r = await runRecur(args(spec), corpus);
  assert.ok(r.steps! >= 1);
  assert.ok(Math.abs(r.charsPerSec! - (r.steps! * 50) / r.seconds!) < 1e-6 * r.charsPerSec!);
  assert.equal(r.trainLoss, undefined);
});

test('recur quality run: a validation loss after the given seconds of training', async () => {
  const spec = small(WORKLOADS.W2 as TrainSpec, { lr: 0.02 });
  const r = await runRecur(args(spec, 0.5), corpus);
  assert.ok(r.qualitySteps! >= 1);
  // Trained on this repetitive text, the model must beat the uniform guess.
  assert.ok(r.valLoss! > 0 && r.valLoss! < Math.log(corpus.size), `val loss ${r.valLoss}`);
  assert.equal(r.charsPerSec, undefined);
});

test('recur G1: GFLOP/s of a product', async () => {
  const r = await runRecur(args({ ...GEMM, m: 16, n: 16, k: 16 }), corpus);
  assert.ok(r.gflops! > 0 && Number.isFinite(r.gflops));
});

test('plan: JS runs once, threaded backends at each thread count, skips say why', () => {
  const cells = planCells({
    workloads: ['W1', 'W5'], peers: ['recur', 'torch', 'numpy', 'tfjs', 'brain'], recurBackends: ['wasm', 'js'],
    threads: [1, 2], quick: false, quality: true, gemm: false, unavailable: { torch: 'no torch here' }, explicit: false,
  });
  const recurW1 = cells.filter((c) => c.peer === 'recur' && c.workload === 'W1' && !c.quality).map((c) => `${c.backend}${c.threads}`);
  assert.deepEqual(recurW1, ['wasm1', 'wasm2', 'js1']);
  assert.ok(cells.filter((c) => c.peer === 'torch').every((c) => c.skip === 'no torch here'));
  assert.equal(cells.filter((c) => c.peer === 'numpy' && c.workload === 'W5').length, 0);
  assert.match(cells.find((c) => c.peer === 'brain' && c.workload === 'W5')!.skip!, /default run/);
  const q = cells.filter((c) => c.quality);
  assert.deepEqual(q.map((c) => `${c.peer}:${c.workload}:${c.threads}`), ['recur:W1:2', 'torch:W1:2', 'numpy:W1:1']);
  const explicit = planCells({
    workloads: ['W5'], peers: ['brain'], recurBackends: [], threads: [1], quick: false, quality: false, gemm: false, unavailable: {}, explicit: true,
  });
  assert.equal(explicit[0].skip, undefined);
});

const cell = (peer: CellResult['peer'], backend: string, threads: number, workload: CellResult['workload'], charsPerSec: number): CellResult => ({
  peer, backend, threads, workload, quality: false, window: TINY, timeoutSeconds: 1, status: 'ok', wallSeconds: 1, load1: 0.5,
  result: { peer, workload, threads, charsPerSec, peakRssMB: 100 },
});

test('report: ratios use recur figures with at most the peer\'s threads, floors are checked', () => {
  const results = [
    cell('recur', 'wasm', 1, 'W2', 1000), cell('recur', 'wasm', 2, 'W2', 1800), cell('recur', 'js', 1, 'W2', 100),
    cell('torch', 'cpu', 1, 'W2', 4000), cell('torch', 'cpu', 2, 'W2', 3000), cell('tfjs', 'wasm', 1, 'W2', 50),
  ];
  assert.deepEqual(recurBest(results, 'W2', 1), { v: 1000, label: 'wasm 1t' });
  assert.deepEqual(recurBest(results, 'W2', 2), { v: 1800, label: 'wasm 2t' });
  const info: RunInfo = {
    date: 'today', command: 'npm run bench', machine: { cpu: 'cpu', cores: 2, flags: '', memoryGB: 1, kernel: 'k', loadStart: '0', loadMax: '0' },
    versions: { node: 'v20' }, mode: 'test', recurBackends: { available: ['wasm', 'js'], missing: {} }, unavailablePeers: {}, minutes: 1,
  };
  const md = markdownReport(info, results);
  assert.match(md, /\| PyTorch CPU, 1 thread \| 0\.25× \(wasm 1t\) \|/);
  assert.match(md, /\| PyTorch CPU, 2 threads \| 0\.60× \(wasm 2t\) \|/);
  assert.match(md, /\| tfjs wasm, 1 thread \| 20\.00× \(wasm 1t\) \|/);
  assert.match(md, /W2: recur-wasm, 1 thread \/ PyTorch 1 thread ≥ 0\.5× \| 0\.25× \| no \|/);
  assert.match(md, /W2: recur-wasm, best of 1-2 threads \/ PyTorch best ≥ 0\.9× \| 0\.45× \| no \|/);
  assert.match(md, /\| recur js, 1 thread \| 100 \|/);
});

test('driver: one cheap cell end to end, then a bad flag is one line and exit 2', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-bench-'));
  try {
    const out = join(dir, 'r.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'W1', '--peers', 'recur', '--backends', 'js', '--threads', '1', '--no-gemm', '--out', out],
      { encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { results: CellResult[]; machine: Record<string, unknown> };
    assert.equal(json.results.length, 1);
    assert.equal(json.results[0].status, 'ok', json.results[0].message);
    assert.ok(json.results[0].result!.charsPerSec! > 0);
    assert.ok(Number(json.machine.cores) >= 1);
    const md = readFileSync(join(dir, 'latest.md'), 'utf8');
    assert.match(md, /\| recur js, 1 thread \| [\d,.]+ \|/);
    assert.equal(r.stdout, md);

    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'W9'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr.split('\n')[0], /^bench: unknown workload 'W9'/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
