/**
 * Time-series forecasting: from everything known up to day t, predict the next H values.
 *
 * The recurrent model reads the series one step at a time and predicts at every step (outputMode
 * 'every', squared-error head), so one pass over the series gives a forecast from every origin; its
 * state carries the past, however long. The feed-forward baselines see only a fixed window of the
 * last N steps (concatenated, or averaged), and the naive baselines copy the last value or the value
 * one season (a week) earlier. Every model is scored on the same test span, in the data's units.
 *
 * Input at step t: the scaled value y_t, the position in the season of the day being predicted
 * (one-hot; calendar facts are known in advance) and, when dates are known, that day's position in
 * the year (two sine/cosine pairs) and, if asked, which US holiday it is (calendar.ts). The split is
 * chronological (train, validation, test: the test span is never seen in training, the validation
 * span only picks which parameters to keep), and the scaler is fitted on the training span only.
 * Platform-free.
 */
import type { Backend } from '../kernels/backend.js';
import { ModelFileError } from '../io/checkpoint.js';
import { describeKind } from '../io/json-guard.js';
import type { CellType } from '../nn/config.js';
import { Model, type Batch } from '../nn/model.js';
import { chronologicalSplit, Scaler } from '../data/series.js';
import { BestSnapshot } from '../train/best.js';
import { Cadence } from '../train/cadence.js';
import { TrainingDiverged, TrainLoop } from '../train/loop.js';
import { Rng } from '../util/rng.js';
import { Mlp } from './baselines.js';
import { addDays, HOLIDAYS, usHoliday, yearPhase } from './calendar.js';
import { errorMetrics, type ErrorMetrics } from './metrics.js';
import { decodeNet, encodeNet, isMlp, netStep, netTrainer, type Net, type NetTrainingOptions } from './net.js';

export type ForecastModel = 'elman' | 'jordan' | 'lstm' | 'gru' | 'window' | 'mean';
export const FORECAST_RNNS: ForecastModel[] = ['elman', 'jordan', 'lstm', 'gru'];
export const FORECAST_MODELS: ForecastModel[] = [...FORECAST_RNNS, 'window', 'mean'];

export interface ForecastOptions extends NetTrainingOptions {
  model: ForecastModel;
  horizon: number;
  /** Season length in steps (7: same weekday last week for daily data). */
  season: number;
  hidden: number;
  layers: number;
  /** Steps per training sequence of the recurrent models. */
  seqLen: number;
  /** Steps the window/mean baselines see. */
  window: number;
  /** Training also stops after this many updates (0 = none). */
  steps: number;
  valFraction: number;
  testFraction: number;
  /** With dates: also tell the model which days are US holidays. */
  holidays: boolean;
}

export const FORECAST_DEFAULTS: ForecastOptions = {
  model: 'gru', horizon: 1, season: 7, hidden: 32, layers: 1, seqLen: 128, window: 28, batch: 32, lr: 0.005, clipNorm: 1,
  seed: 1, time: 150, steps: 0, valFraction: 0.1, testFraction: 0.2, holidays: false,
};

export interface SeriesData {
  values: Float64Array;
  /** ISO dates (YYYY-MM-DD) of the values, when known. */
  dates?: string[] | null;
}

/** Per-step inputs [n × F]: y_t scaled, then calendar facts of day t+1 (the day being predicted). */
export class Features {
  readonly F: number;
  readonly x: Float64Array;

  /**
   * `dates` adds the day's place in the year (two sine/cosine pairs); `holidays` (with dates) adds a
   * one-hot of the US holiday kinds.
   */
  constructor(scaled: Float64Array, readonly season: number, dates: readonly string[] | null | undefined, readonly holidays = false) {
    const n = scaled.length, annual = dates ? 4 : 0, hol = dates && holidays ? HOLIDAYS.length : 0;
    const F = (this.F = 1 + season + annual + hol);
    const x = (this.x = new Float64Array(n * F));
    for (let t = 0; t < n; t++) {
      const o = t * F;
      x[o] = scaled[t];
      x[o + 1 + ((t + 1) % season)] = 1;
      if (!dates) continue;
      // The day after the last one is the last date + 1 (only its calendar is used).
      const d = t + 1 < n ? dates[t + 1] : addDays(dates[n - 1], 1);
      const a = 2 * Math.PI * yearPhase(d), c = o + 1 + season;
      x[c] = Math.sin(a); x[c + 1] = Math.cos(a); x[c + 2] = Math.sin(2 * a); x[c + 3] = Math.cos(2 * a);
      const h = hol ? usHoliday(d) : -1;
      if (h >= 0) x[c + 4 + h] = 1;
    }
  }
}

export interface Split { n: number; valStart: number; testStart: number }

export function splitSeries(n: number, o: Pick<ForecastOptions, 'valFraction' | 'testFraction' | 'horizon' | 'season'>): Split {
  const s = chronologicalSplit(new Float64Array(n), { valFraction: o.valFraction, testFraction: o.testFraction });
  if (s.testStart === s.valStart) throw new Error(`a series of ${n} values leaves no validation span`);
  if (s.testStart === n) throw new Error(`a series of ${n} values leaves no test span`);
  if (s.valStart < o.horizon + o.season + 2) throw new Error(`a series of ${n} values leaves too little training data (${s.valStart} values) for horizon ${o.horizon}`);
  return { n, valStart: s.valStart, testStart: s.testStart };
}

/**
 * Naive forecasts by origin [n × H]: pred[t·H + h−1] is the forecast of y_{t+h} made at t.
 * Last value: y_t. Seasonal naive: the same point of the season in the last known season,
 * y_{t+h−s·⌈h/s⌉} (for daily data with s = 7, the same weekday last week).
 */
export function naiveForecasts(values: Float64Array, H: number, season: number): { lastValue: Float64Array; seasonal: Float64Array } {
  const n = values.length, lastValue = new Float64Array(n * H).fill(NaN), seasonal = new Float64Array(n * H).fill(NaN);
  for (let t = 0; t < n; t++) for (let h = 1; h <= H; h++) {
    lastValue[t * H + h - 1] = values[t];
    const j = t + h - season * Math.ceil(h / season);
    if (j >= 0) seasonal[t * H + h - 1] = values[j];
  }
  return { lastValue, seasonal };
}

/**
 * Scores of forecasts by origin over targets j in [from, to): every horizon h forecasts y_j from
 * origin j − h. Overall and per horizon.
 */
export function scoreSpan(values: Float64Array, pred: Float64Array, H: number, from: number, to: number): { all: ErrorMetrics; byHorizon: ErrorMetrics[] } {
  const truth: number[] = [], guess: number[] = [];
  const byHorizon: ErrorMetrics[] = [];
  for (let h = 1; h <= H; h++) {
    const tr: number[] = [], gu: number[] = [];
    for (let j = Math.max(from, h); j < to; j++) { tr.push(values[j]); gu.push(pred[(j - h) * H + h - 1]); }
    byHorizon.push(errorMetrics(tr, gu));
    truth.push(...tr); guess.push(...gu);
  }
  return { all: errorMetrics(truth, guess), byHorizon };
}

/** A trained forecaster with its scaler and feature layout. */
export class Forecaster {
  constructor(readonly net: Net, readonly scaler: Scaler, readonly opts: Pick<ForecastOptions, 'model' | 'horizon' | 'season' | 'window'>,
    readonly calendar: { dates: boolean; holidays: boolean }) {}

  /**
   * Forecasts by origin t < upTo [upTo × H] in the data's units (NaN where a baseline's window does not
   * fit). The recurrent model runs once over the series, carrying its state from chunk to chunk.
   */
  forecast(feat: Features, upTo: number): Float64Array {
    const H = this.opts.horizon, F = feat.F, out = new Float64Array(upTo * H).fill(NaN), net = this.net;
    if (!isMlp(net)) {
      const state = net.newState(1), chunk = 512;
      for (let t0 = 0; t0 < upTo; t0 += chunk) {
        const T = Math.min(chunk, upTo - t0);
        net.forward({ T, B: 1, inputs: feat.x.subarray(t0 * F, (t0 + T) * F) }, state, { train: false, carry: true });
        for (let i = 0; i < T * H; i++) out[t0 * H + i] = net.logits[i];
      }
    } else {
      const N = this.opts.window, B = 256, origins: number[] = [];
      for (let t = N - 1; t < upTo; t++) origins.push(t);
      for (let i = 0; i < origins.length; i += B) {
        const batch = windowBatch(feat, origins.slice(i, i + B), N);
        net.forward(batch);
        for (let b = 0; b < batch.B; b++) for (let h = 0; h < H; h++) out[origins[i + b] * H + h] = net.logits[b * H + h];
      }
    }
    const real = this.scaler.inverse(out);
    for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i])) real[i] = NaN;
    return real;
  }

  toBytes(extra: Record<string, unknown> = {}): Uint8Array {
    return encodeNet(this.net, { type: 'forecast', ...this.opts, ...this.calendar, scaler: this.scaler.toJSON(), ...extra });
  }

  static fromBytes(bytes: Uint8Array, be: Backend): Forecaster {
    const { net, task } = decodeNet(bytes, be);
    if (task.type !== 'forecast') throw new ModelFileError(`model file holds ${describeKind(task.type ?? task.kind)}, not a forecaster`);
    const int = (k: string): number => {
      const v = task[k];
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new ModelFileError(`model file has no valid ${k}`);
      return v;
    };
    let scaler: Scaler;
    try { scaler = Scaler.fromJSON(task.scaler as { mean: number; std: number }); } catch { throw new ModelFileError('model file has no valid scaler'); }
    const model = (isMlp(net) ? net.config.pooling : net.config.cell) as ForecastModel;
    const opts = { model, horizon: int('horizon'), season: int('season'), window: int('window') };
    const calendar = { dates: task.dates === true, holidays: task.holidays === true };
    const F = 1 + opts.season + (calendar.dates ? 4 : 0) + (calendar.dates && calendar.holidays ? HOLIDAYS.length : 0);
    const c = net.config;
    if (c.head !== 'mse' || c.inputKind !== 'dense' || c.outputSize !== opts.horizon || c.inputSize !== F || (!isMlp(net) && net.config.outputMode !== 'every')) {
      throw new ModelFileError(`model file network does not match its forecast settings (horizon ${opts.horizon}, ${F} inputs per step)`);
    }
    return new Forecaster(net, scaler, opts, calendar);
  }
}

/** Batch of windows of N steps ending at the given origins (time-major, all of length N). */
function windowBatch(feat: Features, origins: readonly number[], N: number, targets?: Float64Array, H = 0): Batch {
  const F = feat.F, B = origins.length, inputs = new Float64Array(N * B * F);
  origins.forEach((t, b) => {
    for (let k = 0; k < N; k++) inputs.set(feat.x.subarray((t - N + 1 + k) * F, (t - N + 2 + k) * F), (k * B + b) * F);
  });
  const batch: Batch = { T: N, B, inputs };
  if (targets) {
    const tv = new Float64Array(B * H);
    origins.forEach((t, b) => { for (let h = 0; h < H; h++) tv[b * H + h] = targets[t + 1 + h]; });
    batch.targetValues = tv;
  }
  return batch;
}

/** Sequences of T steps starting at the given positions, with a target (the next H values) at every step. */
function sequenceBatch(feat: Features, starts: readonly number[], T: number, targets: Float64Array, H: number): Batch {
  const F = feat.F, B = starts.length, inputs = new Float64Array(T * B * F), tv = new Float64Array(T * B * H);
  starts.forEach((s, b) => {
    for (let t = 0; t < T; t++) {
      inputs.set(feat.x.subarray((s + t) * F, (s + t + 1) * F), (t * B + b) * F);
      for (let h = 0; h < H; h++) tv[(t * B + b) * H + h] = targets[s + t + 1 + h];
    }
  });
  return { T, B, inputs, targetValues: tv };
}

export function buildForecastNet(be: Backend, o: ForecastOptions, F: number): Net {
  if (FORECAST_RNNS.includes(o.model)) {
    return new Model({
      cell: o.model as CellType, hidden: o.hidden, layers: o.layers, inputSize: F, inputKind: 'dense', outputSize: o.horizon,
      head: 'mse', outputMode: 'every',
    }, be);
  }
  return new Mlp({ pooling: o.model === 'window' ? 'window' : 'mean', inputKind: 'dense', inputSize: F, window: o.window, hidden: o.hidden,
    outputSize: o.horizon, head: 'mse' }, be);
}

export interface ForecastProgress { step: number; seconds: number; trainLoss: number; valMae: number; best: boolean }

export interface TrainedForecaster {
  forecaster: Forecaster;
  features: Features;
  split: Split;
  steps: number;
  seconds: number;
  /** Validation score of the kept parameters (data units). */
  val: ErrorMetrics;
  /** Why training stopped early, if it diverged (the kept parameters are the best validated ones). */
  diverged?: string;
}

/** Refuse a series or settings that cannot be trained and scored; returns the split. */
export function checkSeries(data: SeriesData, opts: Partial<ForecastOptions>): Split {
  const o: ForecastOptions = { ...FORECAST_DEFAULTS, ...opts };
  if (!(o.time > 0) && !(o.steps > 0)) throw new Error('give a time budget or a number of steps');
  if (!FORECAST_MODELS.includes(o.model)) throw new Error(`unknown forecast model '${o.model}' (expected ${FORECAST_MODELS.join(', ')})`);
  const values = data.values, n = values.length;
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) throw new Error(`value ${i + 1} is not a finite number`);
  if (data.dates && data.dates.length !== n) throw new Error(`${data.dates.length} dates for ${n} values`);
  const split = splitSeries(n, o);
  if (!FORECAST_RNNS.includes(o.model) && split.valStart - o.horizon - o.window < 1) {
    throw new Error(`the training span (${split.valStart} values) is too short for a window of ${o.window} and horizon ${o.horizon}`);
  }
  return split;
}

/**
 * Train on the training span: random sequences (recurrent) or windows (feed-forward) whose targets all
 * lie inside it. Validation MAE is checked every 50 updates and at the end, and the best parameters
 * are kept. The learning rate follows a cosine from `lr` down to lr/20 over the budget (steps or
 * seconds of training, whichever runs out first).
 */
export function trainForecaster(be: Backend, data: SeriesData, opts: Partial<ForecastOptions>,
  hooks: { now?: () => number; onProgress?: (p: ForecastProgress) => void } = {}): TrainedForecaster {
  const o: ForecastOptions = { ...FORECAST_DEFAULTS, ...opts };
  const split = checkSeries(data, o);
  const values = data.values, H = o.horizon;
  const scaler = Scaler.fit(values.subarray(0, split.valStart));
  const scaled = scaler.transform(values);
  const feat = new Features(scaled, o.season, data.dates, o.holidays);
  const rng = new Rng(o.seed);
  const net = buildForecastNet(be, o, feat.F);
  net.init(rng.fork());
  const fc = new Forecaster(net, scaler, { model: o.model, horizon: H, season: o.season, window: o.window },
    { dates: !!data.dates, holidays: !!data.dates && o.holidays });
  const trainer = netTrainer(net, { lr: o.lr, clipNorm: o.clipNorm, rng: rng.fork() });
  const now = hooks.now ?? (() => performance.now());
  const t0 = now(), wall = () => (now() - t0) / 1000;
  const trainEnd = split.valStart; // targets of training sequences stay below this index
  const rnn = !isMlp(net);
  // Recurrent sequences: T steps from s, targets up to s + T − 1 + H < trainEnd.
  const T = Math.max(1, Math.min(o.seqLen, trainEnd - H - 1));
  const N = o.window;
  const lastStart = rnn ? trainEnd - H - T : trainEnd - 1 - H; // last sequence start / last window origin
  const firstStart = rnn ? 0 : N - 1;
  const valMae = () => scoreSpan(values, fc.forecast(feat, split.testStart), H, split.valStart, split.testStart).all;
  const best = new BestSnapshot<ErrorMetrics>(net.params, (a, b) => a.mae < b.mae);
  let lossSum = 0, lossN = 0, diverged: string | undefined;
  const check = () => {
    const v = valMae(), better = best.offer(v);
    hooks.onProgress?.({ step: loop.step, seconds: wall(), trainLoss: lossN ? lossSum / lossN : NaN, valMae: v.mae, best: better });
    lossSum = lossN = 0;
  };
  // Squared error has no uniform guess: the divergence guard measures against the first loss.
  const loop = new TrainLoop((lr) => {
    const starts = Array.from({ length: o.batch }, () => firstStart + rng.int(lastStart - firstStart + 1));
    return netStep(trainer, rnn ? sequenceBatch(feat, starts, T, scaled, H) : windowBatch(feat, starts, N, scaled, H), lr);
  }, {
    budget: { seconds: o.time > 0 ? o.time : null, steps: o.steps > 0 ? o.steps : null },
    schedule: { kind: 'cosine', lr: o.lr, lrMin: o.lr * LR_FLOOR, warmup: 0 }, guard: { uniformLoss: null }, params: net.params, now,
  });
  const validation = new Cadence({ steps: VAL_EVERY }, loop);
  try {
    while (!loop.done) {
      lossSum += loop.next().loss; lossN++;
      if (validation.due) { check(); validation.done(); }
    }
  } catch (e) {
    if (!(e instanceof TrainingDiverged)) throw e;
    diverged = e.message;
  }
  if (loop.step % VAL_EVERY !== 0 || loop.step === 0 || diverged) check();
  return { forecaster: fc, features: feat, split, steps: loop.step, seconds: wall(), val: best.restore()!, ...(diverged ? { diverged } : {}) };
}

/** The cosine schedule ends at this fraction of the learning rate. */
const LR_FLOOR = 0.05;
/** Updates between validations. */
const VAL_EVERY = 50;

export interface ForecastReport {
  model: ForecastModel;
  horizon: number;
  mae: number;
  rmse: number;
  byHorizon: ErrorMetrics[];
  baselines: { last_value: ErrorMetrics; seasonal_naive: ErrorMetrics };
  /** Test-span forecasts at the full horizon (made H steps ahead), aligned with the targets. */
  plot: { index: number[]; truth: number[]; model: number[]; seasonal: number[] };
}

/** Score a trained forecaster and the naive baselines on the test span. */
export function testForecaster(trained: TrainedForecaster, values: Float64Array): ForecastReport {
  const { forecaster: fc, features, split } = trained, H = fc.opts.horizon, n = values.length;
  const pred = fc.forecast(features, n);
  const naive = naiveForecasts(values, H, fc.opts.season);
  const score = (p: Float64Array) => scoreSpan(values, p, H, split.testStart, n);
  const m = score(pred);
  const plot = { index: [] as number[], truth: [] as number[], model: [] as number[], seasonal: [] as number[] };
  for (let j = split.testStart; j < n; j++) {
    plot.index.push(j); plot.truth.push(values[j]);
    plot.model.push(pred[(j - H) * H + H - 1]); plot.seasonal.push(naive.seasonal[(j - H) * H + H - 1]);
  }
  return {
    model: fc.opts.model, horizon: H, mae: m.all.mae, rmse: m.all.rmse, byHorizon: m.byHorizon,
    baselines: { last_value: score(naive.lastValue).all, seasonal_naive: score(naive.seasonal).all }, plot,
  };
}

