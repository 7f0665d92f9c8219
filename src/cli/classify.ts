/**
 * `recur classify`: train a text classifier (a recurrent network reading word tokens, or one of the
 * feed-forward baselines) on a fixed, seeded, stratified split and report test accuracy, precision,
 * recall, F1 and the confusion matrix. `recur predict`: label new texts with a saved classifier.
 */
import { describeBackend } from '../node/backend.js';
import type { Command } from 'commander';
import type { Backend } from '../kernels/backend.js';
import { parseJsonl, parseTexts, type LabeledText } from '../data/jsonl.js';
import { ModelFileError } from '../io/safetensors.js';
import { spamAssassin } from '../node/corpora.js';
import { atomicWriteFile } from '../node/files.js';
import {
  BASELINE_MODELS, CLASSIFIER_MODELS, CLASSIFY_DEFAULTS, splitData, testClassifier, TextClassifier, trainClassifier,
  type ClassifierModel, type ClassifyData, type ClassifyOptions, type Progress,
} from '../tasks/classify.js';
import { TOKEN_MODES, type TokenMode } from '../tasks/tokenize.js';
import { checkOutputPath, choiceArg, netTrainingFlags, intArg, jsonLine, numArg, out, printable, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, readModelFile, readText } from './lm-io.js';
import { formatTable } from './table.js';

const DATASETS = ['spam-assassin'] as const;

interface ClassifyFlags {
  dataset?: (typeof DATASETS)[number]; data?: string; model: ClassifierModel; bidirectional?: boolean;
  hidden: number; embed: number; layers: number; maxLen: number; tokens: TokenMode; vocabSize: number; minCount: number;
  window: number; batch: number; lr: number; clipNorm: number; time?: number; epochs?: number; seed: number;
  out?: string; json?: boolean; compare?: boolean; backend: 'auto' | 'native' | 'wasm' | 'js'; threads?: number;
}

export function register(program: Command): void {
  const d = CLASSIFY_DEFAULTS;
  const cmd = program
    .command('classify')
    .description(`Classify texts (one label per text): a recurrent network or a feed-forward baseline, scored on a held-out test split. Default: a GRU on the built-in SpamAssassin corpus, ${d.time} s of training.`)
    .option('--dataset <name>', `built-in data: ${DATASETS.join(', ')} (the default without --data)`, choiceArg(DATASETS))
    .option('--data <file>', 'JSON Lines file, one {"text": ..., "label": ...} per line')
    .option('--model <name>', `${CLASSIFIER_MODELS.join(', ')} (window/mean: MLP over the last N / the average of the token embeddings; bow: logistic regression over token counts)`, choiceArg(CLASSIFIER_MODELS), d.model)
    .option('--bidirectional', 'read each text in both directions (recurrent models)')
    .option('--hidden <n>', 'hidden units (recurrent layers, or the MLP hidden layer)', intArg(1, 8192), d.hidden)
    .option('--embed <n>', 'token embedding width', intArg(1, 4096), d.embed)
    .option('--layers <n>', 'stacked recurrent layers', intArg(1, 16), d.layers)
    .option('--max-len <n>', 'tokens kept from the start of each text (0 = all)', intArg(0), d.maxLen)
    .option('--tokens <kind>', `input tokens: ${TOKEN_MODES.join(' or ')}`, choiceArg(TOKEN_MODES), d.tokens)
    .option('--vocab-size <n>', 'most tokens in the vocabulary (built from the training split)', intArg(2, 10_000_000), d.vocabSize)
    .option('--min-count <n>', 'occurrences in the training split a token needs to get its own id', intArg(1), d.minCount)
    .option('--window <n>', 'tokens the window baseline concatenates', intArg(1, 4096), d.window);
  netTrainingFlags(cmd, d, {
    batch: 'texts per training step', lr: 'Adam learning rate', seed: 'random seed (split, weights, batch order)',
    budget: { flag: '--epochs <n>', what: 'passes over the training split', max: 1_000_000 },
  })
    .option('--compare', `also train the feed-forward baselines (${BASELINE_MODELS.join(', ')}) on the same split and report one table`)
    .option('--out <file>', 'save the trained model (of --model) here')
    .option('--json', 'print one JSON object per line; the last one is the summary');
  addBackendOptions(cmd).action(run(async (opts: ClassifyFlags) => classify(opts)));

  const pred = program
    .command('predict')
    .description('Label texts with a classifier saved by `recur classify --out`, with the probability of each class.')
    .argument('[text...]', 'texts to label')
    .requiredOption('--model <file>', 'model file written by recur classify --out')
    .option('--data <file>', 'JSON Lines file of {"text": ...} records (a "label" on every record also reports accuracy)')
    .option('--json', 'one JSON object per text (and a summary line with --data labels)');
  addBackendOptions(pred).action(run(async (texts: string[], opts: PredictFlags) => predict(texts, opts)));
}

async function loadData(opts: ClassifyFlags): Promise<{ records: LabeledText[]; classes: string[]; source: string }> {
  if (opts.data !== undefined && opts.dataset !== undefined) throw new UsageError('give --dataset or --data, not both');
  if (opts.data !== undefined) {
    const text = await readText(opts.data);
    try {
      return { ...parseJsonl(text), source: opts.data };
    } catch (e) {
      throw new Error(`${opts.data}: ${(e as Error).message}`);
    }
  }
  // Message bodies only (headers would give the label away); duplicates dropped so none straddles the split.
  const records = spamAssassin({ dedupe: true }).filter((r) => r.text.trim() !== '').map((r) => ({ text: r.text, label: r.label }));
  return { records, classes: ['ham', 'spam'], source: 'SpamAssassin (message bodies, duplicates removed)' };
}

const f3 = (x: number): string => x.toFixed(3);
const f4 = (x: number): string => x.toFixed(4);

interface ModelResult {
  model: ClassifierModel; accuracy: number; precision: number; recall: number; f1: number; confusion: number[][];
  val_accuracy: number; seconds: number; epochs: number; steps: number; parameters: number;
}

async function classify(opts: ClassifyFlags): Promise<void> {
  if (opts.bidirectional && BASELINE_MODELS.includes(opts.model)) throw new UsageError(`--bidirectional applies to recurrent models, not ${opts.model}`);
  if (opts.bidirectional && opts.model === 'jordan') throw new UsageError('a Jordan network feeds back its previous output, so it cannot be bidirectional');
  if (opts.out) checkOutputPath(opts.out, '--out', { '--data': opts.data });
  const { records, classes, source } = await loadData(opts);
  const data: ClassifyData = splitData(records, classes, opts.seed);
  const be = await backendFrom(opts);
  const json = Boolean(opts.json);
  const base: Partial<ClassifyOptions> = {
    tokens: opts.tokens, maxLen: opts.maxLen, vocabSize: opts.vocabSize, minCount: opts.minCount, hidden: opts.hidden, embed: opts.embed,
    layers: opts.layers, bidirectional: Boolean(opts.bidirectional), window: opts.window, batch: opts.batch, lr: opts.lr,
    clipNorm: opts.clipNorm, seed: opts.seed,
    time: opts.time ?? (opts.epochs !== undefined ? 0 : CLASSIFY_DEFAULTS.time), epochs: opts.epochs ?? 0,
  };
  const say = (s: string) => { if (!json) process.stderr.write(s); };
  say(`${source}: ${records.length} texts, ${classes.length} classes (${classes.map(printable).join(', ')}); split train ${data.train.length} / validation ${data.val.length} / test ${data.test.length} (seed ${opts.seed}); ${describeBackend(be)} backend\n`);
  const models = opts.compare ? [...new Set([opts.model, ...BASELINE_MODELS])] : [opts.model];
  const results: ModelResult[] = [];
  let mainClassifier: TextClassifier | null = null;
  let diverged: string | null = null;
  for (const model of models) {
    const settings = { ...base, model, bidirectional: BASELINE_MODELS.includes(model) ? false : base.bidirectional };
    const budget = settings.time! > 0 ? `${settings.time} s` : `${settings.epochs} epochs`;
    say(`training ${model} (${budget})...\n`);
    let lastReport = -Infinity;
    const onProgress = (p: Progress) => {
      // At most one line per 10 s of training (a fast backend checks validation many times a second).
      if (p.seconds - lastReport < 10) return;
      lastReport = p.seconds;
      if (json) jsonLine({ event: 'progress', model, step: p.step, epoch: p.epoch, seconds: p.seconds, train_loss: p.trainLoss, val_loss: p.val.loss, val_accuracy: p.val.accuracy });
      else say(`  ${p.seconds.toFixed(0)} s, step ${p.step}, epoch ${p.epoch.toFixed(2)}: train loss ${p.trainLoss.toFixed(4)}, validation accuracy ${f4(p.val.accuracy)}\n`);
    };
    const trained = trainClassifier(be, data, settings, { onProgress });
    const test = testClassifier(trained.classifier, data.test).metrics;
    results.push({
      model, accuracy: test.accuracy, precision: test.precision, recall: test.recall, f1: test.f1, confusion: test.confusion,
      val_accuracy: trained.val.metrics.accuracy, seconds: trained.seconds, epochs: trained.epochs, steps: trained.steps,
      parameters: trained.classifier.net.params.size,
    });
    if (model === opts.model) mainClassifier = trained.classifier;
    diverged ??= trained.diverged ? `${model}: ${trained.diverged}` : null;
  }
  const main = results[0];
  if (opts.out && mainClassifier) atomicWriteFile(opts.out, mainClassifier.toBytes({ dataset: source, seed: opts.seed }));
  const positive = classes.length === 2 ? classes[1] : null;
  if (json) {
    jsonLine({
      summary: true, model: main.model, accuracy: main.accuracy, precision: main.precision, recall: main.recall, f1: main.f1,
      confusion: main.confusion, classes, positive, split: { train: data.train.length, val: data.val.length, test: data.test.length, seed: opts.seed },
      val_accuracy: main.val_accuracy, seconds: main.seconds, epochs: main.epochs, steps: main.steps, parameters: main.parameters,
      backend: be.name, ...(opts.compare ? { compare: results } : {}), ...(opts.out ? { out: opts.out } : {}),
    });
    return failIfDiverged(diverged, opts.out);
  }
  const out = process.stdout;
  out.write(`\ntest split (${data.test.length} texts)${positive ? `, precision/recall/F1 of '${printable(positive)}'` : ', macro-averaged precision/recall/F1'}:\n`);
  out.write(formatTable(['model', 'accuracy', 'precision', 'recall', 'F1', 'train s', 'epochs', 'parameters'],
    results.map((r) => [r.model, f4(r.accuracy), f3(r.precision), f3(r.recall), f3(r.f1), r.seconds.toFixed(0), r.epochs.toFixed(1), String(r.parameters)])));
  out.write(`\nconfusion matrix of ${main.model} (rows: true class, columns: predicted):\n`);
  out.write(formatTable(['', ...classes.map(printable)], main.confusion.map((row, i) => [printable(classes[i]), ...row.map(String)])));
  if (opts.out) out.write(`\nmodel saved to ${opts.out}\n`);
  failIfDiverged(diverged, opts.out);
}

/** After the report: a run that diverged fails (one line, exit 1); what was kept is the best validated model. */
function failIfDiverged(diverged: string | null, out: string | undefined): void {
  if (diverged) throw new Error(`${diverged}; ${out ? `the best validated model is in ${out}` : 'the scores are those of the best validated model'}; try a lower --lr`);
}

// ------------------------------------------------------------------------------------ predict

interface PredictFlags { model: string; data?: string; json?: boolean; backend: 'auto' | 'native' | 'wasm' | 'js'; threads?: number }

const loadClassifier = (path: string, be: Backend): TextClassifier => readModelFile(path, (bytes) => TextClassifier.fromBytes(bytes, be));

/** Records of a JSONL file to label: "text" required (non-empty), "label" optional. */
function readTexts(text: string, path: string): { texts: string[]; labels: (string | null)[] } {
  try { return parseTexts(text); } catch (e) { throw new Error(`${path}: ${(e as Error).message}`); }
}

async function predict(args: string[], opts: PredictFlags): Promise<void> {
  if (args.length > 0 && opts.data !== undefined) throw new UsageError('give texts or --data, not both');
  if (args.length === 0 && opts.data === undefined) throw new UsageError('give a text to label or --data FILE');
  let texts = args, labels: (string | null)[] = args.map(() => null);
  if (opts.data !== undefined) ({ texts, labels } = readTexts(await readText(opts.data), opts.data));
  else args.forEach((t, i) => { if (t.trim() === '') throw new UsageError(`text ${i + 1} is empty`); });
  const be = await backendFrom(opts);
  const clf = loadClassifier(opts.model, be);
  const { labels: pred, probs } = clf.predict(texts);
  const C = clf.classes.length;
  let right = 0, known = 0;
  texts.forEach((t, i) => {
    const k = pred[i], p = probs.subarray(i * C, (i + 1) * C);
    if (labels[i] !== null) { known++; if (labels[i] === clf.classes[k]) right++; }
    if (opts.json) {
      jsonLine({ index: i + 1, label: clf.classes[k], probability: p[k], probabilities: Object.fromEntries(clf.classes.map((c, j) => [c, p[j]])) });
    } else {
      const snippet = t.replace(/\s+/g, ' ').trim();
      out(`${printable(clf.classes[k])}\t${p[k].toFixed(4)}\t${printable(snippet.length > 70 ? `${snippet.slice(0, 69)}…` : snippet)}\n`);
    }
  });
  if (known > 0 && known === texts.length) {
    if (opts.json) jsonLine({ summary: true, count: texts.length, accuracy: right / known });
    else process.stderr.write(`accuracy ${f4(right / known)} on ${known} labelled texts\n`);
  }
}
