/**
 * Forecasting on series where the answer is known: the naive forecasts by hand, the calendar inputs,
 * a recurrent model beating both naive forecasts on a series with a weekly pattern and a persistent
 * level, the test span never reaching training, and a saved forecaster predicting what it did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Rng } from '../../src/util/rng.js';
import { HOLIDAYS, usHoliday, yearPhase } from '../../src/tasks/calendar.js';
import {
  Features, Forecaster, naiveForecasts, scoreSpan, splitSeries, testForecaster, trainForecaster, type ForecastOptions,
} from '../../src/tasks/forecast.js';

const be = new JsBackend('f32');

test('naive forecasts: last value and the same point of the last known season, per horizon', () => {
  const v = Float64Array.from([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const { lastValue, seasonal } = naiveForecasts(v, 2, 3);
  // origin t = 5: y_6 and y_7 forecast as y_5 (last value) and as y_3, y_4 (one season before each target, known at t = 5)
  assert.deepEqual([lastValue[5 * 2], lastValue[5 * 2 + 1]], [15, 15]);
  assert.deepEqual([seasonal[5 * 2], seasonal[5 * 2 + 1]], [13, 14]);
  assert.ok(Number.isNaN(seasonal[0]) && Number.isNaN(seasonal[1]), 'no season before the start');
  // Horizon 4 with season 3 reaches two seasons back: y_{t+4-6}.
  assert.equal(naiveForecasts(v, 4, 3).seasonal[5 * 4 + 3], v[5 + 4 - 6]);
  // Scored over targets 7…9: one-step forecasts from origins 6…8.
  const s = scoreSpan(v, naiveForecasts(v, 1, 3).lastValue, 1, 7, 10);
  assert.equal(s.all.mae, 1);
  assert.equal(s.all.count, 3);
});

test('features: the value, then the calendar of the day being predicted', () => {
  const dates = ['2014-11-25', '2014-11-26', '2014-11-27', '2014-11-28'];
  const f = new Features(Float64Array.from([0.5, -1, 2, 0]), 7, dates, true);
  assert.equal(f.F, 1 + 7 + 4 + HOLIDAYS.length);
  const row = (t: number) => Array.from(f.x.subarray(t * f.F, (t + 1) * f.F));
  assert.equal(row(0)[0], 0.5);
  assert.equal(row(0)[1 + 1], 1, 'season slot of day t+1');
  // Day t+1 of t = 1 is Thanksgiving 2014, of t = 2 the day after.
  assert.equal(row(1)[1 + 7 + 4 + HOLIDAYS.indexOf('Thanksgiving')], 1);
  assert.equal(row(2)[1 + 7 + 4 + HOLIDAYS.indexOf('day after Thanksgiving')], 1);
  assert.equal(row(0).slice(1 + 7 + 4).reduce((s, x) => s + x, 0), 0);
  const a = 2 * Math.PI * yearPhase('2014-11-29'); // the last row describes the day after the series
  assert.ok(Math.abs(row(3)[8] - Math.sin(a)) < 1e-12);
  assert.equal(new Features(Float64Array.from([1, 2]), 7, null).F, 8);
});

test('US holidays, fixed and floating, with weekend observance', () => {
  const kind = (d: string) => { const k = usHoliday(d); return k < 0 ? null : HOLIDAYS[k]; };
  assert.equal(kind('2014-11-27'), 'Thanksgiving');
  assert.equal(kind('2012-05-28'), 'Memorial Day');
  assert.equal(kind('2013-09-02'), 'Labor Day');
  assert.equal(kind('2012-07-04'), 'Independence Day');
  assert.equal(kind('2015-07-03'), 'Independence Day', 'July 4 2015 was a Saturday: observed Friday');
  assert.equal(kind('2011-12-26'), 'Christmas Day', 'Christmas 2011 was a Sunday: observed Monday');
  assert.equal(kind('2010-12-31'), "New Year's Day", 'January 1 2011 was a Saturday: observed Friday');
  assert.equal(kind('2014-01-20'), 'other federal holiday');
  assert.equal(kind('2014-03-12'), null);
  assert.throws(() => usHoliday('2014-02-30'), /not a date/);
});

/**
 * A weekly pattern on top of a persistent (AR(1)) level: tomorrow ≈ 0.8·today's level + tomorrow's weekday
 * effect. Last value misses the weekday effect, the same weekday last week misses the level's change in a
 * week; a model that has learnt both does better than either.
 */
function weeklySeries(n: number, seed: number): Float64Array {
  const rng = new Rng(seed), w = [0, 8, 9, 10, 9, 8, -6], v = new Float64Array(n);
  let level = 0;
  for (let t = 0; t < n; t++) { level = 0.8 * level + 2 * rng.normal(); v[t] = 50 + level + w[t % 7]; }
  return v;
}

const quick: Partial<ForecastOptions> = { hidden: 16, seqLen: 48, window: 14, batch: 16, lr: 0.01, steps: 300, time: 0, seed: 1 };

test('a GRU learns weekday effects and the level, beating both naive forecasts', () => {
  const values = weeklySeries(600, 5);
  const r = testForecaster(trainForecaster(be, { values }, { ...quick, model: 'gru' }), values);
  const { last_value: last, seasonal_naive: seasonal } = r.baselines;
  assert.ok(r.mae < 0.7 * seasonal.mae, `GRU MAE ${r.mae} vs seasonal naive ${seasonal.mae}`);
  assert.ok(r.mae < 0.5 * last.mae, `GRU MAE ${r.mae} vs last value ${last.mae}`);
  assert.equal(r.plot.truth.length, 120);
});

test('the test span never reaches training, and the scaler sees the training span only', () => {
  const values = weeklySeries(300, 6);
  const changed = Float64Array.from(values);
  const split = splitSeries(values.length, { valFraction: 0.1, testFraction: 0.2, horizon: 2, season: 7 });
  for (let i = split.testStart; i < values.length; i++) changed[i] = 1e6; // absurd test values
  const opts = { ...quick, steps: 40, horizon: 2 };
  const a = trainForecaster(be, { values }, opts), b = trainForecaster(be, { values: changed }, opts);
  assert.deepEqual(b.forecaster.net.params.data, a.forecaster.net.params.data);
  assert.equal(b.forecaster.scaler.mean, a.forecaster.scaler.mean);
  assert.equal(b.val.mae, a.val.mae);
  // Not a vacuous check: changing the training span does change the parameters.
  for (let i = 0; i < split.valStart; i++) changed[i] += i % 2;
  const c = trainForecaster(be, { values: changed }, opts);
  assert.notDeepEqual(c.forecaster.net.params.data, a.forecaster.net.params.data);
});

test('horizon H: one forecast per step ahead, scored per horizon; a saved forecaster forecasts the same', () => {
  const values = weeklySeries(300, 7);
  for (const model of ['lstm', 'window'] as const) {
    const trained = trainForecaster(be, { values }, { ...quick, steps: 30, horizon: 3, model });
    const r = testForecaster(trained, values);
    assert.equal(r.byHorizon.length, 3);
    assert.equal(r.byHorizon[0].count, 60);
    const loaded = Forecaster.fromBytes(trained.forecaster.toBytes(), be);
    assert.deepEqual(loaded.forecast(trained.features, values.length), trained.forecaster.forecast(trained.features, values.length));
    assert.equal(loaded.opts.horizon, 3);
  }
});

test('too short a series, or values that are not numbers, are refused', () => {
  assert.throws(() => trainForecaster(be, { values: weeklySeries(12, 1) }, quick), /too little training data|no validation span/);
  const bad = weeklySeries(100, 1);
  bad[40] = NaN;
  assert.throws(() => trainForecaster(be, { values: bad }, quick), /value 41 is not a finite number/);
  assert.throws(() => trainForecaster(be, { values: weeklySeries(100, 1) }, { ...quick, model: 'bow' as never }), /unknown forecast model 'bow'/);
});

test('a diverging run stops, says why, and keeps the best validated parameters (no longer trains on to the budget)', () => {
  const values = weeklySeries(300, 2);
  const trained = trainForecaster(be, { values }, { ...quick, model: 'gru', lr: 10, clipNorm: 0, steps: 200 });
  assert.match(trained.diverged ?? '', /^training diverged at step \d+: the loss has stayed above/);
  assert.ok(trained.steps < 200, `${trained.steps} steps`);
  assert.ok(Number.isFinite(trained.val.mae));
  // The kept parameters are the ones whose validation score is reported.
  const again = scoreSpan(values, trained.forecaster.forecast(trained.features, trained.split.testStart), 1, trained.split.valStart, trained.split.testStart).all;
  assert.equal(again.mae, trained.val.mae);
});
