/**
 * `recur train`: a character-level language model (char-rnn) on a text, or one sequence per line
 * (names). With no flags: an LSTM on the built-in Moby Dick for a bounded time, then a sample.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { REGULARISATION_KEYS, type CellType, type H0Mode, type InitScheme, type Regularisation } from '../nn/config.js';
import type { Activation } from '../kernels/backend.js';
import { OPTIMIZERS, type OptimizerName } from '../train/optim.js';
import { atomicWriteFile } from '../node/files.js';
import { firstNames, mobyDick } from '../node/corpora.js';
import { createProgress, type Progress } from '../node/progress.js';
import { peakRssMb } from '../node/memory.js';
import { describeBackend, type BackendName } from '../node/backend.js';
import {
  archProblem, DEFAULT_ARCH, DEFAULT_CADENCE, DEFAULT_SETTINGS, DEFAULT_TIME_S, LmDivergedError, LmJob, SCHEDULES,
  type Every, type LmCadence, type LmData, type LmLog, type LmSettings, type Schedule,
} from '../tasks/lm.js';
import type { LoadedLm } from '../tasks/lm-file.js';
import { defaultsFor } from '../tasks/lm-defaults.js';
import { checkOutputPath, choiceArg, intArg, jsonLine, numArg, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, everyArg, loadLm, never, readText } from './lm-io.js';

const CELLS: CellType[] = ['elman', 'jordan', 'elman+jordan', 'lstm', 'gru'];
const CORPORA = ['moby', 'names'] as const;
type Corpus = (typeof CORPORA)[number];

interface TrainOpts extends RegularisationOpts {
  data?: string; corpus: Corpus; lines?: boolean;
  cell: CellType; activation: Activation; hidden: number; layers: number; embed: number; lags?: number[];
  h0: H0Mode; weightInit: InitScheme; forgetBias?: number; bidirectional?: boolean;
  batch: number; seq: number; lr: number; lrMin?: number; schedule: Schedule; warmup: number;
  optimizer: OptimizerName; momentum: number; weightDecay: number; clipNorm: number; clipValue: number;
  valFraction: number; valChars: number; steps?: number; time?: number; seed: number; average?: boolean;
  init?: string; resume?: boolean; out: string; json?: boolean;
  logEvery: Every; valEvery: Every; saveEvery: Every; sampleEvery?: Every;
  sampleLength: number; temperature: number;
  backend: BackendName; threads?: number;
}

/** Flags that shape the model: they come from the file with --init or --resume. */
const ARCH_FLAGS = ['cell', 'activation', 'hidden', 'layers', 'embed', 'lags', 'h0', 'weightInit', 'forgetBias', 'bidirectional', 'tieWeights'];
/** Flags that shape the training run: they come from the file with --resume. */
const RUN_FLAGS = ['batch', 'seq', 'lr', 'lrMin', 'schedule', 'warmup', 'optimizer', 'momentum', 'weightDecay', 'clipNorm', 'clipValue', 'valFraction', 'valChars', 'seed', 'average', ...REGULARISATION_KEYS];
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const lagsArg = (v: string): number[] => {
  const parts = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
  return parts.map((p) => intArg(2, 4096)(p));
};

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description(`Train a character-level language model (char-rnn). Without --data: the built-in Moby Dick, an LSTM for ${DEFAULT_TIME_S} s of training, then a sample. Flags not given take the defaults measured for the budget and corpus size (dropout and averaging may differ from the values shown).`)
    .option('--data <file>', "training text ('-' = standard input); default: the built-in corpus")
    .option('--corpus <name>', `built-in corpus when there is no --data: moby (Moby Dick) or names (first names, one per line)`, choiceArg(CORPORA), 'moby' as Corpus)
    .option('--lines', 'the data holds one sequence per line (like --corpus names): each is learned on its own from the initial state')
    .option('--cell <cell>', `recurrent cell: ${CELLS.join(', ')}`, choiceArg(CELLS), DEFAULT_ARCH.cell)
    .option('--activation <fn>', 'nonlinearity of Elman/Jordan cells: tanh, relu, sigmoid', choiceArg(['tanh', 'relu', 'sigmoid'] as Activation[]), DEFAULT_ARCH.activation)
    .option('--hidden <n>', 'hidden units per layer', intArg(1, 8192), DEFAULT_ARCH.hidden)
    .option('--layers <n>', 'stacked recurrent layers', intArg(1, 64), DEFAULT_ARCH.layers)
    .option('--embed <n>', 'character embedding width (0 = one-hot input)', intArg(0, 8192), DEFAULT_ARCH.embed)
    .option('--lags <list>', 'extra recurrences W_k h(t-k) of Elman cells, e.g. 2,4', lagsArg)
    .option('--h0 <mode>', 'initial hidden state: zero, random, learned', choiceArg(['zero', 'random', 'learned'] as H0Mode[]), DEFAULT_ARCH.h0)
    .option('--weight-init <scheme>', 'weight initialisation: pytorch, xavier, orthogonal, identity', choiceArg(['pytorch', 'xavier', 'orthogonal', 'identity'] as InitScheme[]), DEFAULT_ARCH.init)
    .option('--forget-bias <x>', 'initial LSTM forget-gate bias (default: PyTorch\'s initialisation)', numArg(-100, 100))
    .option('--bidirectional', 'refused: a language model must not see the characters it predicts')
    .option('--tie-weights', 'the decoder\'s weight is the embedding matrix (needs --embed equal to --hidden)')
    .option('--batch <n>', 'streams (or sequences) per step', intArg(1, 4096), DEFAULT_SETTINGS.batch)
    .option('--seq <n>', 'characters per stream per step (truncated BPTT length)', intArg(1, 65536), DEFAULT_SETTINGS.seq)
    .option('--lr <x>', 'learning rate', numArg(0, 100, { exclusiveMin: true }), DEFAULT_SETTINGS.lr)
    .option('--lr-min <x>', 'final learning rate of the cosine/linear schedule (default: lr/10)', numArg(0, 100))
    .option('--schedule <name>', `learning-rate schedule over the budget: ${SCHEDULES.join(', ')}`, choiceArg(SCHEDULES), DEFAULT_SETTINGS.schedule)
    .option('--warmup <steps>', 'linear learning-rate warm-up steps', intArg(0), DEFAULT_SETTINGS.warmup)
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, choiceArg(OPTIMIZERS), DEFAULT_SETTINGS.optimizer)
    .option('--momentum <x>', 'SGD momentum', numArg(0, 0.999), DEFAULT_SETTINGS.momentum)
    .option('--weight-decay <x>', 'weight decay', numArg(0, 10), DEFAULT_SETTINGS.weightDecay)
    .option('--clip-norm <x>', 'clip the gradient to this global norm (0 = off)', numArg(0), DEFAULT_SETTINGS.clipNorm)
    .option('--clip-value <x>', 'clip each gradient element to [-x, x] (0 = off)', numArg(0), DEFAULT_SETTINGS.clipValue)
    .option('--val-fraction <x>', 'the last fraction of the text held out for validation (0 = none)', numArg(0, 0.9), DEFAULT_SETTINGS.valFraction)
    .option('--val-chars <n>', 'validate on at most this many held-out characters (0 = all)', intArg(0), DEFAULT_SETTINGS.valChars)
    .option('--steps <n>', 'train for this many steps (0 = write the initialised model)', intArg(0))
    .option('--time <seconds>', `train for this many seconds (validation, samples and saving not counted; default ${DEFAULT_TIME_S} unless --steps)`, numArg(0, 1e7, { exclusiveMin: true }))
    .option('--average', 'validate, sample and save a moving average of the weights (training continues from the raw ones)')
    .option('--no-average', 'score and save the raw weights (when the measured defaults would average)')
    .option('--seed <n>', 'random seed (initial weights, dropout, shuffling, samples)', intArg(0, 0xffffffff), DEFAULT_SETTINGS.seed)
    .option('--init <file>', "start from this model's weights, vocabulary and architecture")
    .option('--resume', 'continue the run saved in --out exactly where it stopped')
    .option('--out <file>', 'model file to write', 'model.safetensors')
    .option('--json', 'print one JSON object per line instead of a progress bar; the last one is a summary')
    .addOption(new Option('--log-every <n|Ns>', 'log every n steps or every N seconds').argParser(everyArg).default({ seconds: 2 }, '2s'))
    .addOption(new Option('--val-every <n|Ns>', 'validate (and save) every n steps or N seconds; 0 = only at the end').argParser(everyArg).default({ seconds: 30 }, '30s'))
    .addOption(new Option('--save-every <n|Ns>', 'save every n steps or N seconds (besides every validation and the end); 0 = not otherwise').argParser(everyArg).default({ seconds: 30 }, '30s'))
    .option('--sample-every <n|Ns>', 'print a short sample every n steps or N seconds (default: with each validation)', everyArg)
    .option('--sample-length <n>', 'characters in the final sample (0 = none)', intArg(0, 1_000_000), 500)
    .option('--temperature <x>', 'temperature of the samples printed during training', numArg(0, 100), 0.8);
  addRegularisationOptions(cmd);
  addBackendOptions(cmd).action(run(async (opts: TrainOpts, command: Command) => train(opts, command)));
}

const explicit = (command: Command, key: string): boolean => command.getOptionValueSource(key) === 'cli';

// ------------------------------------------------------------------ regularisation (nn/config.ts Regularisation)
interface RegularisationOpts extends Regularisation { tieWeights?: boolean }

/**
 * The regularisers, stored in the model's config: --resume keeps them, --init keeps the file's unless
 * a flag says otherwise. Dropouts are locked (one mask per stream per chunk).
 */
function addRegularisationOptions(cmd: Command): void {
  const p = numArg(0, 0.99), a = DEFAULT_ARCH;
  cmd
    .option('--dropout <p>', 'locked dropout between stacked layers (the same units dropped at every step of a chunk), in [0, 1)', p, a.dropout)
    .option('--dropout-input <p>', 'locked dropout on the embedding\'s output', p, a.dropoutInput)
    .option('--dropout-output <p>', 'locked dropout on the last layer\'s output, before the decoder', p, a.dropoutOutput)
    .option('--dropout-embed <p>', 'embedding dropout: whole characters\' embeddings dropped for a chunk', p, a.dropoutEmbed)
    .option('--weight-drop <p>', 'DropConnect on the recurrent weights W_hh, one mask per chunk', p, a.weightDrop)
    .option('--ar <alpha>', 'activation regularisation alpha·mean(h²) of the last layer\'s (dropped) output, added to the training objective (the reported loss stays the cross-entropy)', numArg(0, 1e6), a.ar)
    .option('--tar <beta>', 'temporal activation regularisation beta·mean((h_t − h_{t−1})²) of the last layer\'s output, added like --ar', numArg(0, 1e6), a.tar);
}

const regularisationOf = (o: RegularisationOpts): Regularisation => ({
  dropout: o.dropout, dropoutInput: o.dropoutInput, dropoutOutput: o.dropoutOutput, dropoutEmbed: o.dropoutEmbed, weightDrop: o.weightDrop, ar: o.ar, tar: o.tar,
});

/** Combinations a fresh model cannot have, in the flags' words (a model from a file brings its own architecture). */
function checkRegularisationFlags(opts: TrainOpts): void {
  if (opts.init || opts.resume) return;
  const problem = freshArchProblem(opts);
  if (problem) throw new UsageError(problem);
}

/** Why the flags' fresh model cannot be built, or null. */
const freshArchProblem = (opts: TrainOpts): string | null =>
  archProblem({ ...DEFAULT_ARCH, cell: opts.cell, embed: opts.embed, hidden: opts.hidden, tieWeights: Boolean(opts.tieWeights), ...regularisationOf(opts) });

/** The regularisers given on the command line (with --init: those that replace the file's). */
function explicitRegularisation(opts: TrainOpts, command: Command): Partial<Regularisation> {
  return Object.fromEntries(REGULARISATION_KEYS.filter((k) => explicit(command, k)).map((k) => [k, opts[k]]));
}

/**
 * A fresh model without flags takes its width, regularisation, learning rate and averaging from the
 * table measured for the budget and the corpus size (tasks/lm-defaults.ts); every flag given wins.
 */
function applyMeasuredDefaults(opts: TrainOpts, command: Command, data: LmData): void {
  const seconds = opts.steps !== undefined ? null : opts.time ?? DEFAULT_TIME_S;
  const d = defaultsFor(seconds, Math.round(data.text.length * (1 - opts.valFraction)));
  const o = opts as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(d)) {
    if (explicit(command, k)) continue;
    // A default the chosen model cannot take (input dropout without an embedding, output dropout on a Jordan cell) is left off.
    const before = o[k];
    o[k] = v;
    if (freshArchProblem(opts)) o[k] = before;
  }
}

/** The text to train on, from --data, the built-in corpus, or (resuming without --data) where the run's text came from. */
async function loadData(opts: TrainOpts, command: Command, resumed: LoadedLm | null, base: LoadedLm | null): Promise<LmData> {
  let mode: LmData['mode'] = opts.lines || opts.corpus === 'names' ? 'lines' : 'stream';
  // A model read from a file says how it reads text, unless the flags say otherwise.
  if (base && !opts.lines && opts.corpus !== 'names') mode = base.task.mode;
  if (resumed && !opts.data && !explicit(command, 'corpus')) {
    const src = resumed.task.source;
    mode = resumed.task.mode;
    if (src === 'moby-dick') return { mode, text: mobyDick(), source: src };
    if (src === 'first-names') return { mode, text: firstNames().join('\n'), source: src };
    if (src.startsWith('file:')) return { mode, text: await readText(src.slice(5)), source: src };
    throw new UsageError(`the run in ${opts.out} was trained on ${src === 'stdin' ? 'standard input' : 'an unknown source'}: give the same text with --data`);
  }
  if (opts.data) return { mode, text: await readText(opts.data), source: opts.data === '-' ? 'stdin' : `file:${resolve(opts.data)}` };
  if (opts.corpus === 'names') return { mode: 'lines', text: firstNames().join('\n'), source: 'first-names' };
  return { mode, text: mobyDick(), source: 'moby-dick' };
}

function checkFlags(opts: TrainOpts, command: Command): void {
  if (opts.bidirectional) throw new UsageError('a language model predicts each character from those before it; a bidirectional model would see the answer, so --bidirectional is refused');
  if (opts.steps !== undefined && opts.time !== undefined) throw new UsageError('give --steps or --time, not both');
  if (opts.resume && opts.init) throw new UsageError('give --resume (continue the run in --out) or --init (start a new run from a model), not both');
  if (opts.data !== undefined && explicit(command, 'corpus')) throw new UsageError('give --data or --corpus, not both');
  if (opts.init || opts.resume) {
    const from = opts.resume ? '--resume' : '--init';
    for (const k of ARCH_FLAGS) if (explicit(command, k)) throw new UsageError(`${flagName(k)} cannot be used with ${from}: the architecture comes from the model file`);
  }
  if (opts.resume) {
    for (const k of RUN_FLAGS) if (explicit(command, k)) throw new UsageError(`${flagName(k)} cannot be used with --resume: a resumed run keeps the settings saved in ${opts.out}`);
  }
  checkRegularisationFlags(opts);
  if (opts.lrMin !== undefined && opts.lrMin > opts.lr) throw new UsageError(`--lr-min ${opts.lrMin} is larger than --lr ${opts.lr}: the schedule decays from --lr to --lr-min`);
  if (explicit(command, 'activation') && (opts.cell === 'lstm' || opts.cell === 'gru')) {
    throw new UsageError(`--activation applies to Elman and Jordan cells; the ${opts.cell} cell has fixed gate nonlinearities`);
  }
  if (opts.lags && opts.lags.length > 0 && !['elman', 'elman+jordan'].includes(opts.cell)) {
    throw new UsageError(`--lags extends the Elman recurrence; the ${opts.cell} cell has none`);
  }
}

function cellName(job: LmJob): string {
  const c = job.model.config;
  const name = { elman: 'Elman RNN', jordan: 'Jordan RNN', 'elman+jordan': 'Elman+Jordan RNN', lstm: 'LSTM', gru: 'GRU' }[c.cell];
  return `${name} ${c.layers}×${c.hidden}${c.embed ? `, embedding ${c.embed}` : ', one-hot input'}`;
}

async function train(opts: TrainOpts, command: Command): Promise<void> {
  checkFlags(opts, command);
  checkOutputPath(opts.out, '--out', { '--data': opts.data, '--init': opts.init });
  const be = await backendFrom(opts);
  const resumed = opts.resume ? loadLm(opts.out, be) : null;
  const from = opts.init ? loadLm(opts.init, be) : null;
  const data = await loadData(opts, command, resumed, resumed ?? from);
  if (!resumed && !from) applyMeasuredDefaults(opts, command, data);
  const settings: LmSettings = {
    batch: opts.batch, seq: opts.seq, lr: opts.lr, lrMin: opts.lrMin ?? opts.lr / 10, schedule: opts.schedule, warmup: opts.warmup,
    optimizer: opts.optimizer, momentum: opts.momentum, weightDecay: opts.weightDecay, clipNorm: opts.clipNorm, clipValue: opts.clipValue,
    valFraction: opts.valFraction, valChars: opts.valChars, seed: opts.seed, average: Boolean(opts.average),
    steps: opts.steps ?? null, time: opts.steps !== undefined ? null : opts.time ?? DEFAULT_TIME_S,
  };
  const budget = opts.steps !== undefined || opts.time !== undefined ? { steps: opts.steps ?? null, time: opts.steps !== undefined ? null : opts.time! } : undefined;
  const job = new LmJob({
    data, backend: be, settings,
    arch: {
      cell: opts.cell, activation: opts.activation, hidden: opts.hidden, layers: opts.layers, embed: opts.embed, lags: opts.lags ?? [],
      h0: opts.h0, init: opts.weightInit, forgetBias: opts.forgetBias ?? null, bidirectional: false, tieWeights: Boolean(opts.tieWeights),
      ...regularisationOf(opts),
    },
    from: from ?? undefined, regularisation: from ? explicitRegularisation(opts, command) : undefined,
    resume: resumed ?? undefined, budget,
  });

  const s = job.settings, json = Boolean(opts.json);
  const unit = job.mode === 'lines' ? 'lines' : 'characters';
  const nParams = job.model.params.size;
  if (!json) {
    process.stderr.write(`${resumed ? `resuming at step ${job.step}: ` : ''}${cellName(job)} (${nParams.toLocaleString('en-US')} parameters) on ${data.source.replace(/^file:/, '')}: `
      + `${job.trainSize.toLocaleString('en-US')} training / ${job.valSize.toLocaleString('en-US')} validation ${unit}, vocabulary ${job.vocab.size}; `
      + `${describeBackend(be)} backend; ${s.steps !== null ? `${s.steps} steps` : `${s.time} s`}\n`);
  }
  const total = s.steps ?? s.time!;
  const progress: Progress | null = json ? null : createProgress({ total });
  let stop = false;
  const onSigint = (): void => { stop = true; process.removeListener('SIGINT', onSigint); };
  process.on('SIGINT', onSigint);
  let lastSaved = resumed ? job.step : -1;
  const cadence: LmCadence = {
    ...DEFAULT_CADENCE,
    log: never(opts.logEvery) ?? { steps: Number.MAX_SAFE_INTEGER }, val: never(opts.valEvery), save: never(opts.saveEvery),
    sample: never(opts.sampleEvery ?? opts.valEvery), spectrum: json ? never(opts.valEvery) : null, finalSampleLength: opts.sampleLength, temperature: opts.temperature,
  };
  /** What the bar and the log lines show: the smoothed recent loss and speed (a log line: its interval's means). */
  const fields = (log: LmLog | null) => {
    const perStep = job.step > 0 ? job.elapsed / job.step : null;
    const eta = s.steps !== null ? (perStep === null ? null : (s.steps - job.step) * perStep) : Math.max(0, s.time! - job.elapsed);
    const loss = log?.loss ?? job.recent?.loss ?? null;
    return { step: job.step, loss, bpc: loss === null ? null : loss / Math.LN2, charsPerS: log?.chars_per_s ?? job.recent?.charsPerS ?? 0, eta };
  };
  let summary;
  try {
    summary = await job.run({
      onLog: (log) => {
        if (json) { jsonLine({ ...log, rss_mb: peakRssMb() }); return; }
        progress!.logLine(fields(log));
        if (log.val_loss !== undefined) progress!.message(`step ${log.step}: validation loss ${log.val_loss.toFixed(4)} nats/char (${log.val_bpc!.toFixed(3)} bits/char)`);
        if (log.sample !== undefined) progress!.message(`--- sample at step ${log.step} ---\n${log.sample}\n---`);
      },
      onSave: (bytes, step) => { atomicWriteFile(opts.out, bytes); lastSaved = step; },
      shouldStop: () => stop,
      tick: async () => {
        progress?.update(s.steps !== null ? job.step : job.elapsed, fields(null));
        await new Promise<void>((r) => setImmediate(r));
      },
    }, cadence);
  } catch (e) {
    progress?.stop();
    if (e instanceof LmDivergedError) {
      const kept = lastSaved >= 0 ? `the last good model (step ${lastSaved}) is in ${opts.out}` : `no model was saved (${opts.out} was not written)`;
      throw new Error(`${e.message}; ${kept}; try a lower --lr or gradient clipping`);
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress?.update(s.steps !== null ? job.step : job.elapsed, fields(null));
  progress?.stop();
  if (json) jsonLine({ summary: true, ...summary, model: opts.out, rss_mb: peakRssMb() });
  else {
    const f = (v: number | null, d: number): string => (v === null ? '-' : v.toFixed(d));
    process.stderr.write(`${summary.stopped === 'interrupted' ? 'interrupted' : 'done'}: ${summary.steps} steps, ${summary.elapsed.toFixed(1)} s of training, `
      + `train loss ${f(summary.train_loss, 4)}, validation loss ${f(summary.val_loss, 4)} nats/char (${f(summary.val_bpc, 3)} bits/char${summary.val_step !== null && summary.val_step !== summary.steps ? `, best at step ${summary.val_step}` : ''}), `
      + `${Math.round(summary.chars_per_s).toLocaleString('en-US')} chars/s; model saved to ${opts.out}\n`);
    if (summary.sample) process.stdout.write(`${summary.sample}\n`);
  }
  if (summary.stopped === 'interrupted') process.exitCode = 130;
}
