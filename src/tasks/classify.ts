/**
 * Sequence classification: one label at the end of each text, by a recurrent network (the state at
 * each text's real last token feeds the decoder; a bidirectional model adds the reverse direction's
 * state at the first token) or by a feed-forward baseline on exactly the same tokens and splits.
 *
 * Speed comes from the input, not from tricks in the network: texts are word tokens (about 5× fewer
 * steps than characters) cut to the first `maxLen`, and batches group texts of similar length
 * (bucketing), so a batch pads little and every padded step is masked: the state is held through
 * padding and the prediction never sees it. Platform-free.
 */
import type { Backend } from '../kernels/backend.js';
import { ModelFileError } from '../io/checkpoint.js';
import { describeKind } from '../io/json-guard.js';
import type { CellType } from '../nn/config.js';
import { Model, type Batch } from '../nn/model.js';
import { stratifiedSplit } from '../data/split.js';
import type { LabeledText } from '../data/jsonl.js';
import { BestSnapshot } from '../train/best.js';
import { TrainingDiverged, TrainLoop } from '../train/loop.js';
import { constantSchedule } from '../train/schedule.js';
import { Rng } from '../util/rng.js';
import { Mlp, type Pooling } from './baselines.js';
import { classificationMetrics, type ClassificationMetrics } from './metrics.js';
import { decodeNet, encodeNet, forwardNet, isMlp, netStep, netTrainer, probabilities, type Net, type NetTrainingOptions } from './net.js';
import { TokenVocab, type TokenMode } from './tokenize.js';

export type ClassifierModel = 'elman' | 'jordan' | 'lstm' | 'gru' | 'window' | 'mean' | 'bow';
export const RNN_MODELS: ClassifierModel[] = ['elman', 'jordan', 'lstm', 'gru'];
export const BASELINE_MODELS: ClassifierModel[] = ['window', 'mean', 'bow'];
export const CLASSIFIER_MODELS: ClassifierModel[] = [...RNN_MODELS, ...BASELINE_MODELS];

export interface ClassifyOptions extends NetTrainingOptions {
  model: ClassifierModel;
  tokens: TokenMode;
  /** Tokens kept from the start of each text (0 = all). */
  maxLen: number;
  vocabSize: number;
  minCount: number;
  hidden: number;
  embed: number;
  layers: number;
  bidirectional: boolean;
  /** Tokens the window baseline concatenates. */
  window: number;
  /** Training also stops after this many passes over the training split (0 = none). */
  epochs: number;
}

export const CLASSIFY_DEFAULTS: ClassifyOptions = {
  model: 'gru', tokens: 'words', maxLen: 128, vocabSize: 20000, minCount: 2, hidden: 32, embed: 32, layers: 1,
  bidirectional: false, window: 32, batch: 32, lr: 0.01, clipNorm: 5, seed: 1, time: 150, epochs: 0,
};

/** Fractions of the stratified split: train / validation (model selection) / test (reported). */
export const SPLIT = { train: 0.7, val: 0.15, test: 0.15 };

export interface ClassifyData { train: LabeledText[]; val: LabeledText[]; test: LabeledText[]; classes: string[] }

/** The fixed, seeded, stratified split every model of a comparison shares. */
export function splitData(records: readonly LabeledText[], classes: readonly string[], seed: number): ClassifyData {
  const parts = stratifiedSplit(records, (r) => r.label, SPLIT, seed);
  for (const k of ['train', 'val', 'test'] as const) {
    if (parts[k].length === 0) throw new Error(`${records.length} records are too few to split into train, validation and test sets`);
  }
  return { ...parts, classes: [...classes] };
}

/** A trained network with what it needs to read raw text: the vocabulary, the cut, the class names. */
export class TextClassifier {
  constructor(readonly net: Net, readonly vocab: TokenVocab, readonly classes: readonly string[], readonly maxLen: number,
    readonly modelName: ClassifierModel) {}

  encode(text: string): Int32Array { return this.vocab.encode(text, this.maxLen); }

  /** Class probabilities [N×C] of encoded texts (batched by length, returned in input order). */
  probabilities(seqs: readonly Int32Array[], batch = 64): Float64Array {
    const C = this.classes.length, out = new Float64Array(seqs.length * C);
    seqs.forEach((s, i) => { if (s.length === 0) throw new Error(`text ${i + 1} has no tokens`); });
    const order = [...seqs.keys()].sort((a, b) => seqs[a].length - seqs[b].length);
    for (let i = 0; i < order.length; i += batch) {
      const idx = order.slice(i, i + batch);
      forwardNet(this.net, padBatch(seqs, idx));
      const p = probabilities(this.net, idx.length, C);
      idx.forEach((k, b) => out.set(p.subarray(b * C, (b + 1) * C), k * C));
    }
    return out;
  }

  /** Predicted class ids and probabilities of raw texts. */
  predict(texts: readonly string[]): { labels: Int32Array; probs: Float64Array } {
    const probs = this.probabilities(texts.map((t) => this.encode(t)));
    return { labels: argmaxRows(probs, this.classes.length), probs };
  }

  toBytes(extra: Record<string, unknown> = {}): Uint8Array {
    return encodeNet(this.net, {
      type: 'classify', model: this.modelName, classes: [...this.classes], maxLen: this.maxLen, tokenizer: this.vocab.toJSON(), ...extra,
    });
  }

  static fromBytes(bytes: Uint8Array, be: Backend): TextClassifier {
    const { net, task } = decodeNet(bytes, be);
    if (task.type !== 'classify') throw new ModelFileError(`model file holds ${describeKind(task.type ?? task.kind)}, not a text classifier`);
    const classes = task.classes;
    if (!Array.isArray(classes) || classes.length < 2 || classes.some((c) => typeof c !== 'string')) throw new ModelFileError('model file has no valid class list');
    const c = net.config;
    if (c.head !== 'softmax' || c.inputKind !== 'tokens' || (!isMlp(net) && net.config.outputMode !== 'last')) {
      throw new ModelFileError('model file network does not read tokens and predict one class per text');
    }
    const outSize = c.outputSize;
    if (outSize !== classes.length) throw new ModelFileError(`model file names ${classes.length} classes but its network has ${outSize} outputs`);
    let vocab: TokenVocab;
    try { vocab = TokenVocab.fromJSON(task.tokenizer); } catch (e) { throw new ModelFileError(`model file tokenizer is invalid: ${(e as Error).message}`); }
    const inSize = net.config.inputSize;
    if (vocab.size !== inSize) throw new ModelFileError(`model file vocabulary has ${vocab.size} tokens but its network reads ${inSize}`);
    const maxLen = task.maxLen;
    if (!(typeof maxLen === 'number' && Number.isInteger(maxLen) && maxLen >= 0)) throw new ModelFileError('model file has no valid maxLen');
    // The name shown for the model comes from the network itself, not from free-form metadata.
    const name = (isMlp(net) ? net.config.pooling : net.config.cell) as ClassifierModel;
    return new TextClassifier(net, vocab, classes as string[], maxLen, name);
  }
}

export function argmaxRows(p: Float64Array, C: number): Int32Array {
  const n = p.length / C, out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < C; k++) if (p[i * C + k] > p[i * C + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** A time-major batch of the chosen sequences: padding is −1 (never a real token) and masked by `lengths`. */
export function padBatch(seqs: readonly Int32Array[], idx: readonly number[], labels?: Int32Array): Batch {
  const B = idx.length;
  let T = 1;
  for (const i of idx) T = Math.max(T, seqs[i].length);
  const tokens = new Int32Array(T * B).fill(-1), lengths = new Int32Array(B);
  idx.forEach((i, b) => {
    const s = seqs[i];
    lengths[b] = s.length;
    for (let t = 0; t < s.length; t++) tokens[t * B + b] = s[t];
  });
  const batch: Batch = { T, B, tokens, lengths };
  if (labels) batch.targets = Int32Array.from(idx, (i) => labels[i]);
  return batch;
}

/**
 * One epoch's batches: shuffle, then sort pools of 50 batches by length and cut them into batches,
 * then shuffle the batches. Each batch holds texts of similar length (little padding), while the
 * order still changes from epoch to epoch.
 */
export function bucketBatches(lengths: readonly number[], batch: number, rng: Rng): number[][] {
  const idx = [...lengths.keys()];
  rng.shuffle(idx);
  const pool = batch * 50, out: number[][] = [];
  for (let p = 0; p < idx.length; p += pool) {
    const part = idx.slice(p, p + pool).sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < part.length; i += batch) out.push(part.slice(i, i + batch));
  }
  return rng.shuffle(out);
}

/** The network for a model name: a recurrent classifier reading the last state, or a baseline. */
export function buildNet(be: Backend, o: ClassifyOptions, vocabSize: number, classes: number): Net {
  if (RNN_MODELS.includes(o.model)) {
    return new Model({
      cell: o.model as CellType, hidden: o.hidden, layers: o.layers, bidirectional: o.bidirectional, inputSize: vocabSize,
      inputKind: 'tokens', embed: o.embed, outputSize: classes, head: 'softmax', outputMode: 'last',
    }, be);
  }
  if (o.bidirectional) throw new Error(`--bidirectional applies to recurrent models, not ${o.model}`);
  const pooling = o.model as Pooling;
  return new Mlp({
    pooling, inputKind: 'tokens', inputSize: vocabSize, embed: pooling === 'bow' ? 0 : o.embed, window: o.window,
    hidden: pooling === 'bow' ? 0 : o.hidden, outputSize: classes, head: 'softmax',
  }, be);
}

export interface EvalResult { loss: number; metrics: ClassificationMetrics }

/** Loss and scores of a classifier on encoded texts. */
export function evaluate(clf: TextClassifier, seqs: readonly Int32Array[], labels: Int32Array): EvalResult {
  const C = clf.classes.length, p = clf.probabilities(seqs);
  let loss = 0;
  for (let i = 0; i < labels.length; i++) loss -= Math.log(Math.max(p[i * C + labels[i]], 1e-12));
  return { loss: loss / labels.length, metrics: classificationMetrics(labels, argmaxRows(p, C), C) };
}

export interface Progress {
  step: number;
  epoch: number;
  seconds: number;
  trainLoss: number;
  val: { loss: number; accuracy: number };
  best: boolean;
}

export interface TrainedClassifier {
  classifier: TextClassifier;
  steps: number;
  /** Epochs done (fractional). */
  epochs: number;
  seconds: number;
  /** Validation scores of the kept parameters. */
  val: EvalResult;
  /** Why training stopped early, if it diverged (the kept parameters are the best validated, or the last good ones). */
  diverged?: string;
}

export interface TrainHooks {
  /** Clock in milliseconds (default performance.now); tests inject one. */
  now?: () => number;
  onProgress?: (p: Progress) => void;
}

/**
 * Train on `data.train`, checking validation accuracy four times per epoch and when the budget runs
 * out; the parameters with the best validation accuracy (then lowest loss) are the ones kept, so a
 * long budget cannot make the result worse through overfitting.
 */
export function trainClassifier(be: Backend, data: ClassifyData, opts: Partial<ClassifyOptions>, hooks: TrainHooks = {}): TrainedClassifier {
  const o: ClassifyOptions = { ...CLASSIFY_DEFAULTS, ...opts };
  if (!(o.time > 0) && !(o.epochs > 0)) throw new Error('give a time budget or a number of epochs');
  const now = hooks.now ?? (() => performance.now());
  const rng = new Rng(o.seed);
  const vocab = TokenVocab.build(data.train.map((r) => r.text), { mode: o.tokens, maxSize: o.vocabSize, minCount: o.minCount });
  const C = data.classes.length, classId = new Map(data.classes.map((c, i) => [c, i]));
  const encode = (recs: LabeledText[]) => {
    const seqs = recs.map((r, i) => {
      const s = vocab.encode(r.text, o.maxLen);
      if (s.length === 0) throw new Error(`record ${i + 1} has no tokens`);
      return s;
    });
    return { seqs, labels: Int32Array.from(recs, (r) => classId.get(r.label)!) };
  };
  const train = encode(data.train), val = encode(data.val);
  const net = buildNet(be, o, vocab.size, C);
  net.init(rng.fork());
  const clf = new TextClassifier(net, vocab, data.classes, o.maxLen, o.model);
  const trainer = netTrainer(net, { lr: o.lr, clipNorm: o.clipNorm, rng: rng.fork() });
  const lengths = train.seqs.map((s) => s.length);
  const t0 = now();
  const wall = () => (now() - t0) / 1000;
  // The epoch's batches and the next one to train on.
  let batches = bucketBatches(lengths, o.batch, rng), i = 0, epoch = 0;
  const loop = new TrainLoop((lr) => netStep(trainer, padBatch(train.seqs, batches[i], train.labels), lr), {
    budget: { seconds: o.time > 0 ? o.time : null, epochs: o.epochs > 0 ? o.epochs : null },
    schedule: constantSchedule(o.lr), guard: { uniformLoss: Math.log(C) }, params: net.params,
    epoch: () => epoch + i / batches.length, now,
  });
  const best = new BestSnapshot<EvalResult>(net.params, (a, b) => a.metrics.accuracy > b.metrics.accuracy
    || (a.metrics.accuracy === b.metrics.accuracy && a.loss < b.loss));
  let lossSum = 0, lossN = 0, diverged: string | undefined;
  const check = () => {
    const v = evaluate(clf, val.seqs, val.labels), better = best.offer(v);
    hooks.onProgress?.({ step: loop.step, epoch: epoch + i / batches.length, seconds: wall(), trainLoss: lossN ? lossSum / lossN : NaN,
      val: { loss: v.loss, accuracy: v.metrics.accuracy }, best: better });
    lossSum = lossN = 0;
  };
  try {
    while (!loop.done) {
      const every = Math.max(1, Math.ceil(batches.length / 4));
      lossSum += loop.next().loss; lossN++; i++;
      // Validation four times per epoch and at its end (or when the budget runs out).
      if (i === batches.length || loop.done) check();
      else if (i % every === 0) check();
      if (i === batches.length) { epoch++; i = 0; if (!loop.done) batches = bucketBatches(lengths, o.batch, rng); }
    }
  } catch (e) {
    if (!(e instanceof TrainingDiverged)) throw e;
    diverged = e.message;
  }
  const kept = best.restore();
  return {
    classifier: clf, steps: loop.step, epochs: epoch + i / batches.length, seconds: wall(), val: kept ?? evaluate(clf, val.seqs, val.labels),
    ...(diverged ? { diverged } : {}),
  };
}

/** Scores of a trained classifier on labelled records (labels must be among its classes). */
export function testClassifier(clf: TextClassifier, records: readonly LabeledText[]): EvalResult {
  const id = new Map(clf.classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(records, (r, i) => {
    const k = id.get(r.label);
    if (k === undefined) throw new Error(`record ${i + 1} has label ${JSON.stringify(r.label)}, which the model does not know`);
    return k;
  });
  return evaluate(clf, records.map((r) => clf.encode(r.text)), labels);
}
