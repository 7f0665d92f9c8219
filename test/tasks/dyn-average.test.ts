/**
 * Weight averaging (train/average.ts) and the weights a language-model run keeps (tasks/lm-weights.ts):
 * the moving average recomputed by hand, the file holding the weights that scored best on validation,
 * --average scoring and saving the averaged weights, and a resumed averaged run continuing bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Params } from '../../src/nn/params.js';
import { AVERAGE_BETA, WeightAverage } from '../../src/train/average.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, evaluateStream, LmJob, type LmCadence, type LmData, type LmSettings } from '../../src/tasks/lm.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { MemoryByteSource } from '../../src/data/byte-source.js';
import { LmStreamData } from '../../src/tasks/lm-stream.js';

// Float32 as the file stores: a file's weights then score exactly what the run scored.
const be = new JsBackend('f32');
const QUIET: LmCadence = {
  log: { steps: 1 }, val: null, save: null, sample: null, spectrum: null, sampleLength: 0, finalSampleLength: 0, temperature: 1,
};
// Training text that repeats one passage; the held-out fifth is other sentences, so that a long run overfits.
const TEXT = 'the quick brown fox jumps over the lazy dog. a lazy cat naps; the dog barks at the fox. '.repeat(5)
  + 'dogs and cats jump over quick foxes; a brown cat barks at the lazy dog who naps. the fox.';
const data: LmData = { mode: 'stream', text: TEXT, source: 'test' };
const settings = (over: Partial<LmSettings> = {}): LmSettings => ({
  ...DEFAULT_SETTINGS, batch: 4, seq: 12, lr: 3e-2, lrMin: 3e-2, schedule: 'constant', steps: 60, time: null, seed: 3, valChars: 0, valFraction: 0.2, ...over,
});
const arch = { ...DEFAULT_ARCH, hidden: 32, embed: 8 };

test('the moving average is β_k·θ̄ + (1 − β_k)·θ with β_k = min(β, (1 + k)/(10 + k)); swapping twice is the identity', () => {
  const f64 = new JsBackend('f64');
  const params = new Params([{ name: 'w', shape: [3] }], f64);
  params.data.set([1, 2, 3]);
  const avg = new WeightAverage(f64, params);
  const want = [1, 2, 3];
  for (let k = 0; k < 2000; k++) {
    const theta = [Math.sin(k), k / 100, -k];
    params.data.set(theta);
    avg.update();
    const b = Math.min(AVERAGE_BETA, (1 + k) / (10 + k));
    for (let i = 0; i < 3; i++) want[i] = b * want[i] + (1 - b) * theta[i];
  }
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(avg.avg[i] - want[i]) < 1e-9 * Math.max(1, Math.abs(want[i])), `${avg.avg[i]} vs ${want[i]}`);
  const raw = Float64Array.from(params.data), mean = Float64Array.from(avg.avg);
  assert.deepEqual(avg.with(() => Float64Array.from(params.data)), mean);
  assert.deepEqual(Float64Array.from(params.data), raw);
  assert.equal(avg.with(() => avg.raw), avg.avg);
});

/** A run validating every `every` steps; its validation losses by step, its file and summary. */
async function runWithVal(s: LmSettings, every: number) {
  const vals: { step: number; loss: number }[] = [];
  let file: Uint8Array | null = null;
  const job = new LmJob({ data, backend: be, settings: s, arch });
  const summary = await job.run({ onLog: (l) => { if (l.val_loss !== undefined) vals.push({ step: l.step, loss: l.val_loss }); }, onSave: (b) => { file = b; } },
    { ...QUIET, val: { steps: every } });
  return { vals, file: file!, summary, job };
}

/** The loss of a file's weights on the run's held-out text, scored as validation scores it. */
function fileLoss(file: Uint8Array, s: LmSettings): number {
  const { model, tokens } = decodeLm(file, be);
  return new LmStreamData(MemoryByteSource.fromText(TEXT, 'test'), tokens, s).validate(model)!.loss;
}

test('the file holds the weights that scored best on validation, not the last ones', async () => {
  const s = settings({ steps: 150, lr: 2e-2 });
  const { vals, file, summary } = await runWithVal(s, 10);
  const best = vals.reduce((a, b) => (b.loss < a.loss ? b : a));
  // The run overfits the small text: the last validation is worse than the best (else this test shows nothing).
  assert.ok(vals[vals.length - 1].loss > best.loss + 0.05, `val losses ${vals.map((v) => v.loss.toFixed(3)).join(' ')}`);
  assert.equal(summary.val_loss, best.loss);
  assert.equal(summary.val_step, best.step);
  assert.equal(fileLoss(file, s), best.loss);
});

test('--average scores and saves the averaged weights; they differ from the raw ones', async () => {
  const s = settings({ steps: 40, average: true, valFraction: 0.2 });
  const { vals, file, job } = await runWithVal(s, 40);
  assert.equal(vals.length, 1);
  assert.equal(fileLoss(file, s), vals[0].loss);
  const raw = new LmStreamData(MemoryByteSource.fromText(TEXT, 'test'), job.tokens, s).validate(job.model)!.loss;
  assert.ok(Math.abs(raw - vals[0].loss) > 1e-3, `raw ${raw} vs averaged ${vals[0].loss}`);
});

for (const val of [{ steps: 10 }, null]) test(`an interrupted averaged run ${val ? 'with a best snapshot' : 'without validation text'} resumes bit-identically`, async () => {
  const s = settings({ steps: 30, average: true, lr: 5e-2, valFraction: val ? 0.2 : 0 });
  const cadence: LmCadence = { ...QUIET, val, save: { steps: 5 } };
  let straight: Uint8Array | null = null;
  await new LmJob({ data, backend: be, settings: s, arch }).run({ onSave: (b) => { straight = b; } }, cadence);
  let first: Uint8Array | null = null;
  const job1 = new LmJob({ data, backend: be, settings: s, arch });
  await job1.run({ onSave: (b) => { first = b; }, shouldStop: () => job1.step >= 20 }, cadence);
  const job2 = new LmJob({ data, backend: be, settings: s, resume: decodeLm(first!, be) });
  assert.equal(job2.step, 20);
  let resumed: Uint8Array | null = null;
  await job2.run({ onSave: (b) => { resumed = b; } }, cadence);
  const A = decodeLm(straight!, be).checkpoint, B = decodeLm(resumed!, be).checkpoint;
  assert.ok(A.optim.has('train_weights.rnn.weight_hh_l0') && A.optim.has('average.rnn.weight_hh_l0'), 'θ and θ̄ are in the file');
  for (const [name, t] of [...A.tensors, ...[...A.optim].map(([k, v]) => [`optim.${k}`, v] as const)]) {
    const u = name.startsWith('optim.') ? B.optim.get(name.slice(6)) : B.tensors.get(name);
    assert.deepEqual(u?.data, t.data, `${name} is bit-identical`);
  }
  assert.deepEqual(A.training!.weights, B.training!.weights);
});
