import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsBackend } from '../../src/kernels/js.js';
import { Params } from '../../src/nn/params.js';
import { BestSnapshot } from '../../src/train/best.js';
import { Cadence } from '../../src/train/cadence.js';
import { DivergenceGuard, PATIENCE } from '../../src/train/divergence.js';
import { SNAPSHOT_EVERY, TrainingDiverged, TrainLoop } from '../../src/train/loop.js';
import { constantSchedule, scheduledLr } from '../../src/train/schedule.js';
import { DivergedError } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f32');
const params = (): Params => new Params([{ name: 'w', shape: [3] }], be);

test('schedules: cosine and linear from lr to lrMin over the budget, warm-up scales the first steps', () => {
  const s = { kind: 'cosine' as const, lr: 1, lrMin: 0.1, warmup: 0 };
  assert.equal(scheduledLr(s, 0, 0), 1);
  assert.ok(Math.abs(scheduledLr(s, 0, 0.5) - 0.55) < 1e-12);
  assert.ok(Math.abs(scheduledLr(s, 0, 1) - 0.1) < 1e-12);
  assert.ok(Math.abs(scheduledLr({ ...s, kind: 'linear' }, 0, 0.25) - 0.775) < 1e-12);
  assert.equal(scheduledLr(constantSchedule(0.3), 7, 0.9), 0.3);
  assert.equal(scheduledLr({ ...s, kind: 'constant', warmup: 4 }, 1, 0), 0.5);
  assert.equal(scheduledLr({ ...s, kind: 'constant', warmup: 4 }, 4, 0), 1);
});

test('divergence guard: noisy training and single spikes pass, a loss that stays above twice the reference trips it', () => {
  const rng = new Rng(1);
  const noisy = new DivergenceGuard({ uniformLoss: Math.log(20) });
  for (let t = 1; t <= 2000; t++) {
    const loss = 3 * Math.exp(-t / 300) + 0.5 + 0.3 * rng.next() + (t % 97 === 0 ? 5 : 0);
    assert.ok(['healthy', 'bad'].includes(noisy.judge(t, loss)), `step ${t}`);
  }
  const diverged = new DivergenceGuard({ uniformLoss: Math.log(20) });
  assert.equal(diverged.judge(1, 3), 'healthy');
  for (let t = 2; t < PATIENCE + 1; t++) assert.equal(diverged.judge(t, 40), 'bad');
  assert.match(diverged.judge(PATIENCE + 1, 40), /stayed above 6\.00 .* for 10 steps/);
  // Squared error: measured against the first loss; the warm-up holds it off.
  const mse = new DivergenceGuard({ uniformLoss: null, warmup: 50 });
  assert.equal(mse.judge(1, 1), 'healthy');
  for (let t = 2; t <= 50; t++) assert.equal(mse.judge(t, 3), 'bad');
  assert.match(mse.judge(51, 3), /twice the first step's 1\.00/);
});

test('loop: budgets in steps, seconds (the updates only) and epochs; the first one spent ends the run', () => {
  let clock = 0;
  const run = (budget: ConstructorParameters<typeof TrainLoop>[1]['budget']) => {
    let updates = 0;
    const loop = new TrainLoop(() => { clock += 100; updates++; return { loss: 1, count: 1, gradNorm: 1 }; },
      { budget, schedule: constantSchedule(1), guard: { uniformLoss: null }, params: params(), now: () => clock, epoch: () => updates / 4 });
    while (!loop.done) { loop.next(); clock += 1000; /* validation between updates: not training time */ }
    return loop;
  };
  assert.equal(run({ steps: 7 }).step, 7);
  const timed = run({ seconds: 0.5 });
  assert.equal(timed.step, 5);
  assert.ok(Math.abs(timed.elapsed - 0.5) < 1e-9);
  assert.equal(run({ epochs: 2, steps: 100 }).step, 8);
});

test('loop: divergence restores the last good parameters and says which step they are from', () => {
  const p = params();
  let t = 0;
  // Good steps move the parameter; from step 25 the loss is far too high, then NaN would follow.
  const loop = new TrainLoop(() => {
    t++;
    const loss = t < 25 ? 2 : 50;
    p.data[0] = t;
    return { loss, count: 1, gradNorm: 1 };
  }, { budget: { steps: 1000 }, schedule: constantSchedule(1), guard: { uniformLoss: Math.log(10) }, params: p });
  let err: unknown;
  try { while (!loop.done) loop.next(); } catch (e) { err = e; }
  assert.ok(err instanceof TrainingDiverged);
  assert.equal(err.step, 24 + PATIENCE);
  // Step 24's loss was healthy, so the snapshot of step 20 (the last multiple of SNAPSHOT_EVERY) is kept.
  assert.equal(SNAPSHOT_EVERY, 10);
  assert.equal(err.keptStep, 20);
  assert.equal(p.data[0], 20);

  // A non-finite loss (the Trainer throws before its update) stops at once, with the same restore.
  const q = params();
  let u = 0;
  const nan = new TrainLoop(() => {
    u++;
    if (u === 15) throw new DivergedError('loss became NaN');
    q.data[0] = u;
    return { loss: 1, count: 1, gradNorm: 1 };
  }, { budget: { steps: 100 }, schedule: constantSchedule(1), guard: { uniformLoss: null }, params: q });
  assert.throws(() => { while (!nan.done) nan.next(); }, (e: unknown) => e instanceof TrainingDiverged && e.step === 15 && e.keptStep === 10 && /step 15: loss became NaN/.test(e.message));
  assert.equal(q.data[0], 10);
});

test('best snapshot keeps the best-scoring parameters and puts them back', () => {
  const p = params(), best = new BestSnapshot<number>(p, (a, b) => a < b);
  assert.equal(best.restore(), null);
  p.data[0] = 1; assert.equal(best.offer(0.5), true);
  p.data[0] = 2; assert.equal(best.offer(0.7), false);
  p.data[0] = 3; assert.equal(best.restore(), 0.5);
  assert.equal(p.data[0], 1);
});

test('cadence: step cadences fall on multiples of n (also after a resume), second cadences count training time', () => {
  const clock = { step: 0, elapsed: 0 };
  const steps = new Cadence({ steps: 5 }, clock), secs = new Cadence({ seconds: 2 }, clock), never = new Cadence(null, clock);
  const hits: number[] = [], timed: number[] = [];
  for (clock.step = 1; clock.step <= 20; clock.step++) {
    clock.elapsed += 0.5;
    if (steps.due) { hits.push(clock.step); steps.done(); }
    if (secs.due) { timed.push(clock.step); secs.done(); }
    assert.equal(never.due, false);
  }
  assert.deepEqual(hits, [5, 10, 15, 20]);
  assert.deepEqual(timed, [4, 8, 12, 16, 20]);
  const resumed = new Cadence({ steps: 5 }, { step: 7, elapsed: 0 });
  assert.equal(resumed.due, false);
});

test('cadence with a share: the first at share × seconds, then cost / share apart, within [share × seconds, seconds]', () => {
  const clock = { step: 0, elapsed: 0 };
  const c = new Cadence({ seconds: 30, share: 0.05 }, clock);
  const at: number[] = [];
  // Each one costs `cost` seconds: cheap (0.1 s → every 2 s), free (→ the floor, 1.5 s), dear (5 s → the ceiling, 30 s).
  const run = (until: number, cost: number): void => {
    for (; clock.elapsed < until; clock.step++) {
      clock.elapsed = Math.round((clock.elapsed + 0.1) * 10) / 10;
      if (c.due) { at.push(clock.elapsed); c.done(cost); }
    }
  };
  run(6, 0.1);
  assert.deepEqual(at, [1.5, 3.5, 5.5]);
  at.length = 0; run(10, 0);
  assert.deepEqual(at, [7.5, 9]);
  at.length = 0; run(80, 5);
  assert.deepEqual(at, [10.5, 40.5, 70.5]);
  // Without a share the interval stays `seconds` whatever the cost.
  const t = { step: 0, elapsed: 0 }, fixed = new Cadence({ seconds: 2 }, t);
  t.elapsed = 1.9; assert.equal(fixed.due, false);
  t.elapsed = 2; assert.equal(fixed.due, true);
  fixed.done(100);
  t.elapsed = 4; assert.equal(fixed.due, true);
});
