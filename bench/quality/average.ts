/**
 * Which average of the weights to score (train/average.ts), compared step for step in ONE run, so
 * machine load cannot favour either: the default char-rnn on Moby Dick trains its raw weights θ;
 * at every check the held-out text is scored with θ, with the exponential moving average θ̄ that
 * --average keeps, and with a uniform (Polyak) average of θ from the middle of the run on — AWD-LSTM's
 * averaged SGD, its trigger replaced by the middle of a known budget.
 *
 *   node --import tsx bench/quality/average.ts [--steps 3000] [--every 250] [--threads 1] [--lr 5e-3] [--hidden 256]
 *
 * Prints a Markdown table: step, loss of θ, θ̄ (EMA), Polyak (nats/char on the first 50,000 held-out characters).
 */
import { parseArgs } from 'node:util';
import { createBackend } from '../../src/node/backend.js';
import { mobyDick } from '../../src/node/corpora.js';
import { splitTrainVal } from '../../src/data/text.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, evaluateStream, LmJob } from '../../src/tasks/lm.js';

const { values } = parseArgs({ options: {
  steps: { type: 'string', default: '3000' }, every: { type: 'string', default: '250' }, threads: { type: 'string', default: '1' },
  lr: { type: 'string' }, hidden: { type: 'string' },
} });
const steps = Number(values.steps), every = Number(values.every);
const be = await createBackend({ backend: 'auto', threads: Number(values.threads) });
const lr = values.lr ? Number(values.lr) : DEFAULT_SETTINGS.lr;
const job = new LmJob({
  data: { mode: 'stream', text: mobyDick(), source: 'moby-dick' }, backend: be,
  settings: { ...DEFAULT_SETTINGS, lr, lrMin: lr / 10, steps, time: null, average: true },
  arch: { ...DEFAULT_ARCH, hidden: values.hidden ? Number(values.hidden) : DEFAULT_ARCH.hidden },
});
const s = job.settings;
const val = splitTrainVal(job.tokens.encode(mobyDick()), s.valFraction).val!.subarray(0, s.valChars);
/** The held-out loss of what the parameter buffer holds now, read as validation reads it. */
const score = (): number => evaluateStream(job.model, val, { streams: s.batch, chunk: s.seq }).loss;
const p = job.model.params, n = p.size, ema = job.weights.average!;
const polyak = new Float32Array(n), raw = new Float32Array(n);
let polyakCount = 0;
/** Score with the parameter buffer set to `w` (θ put back afterwards). */
const scoreWith = (w: Float32Array): number => {
  raw.set(p.data); p.data.set(w); p.touch();
  const loss = score();
  p.data.set(raw); p.touch();
  return loss;
};
console.log('| step | θ | EMA θ̄ | Polyak (from the middle) |');
console.log('|---|---|---|---|');
while (!job.done) {
  job.trainStep();
  if (job.step > steps / 2) {
    polyakCount++;
    for (let i = 0; i < n; i++) polyak[i] += (p.data[i] - polyak[i]) / polyakCount;
  }
  if (job.step % every === 0 || job.done) {
    const rawLoss = score(), avgLoss = ema.with(score);
    const polyakLoss = polyakCount > 0 ? scoreWith(polyak) : NaN;
    console.log(`| ${job.step} | ${rawLoss.toFixed(4)} | ${avgLoss.toFixed(4)} | ${Number.isNaN(polyakLoss) ? '-' : polyakLoss.toFixed(4)} |`);
  }
}
