/**
 * `recur train`: a character-level language model (char-rnn) on a text, or one sequence per line
 * (names). With no flags: an LSTM on the built-in Moby Dick for a bounded time, then a sample.
 */
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
  archProblem, DEFAULT_ARCH, DEFAULT_CADENCE, DEFAULT_SETTINGS, DEFAULT_TIME_S, LmDivergedError, LmJob, SCHEDULES, VAL_AUTO,
  type Every, type LmCadence, type LmData, type LmLog, type LmSettings, type Schedule,
} from '../tasks/lm.js';
import type { LoadedLm } from '../tasks/lm-file.js';
import { MAX_TOKENS, TOKEN_KINDS, type TokenKind } from '../data/tokens/index.js';
import { DEFAULT_VOCAB_SIZE } from '../data/tokens/build.js';
import { defaultsFor, type LmDefaults } from '../tasks/lm-defaults.js';
import { adapts } from '../train/cadence.js';
import { checkOutputPath, choiceArg, intArg, jsonLine, numArg, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, everyArg, loadLm, never, readText, valEveryArg } from './lm-io.js';
import { checkOutsideCorpus, collect, corpusPaths, mobyCorpus, openCorpus, sourceOf, streamTokens } from './lm-data.js';

const CELLS: CellType[] = ['elman', 'jordan', 'elman+jordan', 'lstm', 'gru'];
const CORPORA = ['moby', 'names'] as const;
type Corpus = (typeof CORPORA)[number];

interface TrainOpts extends RegularisationOpts {
  data?: string[]; vocabFrom?: string; vocabSample?: number; corpus: Corpus; lines?: boolean;
  cell: CellType; activation: Activation; hidden: number; layers: number; embed: number; lags?: number[];
  h0: H0Mode; weightInit: InitScheme; forgetBias?: number; bidirectional?: boolean;
  batch: number; seq: number; lr: number; lrMin?: number; schedule: Schedule; warmup: number;
  optimizer: OptimizerName; momentum: number; weightDecay: number; clipNorm: number; clipValue: number;
  valFraction: number; valChars: number; steps?: number; time?: number; seed: number; average?: boolean;
  init?: string; resume?: boolean; out: string; json?: boolean;
  logEvery: Every; valEvery: Every; saveEvery: Every; sampleEvery?: Every;
  sampleLength: number; temperature: number;
  backend: BackendName; threads?: number;
  tokens?: TokenKind; vocabSize?: number;
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
    .description(`Train a character-level language model (char-rnn). Without --data: the built-in Moby Dick, an LSTM for ${DEFAULT_TIME_S} s of training, then a sample. Flags not given take the defaults measured for the budget and corpus size (width, batch, dropout and averaging may differ from the values shown: on Moby Dick for 180 s it trains 384 units at batch 8).`)
    .option('--data <file>', "training text: a file, a directory (its files in sorted order) or '-' (standard input); repeat to concatenate; default: the built-in corpus", collect)
    .option('--vocab-from <file>', 'take the vocabulary from this model file instead of a pass over the data (training starts at once)')
    .option('--vocab-sample <bytes>', 'take the vocabulary from this many bytes spread over the data instead of a pass over all of it', intArg(1))
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
    .addOption(new Option('--val-every <n|Ns|auto>', 'validate (and save) every n steps or N seconds; 0 = only at the end; auto = as often as it costs at most 3% of the training time, at least every 30 s (saving then follows --save-every)').argParser(valEveryArg).default(VAL_AUTO, 'auto'))
    .addOption(new Option('--save-every <n|Ns>', 'save every n steps or N seconds (and at the end, and with every validation of a fixed --val-every); 0 = not otherwise').argParser(everyArg).default({ seconds: 30 }, '30s'))
    .option('--sample-every <n|Ns>', 'print a short sample every n steps or N seconds (default: with each validation, every 30 s with --val-every auto)', everyArg)
    .option('--sample-length <n>', 'characters in the final sample (0 = none)', intArg(0, 1_000_000), 500)
    .option('--temperature <x>', 'temperature of the samples printed during training', numArg(0, 100), 0.8);
  addTokenOptions(cmd);
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
function applyMeasuredDefaults(opts: TrainOpts, command: Command, data: LmData): Partial<LmDefaults> {
  const seconds = opts.steps !== undefined ? null : opts.time ?? DEFAULT_TIME_S;
  const size = data.text?.length ?? data.bytes?.size ?? 0; // characters in memory, else bytes (the same for ASCII)
  const d = defaultsFor(seconds, Math.round(size * (1 - opts.valFraction)));
  const o = opts as unknown as Record<string, unknown>, applied: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (explicit(command, k)) continue;
    // A default the chosen model cannot take (input dropout without an embedding, output dropout on a Jordan cell) is left off.
    const before = o[k];
    o[k] = v;
    if (freshArchProblem(opts)) o[k] = before;
    else applied[k] = v;
  }
  return applied as Partial<LmDefaults>;
}

/** The measured defaults a run took, in words ("hidden 384, batch 8, ..."); zero regularisers are left out. */
function describeDefaults(d: Partial<LmDefaults>): string {
  const words: Record<keyof LmDefaults, string> = {
    hidden: 'hidden', batch: 'batch', lr: 'lr', dropoutInput: 'input dropout', dropoutOutput: 'output dropout',
    dropoutEmbed: 'embedding dropout', weightDrop: 'weight drop', average: 'averaged weights',
  };
  return (Object.entries(d) as [keyof LmDefaults, number | boolean][])
    .filter(([, v]) => v !== 0 && v !== false)
    .map(([k, v]) => (typeof v === 'boolean' ? words[k] : `${words[k]} ${v}`)).join(', ');
}

/** The text to train on, from --data, the built-in corpus, or (resuming without --data) where the run's text came from. */
async function loadData(opts: TrainOpts, command: Command, resumed: LoadedLm | null, base: LoadedLm | null): Promise<LmData> {
  let mode: LmData['mode'] = opts.lines || opts.corpus === 'names' ? 'lines' : 'stream';
  // A model read from a file says how it reads text, unless the flags say otherwise.
  if (base && !opts.lines && opts.corpus !== 'names') mode = base.task.mode;
  let paths = opts.data, source = paths ? sourceOf(paths) : opts.corpus === 'names' ? 'first-names' : 'moby-dick';
  if (resumed && !opts.data && !explicit(command, 'corpus')) {
    source = resumed.task.source;
    mode = resumed.task.mode;
    paths = corpusPaths(source) ?? undefined;
    if (!paths && source !== 'moby-dick' && source !== 'first-names') {
      throw new UsageError(`the run in ${opts.out} was trained on ${source === 'stdin' ? 'standard input' : 'an unknown source'}: give the same text with --data`);
    }
  }
  if (source === 'first-names') return { mode: 'lines', text: firstNames().join('\n'), source };
  if (mode === 'lines') {
    if (!paths) return { mode, text: mobyDick(), source };
    if (paths.length > 1) throw new UsageError('one sequence per line (--lines) reads one --data file');
    return { mode, text: await readText(paths[0]), source };
  }
  return { mode, bytes: paths ? await openCorpus(paths) : mobyCorpus(), source };
}

/** The data flags that do not go together. */
function checkDataFlags(opts: TrainOpts): void {
  if (opts.vocabFrom !== undefined && opts.vocabSample !== undefined) throw new UsageError('give --vocab-from or --vocab-sample, not both');
  const vocabFlag = opts.vocabFrom !== undefined ? '--vocab-from' : opts.vocabSample !== undefined ? '--vocab-sample' : null;
  if (vocabFlag && (opts.init || opts.resume)) throw new UsageError(`${vocabFlag} cannot be used with ${opts.resume ? '--resume' : '--init'}: the vocabulary comes from the model file`);
  if (vocabFlag && (opts.lines || opts.corpus === 'names')) throw new UsageError(`${vocabFlag} applies to streamed text, not to one sequence per line`);
  if (opts.vocabFrom !== undefined && (opts.tokens !== undefined || opts.vocabSize !== undefined)) throw new UsageError('--vocab-from brings the model\'s tokens: --tokens and --vocab-size do not apply');
  if (opts.vocabSample !== undefined && opts.tokens === 'byte') throw new UsageError('--tokens byte learns nothing from the text: --vocab-sample does not apply');
  for (const p of opts.data ?? []) {
    checkOutputPath(opts.out, '--out', { '--data': p, '--init': opts.init, '--vocab-from': opts.vocabFrom });
  }
  checkOutsideCorpus(opts.out, opts.data ?? []);
}

/** --tokens and --vocab-size: what a fresh model reads (a model file brings its own tokenizer). */
function addTokenOptions(cmd: Command): void {
  cmd
    .option('--tokens <kind>', 'what the model reads: char (Unicode characters, the default), byte (the 256 byte values), word (words with their leading space, punctuation, whitespace runs), bpe (byte-level subwords learned from the text)', choiceArg(TOKEN_KINDS as TokenKind[]))
    .option('--vocab-size <n>', `most token ids, <unk> included: word and bpe learn this many (default ${DEFAULT_VOCAB_SIZE}); char keeps the most frequent characters and maps the rest to <unk> (default: all)`, intArg(2, MAX_TOKENS));
}

function checkTokenFlags(opts: TrainOpts, command: Command): void {
  const given = ['tokens', 'vocabSize'].filter((k) => explicit(command, k));
  if (given.length > 0 && (opts.init || opts.resume)) throw new UsageError(`${flagName(given[0])} cannot be used with ${opts.resume ? '--resume' : '--init'}: the tokens come from the model file`);
  if (given.length > 0 && (opts.lines || opts.corpus === 'names')) throw new UsageError(`${flagName(given[0])} applies to a stream of text; one sequence per line is learned from characters`);
  if (opts.vocabSize !== undefined && opts.tokens === 'byte' && opts.vocabSize !== 256) throw new UsageError('--tokens byte has 256 ids; --vocab-size does not apply');
  if (opts.vocabSize !== undefined && opts.tokens === 'bpe' && opts.vocabSize < 257) throw new UsageError(`--vocab-size ${opts.vocabSize} is too small for bpe: its first 256 ids are the bytes`);
}

/** "1.2345 nats/char (1.781 bits/char)", with the loss per token first when tokens are not characters. */
function lossText(job: LmJob, loss: number, perChar: number, bpc: number): string {
  const chars = `${perChar.toFixed(4)} nats/char (${bpc.toFixed(3)} bits/char)`;
  return job.tokens.kind === 'char' ? chars : `${loss.toFixed(4)} nats/token, ${chars}`;
}

function checkFlags(opts: TrainOpts, command: Command): void {
  checkTokenFlags(opts, command);
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

/** 950 → "950 B", 8640 → "8.6 kB", 4.1e9 → "4.10 GB". */
const bytesText = (n: number): string => {
  const [v, unit] = n < 1e3 ? [n, 'B'] : n < 1e6 ? [n / 1e3, 'kB'] : n < 1e9 ? [n / 1e6, 'MB'] : [n / 1e9, 'GB'];
  return `${unit === 'B' ? v : v.toFixed(unit === 'GB' ? 2 : 1)} ${unit}`;
};

/** Where a streamed run is in its text, for the progress bar. */
function dataWhere(job: LmJob): string | undefined {
  const done = job.bytesDone;
  return done === null ? undefined : `epoch ${job.epoch.toFixed(2)}, ${bytesText(done)} of ${bytesText(job.trainSize)}`;
}

/** The same for --json lines: bytes behind the streams in this epoch, out of the training part's. */
const dataJson = (job: LmJob): Record<string, number> => (job.bytesDone === null ? {} : { bytes: job.bytesDone, train_bytes: job.trainSize });

function cellName(job: LmJob): string {
  const c = job.model.config;
  const name = { elman: 'Elman RNN', jordan: 'Jordan RNN', 'elman+jordan': 'Elman+Jordan RNN', lstm: 'LSTM', gru: 'GRU' }[c.cell];
  return `${name} ${c.layers}×${c.hidden}${c.embed ? `, embedding ${c.embed}` : ', one-hot input'}`;
}

async function train(opts: TrainOpts, command: Command): Promise<void> {
  checkFlags(opts, command);
  checkDataFlags(opts);
  checkOutputPath(opts.out, '--out', { '--init': opts.init, '--vocab-from': opts.vocabFrom });
  const be = await backendFrom(opts);
  const resumed = opts.resume ? loadLm(opts.out, be) : null;
  const from = opts.init ? loadLm(opts.init, be) : null;
  const data = await loadData(opts, command, resumed, resumed ?? from);
  const applied = !resumed && !from ? applyMeasuredDefaults(opts, command, data) : null;
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
    tokens: data.bytes && !resumed && !from ? streamTokens(opts, data.bytes, be) : undefined,
  });

  const s = job.settings, json = Boolean(opts.json);
  const unit = job.mode === 'lines' ? 'lines' : 'bytes';
  const nParams = job.model.params.size;
  if (!json) {
    process.stderr.write(`${resumed ? `resuming at step ${job.step}: ` : ''}${cellName(job)} (${nParams.toLocaleString('en-US')} parameters) on ${data.source.replace(/^file:/, '')}: `
      + `${job.trainSize.toLocaleString('en-US')} training / ${job.valSize.toLocaleString('en-US')} validation ${unit}, vocabulary ${job.tokens.size}${job.tokens.kind === 'char' ? '' : ` ${job.tokens.kind} tokens`}; `
      + `${describeBackend(be)} backend; ${s.steps !== null ? `${s.steps} steps` : `${s.time} s`}\n`);
    const taken = applied ? describeDefaults(applied) : '';
    if (taken) process.stderr.write(`measured defaults for this budget and corpus (flags override): ${taken}\n`);
  }
  const total = s.steps ?? s.time!;
  const progress: Progress | null = json ? null : createProgress({ total });
  let stop = false;
  const onSigint = (): void => { stop = true; process.removeListener('SIGINT', onSigint); };
  process.on('SIGINT', onSigint);
  let lastSaved = resumed ? job.step : -1;
  // Samples and the spectrum come with each validation, or every 30 s when validation adapts to its cost.
  const withVal: Every = adapts(opts.valEvery) ? { seconds: opts.valEvery.seconds } : opts.valEvery;
  const cadence: LmCadence = {
    ...DEFAULT_CADENCE,
    log: never(opts.logEvery) ?? { steps: Number.MAX_SAFE_INTEGER }, val: never(opts.valEvery), save: never(opts.saveEvery),
    sample: never(opts.sampleEvery ?? withVal), spectrum: json ? never(withVal) : null, finalSampleLength: opts.sampleLength, temperature: opts.temperature,
  };
  /** What the bar and the log lines show: the smoothed recent loss and speed (a log line: its interval's means). */
  const fields = (log: LmLog | null) => {
    const perStep = job.step > 0 ? job.elapsed / job.step : null;
    const eta = s.steps !== null ? (perStep === null ? null : (s.steps - job.step) * perStep) : Math.max(0, s.time! - job.elapsed);
    const loss = log?.loss ?? job.recent?.loss ?? null;
    return { step: job.step, loss, bpc: loss === null ? null : loss / job.trainCharsPerToken / Math.LN2, charsPerS: log?.chars_per_s ?? job.recent?.charsPerS ?? 0, eta, where: dataWhere(job) };
  };
  let summary;
  try {
    summary = await job.run({
      onLog: (log) => {
        if (json) { jsonLine({ ...log, ...dataJson(job), rss_mb: peakRssMb() }); return; }
        progress!.logLine(fields(log));
        if (log.val_loss !== undefined) progress!.message(`step ${log.step}: validation loss ${lossText(job, log.val_loss, log.val_loss_per_char!, log.val_bpc!)}`);
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
  if (json) jsonLine({ summary: true, ...summary, model: opts.out, rss_mb: peakRssMb(), ...(applied ? { measured_defaults: applied } : {}) });
  else {
    const f = (v: number | null, d: number): string => (v === null ? '-' : v.toFixed(d));
    process.stderr.write(`${summary.stopped === 'interrupted' ? 'interrupted' : 'done'}: ${summary.steps} steps, ${summary.elapsed.toFixed(1)} s of training, `
      + `train loss ${f(summary.train_loss, 4)}, validation loss ${summary.val_loss === null ? '-' : lossText(job, summary.val_loss, summary.val_loss_per_char!, summary.val_bpc!)}${summary.val_step !== null && summary.val_step !== summary.steps ? ` (best, at step ${summary.val_step})` : ''}, `
      + `${Math.round(summary.chars_per_s).toLocaleString('en-US')} chars/s; model saved to ${opts.out}\n`);
    if (summary.sample) process.stdout.write(`${summary.sample}\n`);
  }
  if (summary.stopped === 'interrupted') process.exitCode = 130;
}
