/**
 * `recur forecast`: forecast a daily series H steps ahead with a recurrent network (or a feed-forward
 * baseline), scored on the last, never-trained-on part of the series against the naive forecasts
 * (last value; same weekday last week), in the data's own units, with a plot of forecast vs truth.
 */
import { describeBackend } from '../node/backend.js';
import type { Command } from 'commander';
import { parseCsv } from '../data/series.js';
import { forecastChart } from '../analysis/plots.js';
import { usBirths } from '../node/corpora.js';
import { atomicWriteFile } from '../node/files.js';
import { svgToPng } from '../node/png.js';
import { parseDate } from '../tasks/calendar.js';
import {
  checkSeries, FORECAST_DEFAULTS, FORECAST_MODELS, testForecaster, trainForecaster,
  type ForecastModel, type ForecastOptions, type ForecastProgress, type ForecastReport, type SeriesData, type TrainedForecaster,
} from '../tasks/forecast.js';
import { checkOutputPath, choiceArg, netTrainingFlags, intArg, jsonLine, numArg, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, readText } from './lm-io.js';
import { formatTable } from './table.js';

const DATASETS = ['births'] as const;
const BASELINES: ForecastModel[] = ['window', 'mean'];

interface ForecastFlags {
  dataset?: (typeof DATASETS)[number]; data?: string; column?: string; horizon: number; model: ForecastModel;
  hidden: number; layers: number; seqLen: number; window: number; season: number; batch: number; lr: number; clipNorm: number;
  time?: number; steps?: number; seed: number; valFraction: number; testFraction: number; holidays?: boolean;
  plot: string | false; plotDays: number; out?: string; json?: boolean; compare?: boolean; backend: 'auto' | 'native' | 'wasm' | 'js'; threads?: number;
}

export function register(program: Command): void {
  const d = FORECAST_DEFAULTS;
  const cmd = program
    .command('forecast')
    .description(`Forecast a series H steps ahead (a recurrent network, or a feed-forward baseline) and score it on the held-out end of the series against the naive forecasts. Default: a GRU on the built-in daily US births 2000-2014, ${d.time} s of training.`)
    .option('--dataset <name>', `built-in data: ${DATASETS.join(', ')} (the default without --data)`, choiceArg(DATASETS))
    .option('--data <file>', 'CSV file (a header line names the columns; a first column of YYYY-MM-DD dates is used as the calendar)')
    .option('--column <name>', 'CSV column to forecast: a header name or a 0-based index (default: the last column)')
    .option('--horizon <h>', 'forecast the next H values from every origin', intArg(1, 365), d.horizon)
    .option('--model <name>', `${FORECAST_MODELS.join(', ')} (window: MLP over the last N steps; mean: MLP over their average)`, choiceArg(FORECAST_MODELS), d.model)
    .option('--hidden <n>', 'hidden units (recurrent layers, or the MLP hidden layer)', intArg(1, 8192), d.hidden)
    .option('--layers <n>', 'stacked recurrent layers', intArg(1, 16), d.layers)
    .option('--seq-len <n>', 'steps per training sequence (recurrent models)', intArg(2, 100_000), d.seqLen)
    .option('--window <n>', 'steps the window/mean baselines see', intArg(1, 10_000), d.window)
    .option('--season <n>', 'season length in steps: the seasonal-naive forecast repeats the value this many steps back (7 for daily data)', intArg(1, 1000), d.season);
  netTrainingFlags(cmd, d, {
    batch: 'sequences per training step', lr: 'Adam learning rate (cosine decay to 1/20 of it over the budget)',
    seed: 'random seed (weights, training sequences)', budget: { flag: '--steps <n>', what: 'training steps', max: 100_000_000 },
  })
    .option('--val-fraction <x>', 'fraction of the series, before the test span, used to pick the best model', numArg(0, 0.5, { exclusiveMin: true }), d.valFraction)
    .option('--test-fraction <x>', 'fraction at the end of the series held out for the test', numArg(0, 0.5, { exclusiveMin: true }), d.testFraction)
    .option('--holidays', 'tell the model which days are US holidays (needs dates; the default for --dataset births)')
    .option('--no-holidays', 'do not tell the model about holidays')
    .option('--plot <file>', 'plot of forecast vs truth on the test span (.svg or .png)', 'forecast.svg')
    .option('--no-plot', 'do not write a plot')
    .option('--plot-days <n>', 'plot the last N steps of the test span (0 = all of it; a daily plot of years is a blur)', intArg(0), 112)
    .option('--compare', `also train the feed-forward baselines (${BASELINES.join(', ')}) and report one table`)
    .option('--out <file>', 'save the trained model (of --model) here')
    .option('--json', 'print one JSON object per line; the last one is the summary');
  addBackendOptions(cmd).action(run(async (opts: ForecastFlags) => forecast(opts)));
}

/** Dates of the CSV rows, when the first field of every data row is a YYYY-MM-DD date (else null). */
export function csvDates(text: string): string[] | null {
  const rows = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const first = rows.map((l) => l.split(',')[0].trim().replace(/^"(.*)"$/, '$1'));
  // parseCsv takes a first line with any non-numeric field as a header: so do we.
  if (rows.length > 0 && rows[0].split(',').some((f) => !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(f.trim().replace(/^"(.*)"$/, '$1')))) first.shift();
  if (first.length === 0 || !first.every((f) => /^\d{4}-\d{2}-\d{2}$/.test(f))) return null;
  for (const f of first) parseDate(f);
  for (let i = 1; i < first.length; i++) {
    const step = parseDate(first[i]) - parseDate(first[i - 1]);
    // A repeated or earlier date is not a series in time order (200 rows of one day were forecast as a year).
    if (step <= 0) throw new Error(`date ${first[i]} ${step === 0 ? 'repeats' : `comes after ${first[i - 1]}`}: a series needs one row per date, in date order`);
    if (step !== 86400000) return null; // not consecutive days: no calendar
  }
  return first;
}

async function loadSeries(opts: ForecastFlags): Promise<{ data: SeriesData; source: string; unit: string }> {
  if (opts.data !== undefined && opts.dataset !== undefined) throw new UsageError('give --dataset or --data, not both');
  if (opts.column !== undefined && opts.data === undefined) throw new UsageError('--column applies to a --data CSV file');
  if (opts.data === undefined) {
    const recs = usBirths();
    return { data: { values: Float64Array.from(recs, (r) => r.births), dates: recs.map((r) => r.date) }, source: 'US births per day, 2000-2014 (SSA)', unit: 'births/day' };
  }
  const text = await readText(opts.data);
  const column = opts.column === undefined ? undefined : /^\d+$/.test(opts.column) ? Number(opts.column) : opts.column;
  try {
    const values = parseCsv(text, column);
    const dates = csvDates(text);
    return { data: { values, dates: dates && dates.length === values.length ? dates : null }, source: opts.data, unit: '' };
  } catch (e) {
    throw new Error(`${opts.data}: ${(e as Error).message}`);
  }
}

const f1 = (x: number): string => x.toFixed(1);

async function forecast(opts: ForecastFlags): Promise<void> {
  if (opts.plot !== false && !/\.(svg|png)$/i.test(opts.plot)) throw new UsageError(`--plot ${opts.plot}: the file name must end in .svg or .png`);
  if (opts.plot !== false) checkOutputPath(opts.plot, '--plot', { '--data': opts.data });
  if (opts.out) checkOutputPath(opts.out, '--out', { '--data': opts.data });
  const { data, source, unit } = await loadSeries(opts);
  if (opts.holidays === true && !data.dates) throw new UsageError('--holidays needs dates (a first CSV column of consecutive YYYY-MM-DD days)');
  const json = Boolean(opts.json);
  const settings: Partial<ForecastOptions> = {
    horizon: opts.horizon, season: opts.season, hidden: opts.hidden, layers: opts.layers, seqLen: opts.seqLen, window: opts.window,
    batch: opts.batch, lr: opts.lr, clipNorm: opts.clipNorm, seed: opts.seed, valFraction: opts.valFraction, testFraction: opts.testFraction,
    time: opts.time ?? (opts.steps !== undefined ? 0 : FORECAST_DEFAULTS.time), steps: opts.steps ?? 0,
    holidays: opts.holidays ?? (opts.data === undefined),
  };
  const models = opts.compare ? [...new Set([opts.model, ...BASELINES])] : [opts.model];
  try {
    for (const model of models) checkSeries(data, { ...settings, model });
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  const be = await backendFrom(opts);
  const say = (s: string) => { if (!json) process.stderr.write(s); };
  const results: { model: ForecastModel; trained: TrainedForecaster; report: ForecastReport }[] = [];
  for (const model of models) {
    const budget = settings.time! > 0 ? `${settings.time} s` : `${settings.steps} steps`;
    let lastReport = -Infinity;
    const onProgress = (p: ForecastProgress) => {
      if (p.seconds - lastReport < 10) return;
      lastReport = p.seconds;
      if (json) jsonLine({ event: 'progress', model, step: p.step, seconds: p.seconds, train_loss: p.trainLoss, val_mae: p.valMae });
      else say(`  ${p.seconds.toFixed(0)} s, step ${p.step}: train loss ${p.trainLoss.toFixed(4)} (scaled), validation MAE ${f1(p.valMae)}\n`);
    };
    if (results.length === 0) {
      say(`${source}: ${data.values.length} values${data.dates ? ` (${data.dates[0]} … ${data.dates[data.dates.length - 1]})` : ''}; ${describeBackend(be)} backend\n`);
    }
    say(`training ${model} (${budget})...\n`);
    const trained = trainForecaster(be, data, { ...settings, model }, { onProgress });
    if (results.length === 0) {
      const { split } = trained, at = (i: number) => (data.dates ? data.dates[i] : `#${i + 1}`);
      say(`split: train ${split.valStart} (${at(0)} … ${at(split.valStart - 1)}), validation ${split.testStart - split.valStart}, `
        + `test ${split.n - split.testStart} (${at(split.testStart)} … ${at(split.n - 1)})\n`);
    }
    results.push({ model, trained, report: testForecaster(trained, data.values) });
  }
  const main = results[0], r = main.report, split = main.trained.split;
  let plotPath: string | null = null;
  if (opts.plot !== false) {
    const n = r.plot.index.length, from = opts.plotDays > 0 ? Math.max(0, n - opts.plotDays) : 0, cut = <T>(a: T[]) => a.slice(from);
    const idx = cut(r.plot.index);
    const x = data.dates ? idx.map((j) => data.dates![j]) : idx.map((j) => j + 1);
    const ahead = opts.horizon === 1 ? '1-step-ahead' : `${opts.horizon}-steps-ahead`;
    const svg = await forecastChart({
      x, truth: cut(r.plot.truth), title: `${source}: ${ahead} forecasts, ${from > 0 ? `last ${n - from} steps of the test span` : 'test span'}`,
      xLabel: data.dates ? 'date' : 'step', yLabel: unit || 'value',
      // Short legend names: Vega cuts labels at 160 pixels. The MAE is over the whole test span.
      forecasts: [{ name: `${main.model} (MAE ${Math.round(r.mae)})`, y: cut(r.plot.model) },
        { name: `${opts.season === 7 ? 'last week' : `${opts.season} back`} (MAE ${Math.round(r.baselines.seasonal_naive.mae)})`, y: cut(r.plot.seasonal) }],
      width: 900, height: 320,
    });
    atomicWriteFile(opts.plot, /\.png$/i.test(opts.plot) ? svgToPng(svg, 1800) : new TextEncoder().encode(svg));
    plotPath = opts.plot;
  }
  if (opts.out) atomicWriteFile(opts.out, main.trained.forecaster.toBytes({ dataset: source }));
  const errs = (m: { mae: number; rmse: number }) => ({ mae: m.mae, rmse: m.rmse });
  if (json) {
    jsonLine({
      summary: true, model: r.model, horizon: r.horizon, mae: r.mae, rmse: r.rmse,
      baselines: { last_value: errs(r.baselines.last_value), seasonal_naive: errs(r.baselines.seasonal_naive) },
      ...(r.horizon > 1 ? { by_horizon: r.byHorizon.map(errs) } : {}),
      val_mae: main.trained.val.mae, steps: main.trained.steps, seconds: main.trained.seconds, backend: be.name, unit,
      split: { train: split.valStart, val: split.testStart - split.valStart, test: split.n - split.testStart },
      ...(opts.compare ? { compare: results.map((c) => ({ model: c.model, mae: c.report.mae, rmse: c.report.rmse, val_mae: c.trained.val.mae, steps: c.trained.steps, seconds: c.trained.seconds })) } : {}),
      ...(plotPath ? { plot: plotPath } : {}), ...(opts.out ? { out: opts.out } : {}),
    });
    return failIfDiverged(results, opts.out);
  }
  const out = process.stdout;
  out.write(`\ntest span (${split.n - split.testStart} values), ${opts.horizon === 1 ? '1-step-ahead' : `1- to ${opts.horizon}-steps-ahead`} forecasts${unit ? `, in ${unit}` : ''}:\n`);
  const rows = results.map((c) => [c.model, f1(c.report.mae), f1(c.report.rmse), c.trained.seconds.toFixed(0)]);
  rows.push(['last value', f1(r.baselines.last_value.mae), f1(r.baselines.last_value.rmse), '']);
  rows.push([`seasonal naive (${opts.season} back)`, f1(r.baselines.seasonal_naive.mae), f1(r.baselines.seasonal_naive.rmse), '']);
  out.write(formatTable(['model', 'MAE', 'RMSE', 'train s'], rows));
  if (plotPath) out.write(`\nplot: ${plotPath}\n`);
  if (opts.out) out.write(`model saved to ${opts.out}\n`);
  failIfDiverged(results, opts.out);
}

/** After the report: a run that diverged fails (one line, exit 1); what was kept is the best validated model. */
function failIfDiverged(results: { model: ForecastModel; trained: TrainedForecaster }[], out: string | undefined): void {
  const bad = results.find((c) => c.trained.diverged);
  if (bad) throw new Error(`${bad.model}: ${bad.trained.diverged}; ${out ? `the best validated model is in ${out}` : 'the scores are those of the best validated model'}; try a lower --lr`);
}
