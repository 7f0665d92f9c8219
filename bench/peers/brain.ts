/**
 * brain.js peer (1.6.1): its recurrent API, `brain.recurrent.RNN / LSTM / GRU`, trained one pattern
 * at a time with `trainPattern(ids)` (forward, backward through the pattern, weight update), and
 * S1 with `run([], true, temperature)`.
 *
 * What brain.js cannot express, and what it does instead (reported as deviations in the table):
 *  - no batching: one sequence per update (batch 1), so chars/s here is batch-1 throughput;
 *  - no carried state: every pattern starts from zero (and brain adds start/end tokens);
 *  - one optimizer: its built-in RMSprop (decay 0.999) with element-wise clipping at 5, no Adam/Adagrad;
 *  - inputs through a learned V-wide embedding (brain's input matrix), which costs what one-hot does;
 *  - its RNN uses ReLU; for the tanh Elman workloads the equation is overridden to tanh (one line);
 *  - its LSTM keeps no separate cell state (the forget gate multiplies h_{t−1}), as brain.js 1.x does.
 * Single-threaded.
 */
import { createRequire } from 'node:module';
import { childMain, isMain, type ChildArgs } from '../child.js';
import { loadCorpus, type Corpus } from '../corpus.js';
import { peakRssMB, timeSteps, timingFields } from '../measure.js';
import type { ChildResult, TrainSpec } from '../workloads.js';

const require = createRequire(import.meta.url);

/** The part of brain.js's (untyped) recurrent classes this peer uses. */
interface Eq {
  tanh(m: unknown): unknown;
  add(a: unknown, b: unknown): unknown;
  multiply(a: unknown, b: unknown): unknown;
}
interface Layer { weight: unknown; transition: unknown; bias: unknown }
interface BrainRnn {
  initialize(): void;
  trainPattern(input: number[], logErrorRate?: boolean): number | undefined;
  run(input: number[], isSampleI: boolean, temperature: number): number[] | null;
  maxPredictionLength: number;
  model: { output: { weights: Float32Array } };
}
type BrainCtor = new (opts: Record<string, unknown>) => BrainRnn;

function brainClass(cell: TrainSpec['cell']): BrainCtor {
  const brain = require('brain.js') as { recurrent: Record<'RNN' | 'LSTM' | 'GRU', BrainCtor> };
  if (cell === 'lstm') return brain.recurrent.LSTM;
  if (cell === 'gru') return brain.recurrent.GRU;
  // brain's RNN step is relu(W x + U h + b); the workloads are tanh Elman networks.
  const Base = brain.recurrent.RNN as unknown as new (opts: Record<string, unknown>) => object;
  class TanhRnn extends Base {
    getEquation(eq: Eq, input: unknown, prev: unknown, layer: Layer): unknown {
      return eq.tanh(eq.add(eq.add(eq.multiply(layer.weight, input), eq.multiply(layer.transition, prev)), layer.bias));
    }
  }
  return TanhRnn as unknown as BrainCtor;
}

function makeNet(spec: TrainSpec, V: number): BrainRnn {
  const Net = brainClass(spec.cell);
  const net = new Net({
    inputSize: V, inputRange: V, outputSize: V, hiddenLayers: Array.from({ length: spec.layers }, () => spec.hidden),
    clipval: spec.clipValue || 5, learningRate: 0.01,
  });
  net.initialize();
  return net;
}

const DEVIATIONS = [
  'batch 1 (brain.js has no batching)', 'no carried state (each pattern starts from zero)',
  'brain.js RMSprop (no Adam/Adagrad), element-wise clip 5', 'V-wide input embedding',
];

export async function runBrain(args: ChildArgs, corpus: Corpus = loadCorpus()): Promise<ChildResult> {
  const { spec, window } = args;
  const brainVersion = (require('brain.js/package.json') as { version: string }).version;
  const base: ChildResult = { peer: 'brain.js', workload: spec.id, threads: 1, threadsUsed: 1, backend: 'js', versions: { 'brain.js': brainVersion, node: process.version } };
  if (args.quality > 0) return { ...base, unsupported: 'no quality run for brain.js (recur and PyTorch only)' };
  if (spec.kind === 'gemm') return { ...base, unsupported: 'G1 is a recur/PyTorch kernel figure' };
  const V = corpus.size;
  if (spec.kind === 'sample') {
    const net = makeNet(spec.model, V);
    net.trainPattern(Array.from(corpus.train.subarray(0, 8))); // brain only runs a net that has been trained
    net.maxPredictionLength = spec.length;
    // Index 0 is brain's end token: forbid it, so that every generation is `length` characters long.
    net.model.output.weights[0] = -1e30;
    let produced = 0;
    const t = await timeSteps(() => { produced = net.run([], true, spec.temperature)?.length ?? 0; return NaN; }, spec.length, window);
    const scale = produced / spec.length; // in case brain stopped early after all
    return {
      ...base, ...timingFields(t), charsPerSec: t.charsPerSec * scale, peakRssMB: peakRssMB(), deviations: ['end token disabled so each generation has the full length'],
    };
  }
  const net = makeNet(spec, V);
  const T = spec.seq;
  let offset = 0;
  const step = (): number => {
    if (offset + T + 1 > corpus.train.length) offset = 0;
    const err = net.trainPattern(Array.from(corpus.train.subarray(offset, offset + T)), true) ?? NaN;
    offset += T;
    return err;
  };
  // Throughput counts the T characters of each pattern (batch 1), so units match the other peers'.
  const t = await timeSteps(step, T, window);
  return {
    ...base, ...timingFields(t), peakRssMB: peakRssMB(),
    deviations: [...DEVIATIONS, ...(spec.cell === 'lstm' ? ['brain.js LSTM has no separate cell state'] : []), ...(spec.cell === 'elman' ? ['tanh equation (brain RNN default is ReLU)'] : [])],
  };
}

if (isMain(import.meta.url)) await childMain('brain.js', (args) => runBrain(args));
