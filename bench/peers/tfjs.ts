/**
 * TensorFlow.js peer (`@tensorflow/tfjs` 4.x), on its `cpu` backend (plain JavaScript) or its `wasm`
 * backend (XNNPACK, SIMD; the .wasm files come from node_modules, never the network).
 *
 * The model is what a tfjs user writes: tf.layers.lstm / gru / simpleRNN with returnSequences and
 * returnState, then a dense layer to V logits, softmax cross-entropy at every step, one-hot inputs.
 * Truncated BPTT is done as Keras' stateful RNNs do it: the final states of a chunk are fed as
 * `initialState` of the next (as constants, so no gradient crosses the boundary). tf.train.adam has
 * no clipnorm, so the step is written out: tf.variableGrads → clip by global norm (or by value for
 * W1) → optimizer.applyGradients.
 *
 * Threads: one. The cpu backend is single-threaded, and tfjs-backend-wasm switches its threads off
 * under Node (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE; tensorflow/tfjs#3830).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { StreamBatcher } from '../../src/data/text.js';
import { childMain, isMain, type ChildArgs } from '../child.js';
import { loadCorpus, type Corpus } from '../corpus.js';
import { peakRssMB, timeSteps, timingFields } from '../measure.js';
import type { ChildResult, SampleSpec, TrainSpec } from '../workloads.js';

type Tf = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;
type LayersRnn = import('@tensorflow/tfjs').layers.Layer;

const require = createRequire(import.meta.url);

async function loadTf(backend: string): Promise<{ tf: Tf; versions: Record<string, string> }> {
  // tfjs greets Node users on console.log, which is our result channel: send it to stderr.
  console.log = (...a: unknown[]) => console.error(...a);
  const tf = await import('@tensorflow/tfjs');
  const versions: Record<string, string> = { tfjs: tf.version.tfjs, node: process.version };
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(`${dist}/`);
    versions['tfjs-backend-wasm'] = wasm.version_wasm;
  } else if (backend !== 'cpu') throw new Error(`unknown tfjs backend '${backend}' (expected cpu or wasm)`);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not start its ${backend} backend`);
  await tf.ready();
  return { tf, versions };
}

/** The recurrent stack and decoder, as tf.layers. */
function buildModel(tf: Tf, spec: TrainSpec, V: number) {
  const make = (): LayersRnn => {
    // tfjs's default recurrent initializer is orthogonal, computed by a QR decomposition that takes
    // minutes on the cpu backend for a 256×1024 kernel. Initialisation is not timed, and the
    // initial values do not change the cost of a step, so a plain Glorot draw keeps cells short.
    const o = { units: spec.hidden, returnSequences: true, returnState: true, recurrentInitializer: 'glorotUniform' as const };
    if (spec.cell === 'lstm') return tf.layers.lstm(o);
    if (spec.cell === 'gru') return tf.layers.gru(o);
    return tf.layers.simpleRNN({ ...o, activation: 'tanh' });
  };
  const rnns = Array.from({ length: spec.layers }, make);
  const dense = tf.layers.dense({ units: V });
  const nStates = spec.cell === 'lstm' ? 2 : 1;
  const zeroStates = (B: number): Tensor[][] => rnns.map(() => Array.from({ length: nStates }, () => tf.zeros([B, spec.hidden])));
  /** x [B, T, V] → logits [B, T, V] and the final states of every layer. */
  const forward = (x: Tensor, states: Tensor[][]): { logits: Tensor; next: Tensor[][] } => {
    let y = x;
    const next: Tensor[][] = [];
    rnns.forEach((rnn, l) => {
      const out = rnn.apply(y, { initialState: states[l] }) as Tensor[];
      y = out[0];
      next.push(out.slice(1));
    });
    return { logits: dense.apply(y) as Tensor, next };
  };
  return { forward, zeroStates };
}

const disposeAll = (states: Tensor[][]): void => { for (const s of states) for (const t of s) t.dispose(); };

function trainingLoop(tf: Tf, spec: TrainSpec, corpus: Corpus): () => number {
  const V = corpus.size, { batch: B, seq: T } = spec;
  const { forward, zeroStates } = buildModel(tf, spec, V);
  const optimizer = spec.optimizer === 'adam' ? tf.train.adam(spec.lr) : tf.train.adagrad(spec.lr);
  const batcher = new StreamBatcher(corpus.train, B, T);
  let states = zeroStates(B);
  // tf.layers create their weights on first use; variableGrads only sees variables that already exist.
  tf.tidy(() => { forward(tf.zeros([B, T, V]), states); });
  // [T·B] time-major ids → one-hot [B, T, V]
  const oneHot = (ids: Int32Array): Tensor => tf.oneHot(tf.tensor2d(ids, [T, B], 'int32').transpose(), V);
  return () => {
    const b = batcher.next();
    if (b.reset) { disposeAll(states); states = zeroStates(B); }
    let next: Tensor[][] = [];
    const loss = tf.tidy(() => {
      const x = oneHot(b.inputs), y = oneHot(b.targets);
      const { value, grads } = tf.variableGrads(() => {
        const out = forward(x, states);
        next = out.next.map((s) => s.map((t) => tf.keep(t)));
        return tf.losses.softmaxCrossEntropy(y, out.logits) as import('@tensorflow/tfjs').Scalar;
      });
      const names = Object.keys(grads);
      if (spec.clipValue > 0) for (const k of names) grads[k] = tf.clipByValue(grads[k], -spec.clipValue, spec.clipValue);
      if (spec.clipNorm > 0) {
        const norm = Math.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k])))).dataSync()[0]);
        const coef = spec.clipNorm / (norm + 1e-6);
        if (coef < 1) for (const k of names) grads[k] = tf.mul(grads[k], coef);
      }
      // variableGrads' names are the variables' names, which is what applyGradients looks them up by.
      optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      return value.dataSync()[0];
    });
    disposeAll(states);
    states = next;
    return loss;
  };
}

/** S1: one character at a time, states fed back, softmax with temperature, drawn in JS. */
function sampler(tf: Tf, spec: SampleSpec, V: number, seed: number): (length: number) => number {
  const { forward, zeroStates } = buildModel(tf, spec.model, V);
  let rng = seed >>> 0 || 1;
  const uniform = (): number => { rng ^= rng << 13; rng ^= rng >>> 17; rng ^= rng << 5; return (rng >>> 0) / 4294967296; };
  return (length) => {
    let states = zeroStates(1), cur = 0, checksum = 0;
    for (let i = 0; i < length; i++) {
      let next: Tensor[][] = [];
      const probs = tf.tidy(() => {
        const out = forward(tf.oneHot(tf.tensor2d([cur], [1, 1], 'int32'), V), states);
        next = out.next.map((s) => s.map((t) => tf.keep(t)));
        return tf.softmax(tf.div(out.logits.reshape([V]), spec.temperature)).dataSync();
      });
      disposeAll(states);
      states = next;
      const u = uniform();
      let acc = 0, k = 0;
      for (; k < V - 1; k++) { acc += probs[k]; if (u < acc) break; }
      cur = k; checksum += k;
    }
    disposeAll(states);
    return checksum;
  };
}

export async function runTfjs(args: ChildArgs, corpus: Corpus = loadCorpus()): Promise<ChildResult> {
  const { spec, window } = args;
  const backend = args.backend || 'cpu';
  const { tf, versions } = await loadTf(backend);
  const base: ChildResult = {
    peer: 'tfjs', workload: spec.id, threads: 1, threadsUsed: 1, backend, versions,
    deviations: ['one-hot inputs (tf.oneHot)', 'carried state as initialState (stateful-RNN equivalent)', 'Glorot-uniform recurrent init (the orthogonal default takes minutes to compute on the cpu backend; init is not timed)'],
  };
  if (args.quality > 0) return { ...base, unsupported: 'no quality run for tfjs (recur and PyTorch only)' };
  if (spec.kind === 'gemm') return { ...base, unsupported: 'G1 is a recur/PyTorch kernel figure' };
  if (spec.kind === 'sample') {
    const generate = sampler(tf, spec, corpus.size, args.seed);
    const t = await timeSteps(() => { generate(spec.length); return NaN; }, spec.length, window);
    return { ...base, ...timingFields(t), peakRssMB: peakRssMB() };
  }
  const t = await timeSteps(trainingLoop(tf, spec, corpus), spec.batch * spec.seq, window);
  return {
    ...base, ...timingFields(t), trainLoss: t.meanLoss, peakRssMB: peakRssMB(),
  };
}

if (isMain(import.meta.url)) await childMain('tfjs', (args) => runTfjs(args));
