/**
 * recur's side of the benchmark: the W* models built from the library's own parts (Model, Trainer,
 * Optimizer, StreamBatcher) exactly as a user would, trained on Moby Dick with truncated BPTT
 * (state carried across chunks, gradient not), and S1: sampling from a W2-shaped model one
 * character at a time.
 *
 * Input encoding: one-hot (embed 0), which recur computes as a column gather of W_ih, never as a
 * matrix product with a one-hot matrix; W6 embeds its words (spec.embed) and reads bench/words.ts's ids.
 *
 * Run by bench/run.ts as a child process (one JSON line out); `--probe` lists the backends this
 * machine can load.
 */
import { performance } from 'node:perf_hooks';
import { StreamBatcher } from '../src/data/text.js';
import type { Backend } from '../src/kernels/backend.js';
import { Model, type RecurrentState } from '../src/nn/model.js';
import { BACKEND_NAMES, createBackend, type BackendName } from '../src/node/backend.js';
import { Optimizer } from '../src/train/optim.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';
import { VERSION } from '../src/version.js';
import { childMain, emit, isMain, type ChildArgs } from './child.js';
import { corpusFor, type Corpus } from './corpus.js';
import { peakRssMB, timeSteps, timingFields } from './measure.js';
import type { ChildResult, GemmSpec, SampleSpec, TrainSpec, Window } from './workloads.js';

function buildModel(spec: TrainSpec, V: number, be: Backend, seed: number): Model {
  return new Model({
    cell: spec.cell, activation: 'tanh', hidden: spec.hidden, layers: spec.layers,
    inputKind: 'tokens', inputSize: V, embed: spec.embed ?? 0, outputSize: V, head: 'softmax', outputMode: 'every',
  }, be).init(new Rng(seed));
}

/** A training step function over the train split: one chunk of every stream per call, state carried. */
function trainingLoop(spec: TrainSpec, corpus: Corpus, be: Backend, seed: number): { model: Model; step: () => number } {
  const model = buildModel(spec, corpus.size, be, seed);
  const optimizer = new Optimizer(be, model.params, { name: spec.optimizer, lr: spec.lr });
  const trainer = new Trainer(model, optimizer, { clipNorm: spec.clipNorm, clipValue: spec.clipValue });
  const batcher = new StreamBatcher(corpus.train, spec.batch, spec.seq);
  const state = model.newState(spec.batch);
  const step = (): number => {
    const b = batcher.next();
    if (b.reset) model.resetState(state);
    return trainer.step({ T: spec.seq, B: spec.batch, tokens: b.inputs, targets: b.targets }, state).loss;
  };
  return { model, step };
}

/**
 * Mean cross-entropy (nats/char) over the validation split, cut into `batch` streams read in chunks
 * of `seq` with the state carried: the same protocol as bench/peers/torch_bench.py.
 */
export function validationLoss(model: Model, val: Int32Array, batch: number, seq: number): number {
  const batcher = new StreamBatcher(val, batch, seq);
  const state: RecurrentState = model.newState(batch);
  let sum = 0, count = 0;
  for (let i = 0; i < batcher.batchesPerEpoch; i++) {
    const b = batcher.next();
    const l = model.forward({ T: seq, B: batch, tokens: b.inputs, targets: b.targets }, state, { train: false })!;
    sum += l.sum; count += l.count;
  }
  return sum / count;
}

/**
 * A generator of `length` characters at batch 1: forward one step carrying the state, softmax with
 * temperature, draw the next character. Buffers are made once, so a character allocates nothing here.
 */
function sampler(model: Model, be: Backend, V: number, temperature: number, rng: Rng): (length: number, first: number) => number {
  const probs = be.alloc(V), state = model.newState(1);
  return (length, first) => {
    model.resetState(state);
    let cur = first, checksum = 0;
    for (let i = 0; i < length; i++) {
      model.stepOne(cur, state);
      be.softmax(1, V, model.logits, 0, probs, 0, temperature);
      const u = rng.next();
      let acc = 0, k = 0;
      for (; k < V - 1; k++) { acc += probs[k]; if (u < acc) break; }
      cur = k; checksum += k;
    }
    return checksum;
  };
}

export async function runRecur(args: ChildArgs, corpus: Corpus = corpusFor(args.spec)): Promise<ChildResult> {
  const { spec, threads, window, seed } = args;
  const backendName = (args.backend || 'auto') as BackendName;
  if (!BACKEND_NAMES.includes(backendName)) throw new Error(`unknown backend '${args.backend}' (expected ${BACKEND_NAMES.join(', ')})`);
  const be = await createBackend({ backend: backendName, threads });
  const base = { peer: 'recur', workload: spec.id, threads, backend: be.name, versions: { recur: VERSION, node: process.version } };
  if (spec.kind === 'gemm') return { ...base, ...(await gemmBench(spec, be, window)), peakRssMB: peakRssMB() };
  if (spec.kind === 'sample') return { ...base, ...(await sampleBench(spec, corpus, be, args)), peakRssMB: peakRssMB() };

  // --quality is its own run (the driver asks for it separately): a fresh model, 60 s, then validation.
  if (args.quality > 0) return { ...base, ...quality(spec, corpus, be, seed, args.quality), peakRssMB: peakRssMB() };
  const { step } = trainingLoop(spec, corpus, be, seed);
  const t = await timeSteps(step, spec.batch * spec.seq, window);
  return {
    ...base, ...timingFields(t), trainLoss: t.meanLoss, peakRssMB: peakRssMB(),
  };
}

async function sampleBench(spec: SampleSpec, corpus: Corpus, be: Backend, args: ChildArgs): Promise<Partial<ChildResult>> {
  const V = corpus.size, rng = new Rng(args.seed);
  const model = buildModel(spec.model, V, be, args.seed);
  const generate = sampler(model, be, V, spec.temperature, rng);
  const t = await timeSteps(() => { generate(spec.length, 0); return NaN; }, spec.length, args.window);
  return timingFields(t);
}

/** G1: C = A·Bᵀ (the layout of every x·Wᵀ product in a cell) on random operands, GFLOP/s. */
async function gemmBench(spec: GemmSpec, be: Backend, window: Window): Promise<Partial<ChildResult>> {
  const { m, n, k } = spec, rng = new Rng(1);
  const A = be.alloc(m * k), B = be.alloc(n * k), C = be.alloc(m * n);
  for (let i = 0; i < A.length; i++) A[i] = rng.normal();
  for (let i = 0; i < B.length; i++) B[i] = rng.normal();
  // One product per step: at 512³ it takes milliseconds, so the timer's microseconds do not show.
  const t = await timeSteps(() => { be.gemm(false, true, m, n, k, 1, A, 0, k, B, 0, k, 0, C, 0, n); return NaN; }, 2 * m * n * k, window);
  return { ...timingFields(t), charsPerSec: undefined, gflops: t.charsPerSec / 1e9 };
}

/** A fresh model trained for `seconds` of wall time, then its validation loss. */
function quality(spec: TrainSpec, corpus: Corpus, be: Backend, seed: number, seconds: number): Partial<ChildResult> {
  const { model, step } = trainingLoop(spec, corpus, be, seed);
  const t0 = performance.now();
  let steps = 0;
  while ((performance.now() - t0) / 1000 < seconds) { step(); steps++; }
  return { valLoss: validationLoss(model, corpus.val, spec.batch, spec.seq), qualitySteps: steps };
}

/** Which backends load on this machine (and why the others do not). */
async function probe(): Promise<void> {
  const available: string[] = [], missing: Record<string, string> = {};
  for (const name of ['native', 'wasm', 'js'] as const) {
    try { await createBackend({ backend: name, threads: 1 }); available.push(name); } catch (e) { missing[name] = e instanceof Error ? e.message.split('\n')[0] : String(e); }
  }
  emit({ available, missing });
}

if (isMain(import.meta.url)) {
  if (process.argv.includes('--probe')) await probe();
  else await childMain('recur', (args) => runRecur(args));
}
