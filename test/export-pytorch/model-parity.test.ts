/**
 * `recur export --format pytorch`'s model.py computes what recur computes: for every cell, activation, head,
 * output mode, input kind and h0 mode (and layers, directions, lags, Jordan feedback and teacher forcing,
 * dropout with recur's masks, padding, a carried state), a recur model with random weights on the float64 JS
 * backend and the exported module in float64 (Debian's python3-torch, one process for every case) give the
 * same loss (rel 1e-5), the same state after the chunk, and the same tensors after one SGD step (abs 2e-5);
 * recur's tensors load into the module with strict=True and the module's load back into recur by name.
 * Models torch.nn has a module for run both ways: through it, and written out step by step; with dropout, the
 * written-out stack takes recur's masks, and torch.nn's module under a seed equals it drawing its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { modelPy } from '../../src/export-pytorch/model-py.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model, type Batch, type RecurrentState } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose } from '../helpers/close.js';
import { makeBatch } from '../helpers/model-batch.js';

const be = new JsBackend('f64');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const LR = 0.1;

interface Case {
  name: string;
  config: Partial<ModelConfig>;
  T?: number;
  B?: number;
  lengths?: number[];
  /** A first chunk (no gradient), then the checked one from the state it leaves. */
  truncated?: boolean;
}

const cases: Case[] = [
  { name: 'elman tanh, one-hot, softmax every step', config: { cell: 'elman', inputKind: 'tokens', inputSize: 5, outputSize: 5 } },
  { name: 'elman relu, embedding, 2 layers, bidirectional, padded, softmax at the end', config: { cell: 'elman', activation: 'relu', inputKind: 'tokens', inputSize: 6, embed: 3, outputSize: 3, layers: 2, bidirectional: true, outputMode: 'last' }, T: 5, B: 3, lengths: [5, 2, 4] },
  { name: 'elman sigmoid, dense, squared error every step, learned h0, truncated', config: { cell: 'elman', activation: 'sigmoid', inputKind: 'dense', inputSize: 2, h0: 'learned', head: 'mse' }, truncated: true },
  { name: 'elman, random h0, padded, squared error at the end', config: { cell: 'elman', inputKind: 'dense', inputSize: 2, h0: 'random', h0Scale: 0.5, head: 'mse', outputMode: 'last' }, T: 4, B: 3, lengths: [1, 4, 3] },
  { name: 'elman lags 2 and 3, bidirectional, padded, truncated', config: { cell: 'elman', inputKind: 'tokens', inputSize: 5, outputSize: 5, lags: [2, 3], bidirectional: true, h0: 'learned' }, T: 5, B: 2, lengths: [5, 3], truncated: true },
  { name: 'lstm, embedding, 2 layers, learned h0 and c0, padded, truncated', config: { cell: 'lstm', inputKind: 'tokens', inputSize: 6, embed: 4, outputSize: 6, layers: 2, h0: 'learned' }, T: 4, B: 3, lengths: [4, 2, 3], truncated: true },
  { name: 'lstm bidirectional, dense, squared error at the end (random h0)', config: { cell: 'lstm', inputKind: 'dense', inputSize: 3, bidirectional: true, head: 'mse', outputMode: 'last', h0: 'random' } },
  { name: 'lstm classifier: tokens, embedding, bidirectional, 2 layers, padded, one class per text', config: { cell: 'lstm', inputKind: 'tokens', inputSize: 7, embed: 3, outputSize: 3, layers: 2, bidirectional: true, outputMode: 'last', h0: 'learned' }, T: 6, B: 3, lengths: [6, 1, 4] },
  { name: 'lstm, 3 layers, dropout (recur\'s masks)', config: { cell: 'lstm', inputKind: 'tokens', inputSize: 5, outputSize: 5, layers: 3, dropout: 0.4 } },
  { name: 'elman relu, 3 layers, dropout, bidirectional', config: { cell: 'elman', activation: 'relu', inputKind: 'dense', inputSize: 2, layers: 3, dropout: 0.5, bidirectional: true } },
  { name: 'lstm peepholes, 2 layers, bidirectional, padded, learned h0, truncated', config: { cell: 'lstm', peephole: true, inputKind: 'tokens', inputSize: 5, outputSize: 5, layers: 2, bidirectional: true, h0: 'learned' }, T: 4, B: 2, lengths: [4, 2], truncated: true },
  { name: 'lstm, tied embedding and decoder, padded, truncated', config: { cell: 'lstm', inputKind: 'tokens', inputSize: 5, embed: 4, hidden: 4, outputSize: 5, tieWeights: true }, T: 4, B: 2, lengths: [4, 3], truncated: true },
  { name: 'gru, 2 layers, dropout, bidirectional, padded', config: { cell: 'gru', inputKind: 'tokens', inputSize: 5, outputSize: 5, layers: 2, dropout: 0.3, bidirectional: true }, T: 4, B: 2, lengths: [2, 4] },
  { name: 'gru forecaster: dense, 2 layers, squared error every step, padded, truncated', config: { cell: 'gru', inputKind: 'dense', inputSize: 3, outputSize: 2, layers: 2, head: 'mse', h0: 'learned' }, T: 4, B: 3, lengths: [4, 3, 1], truncated: true },
  { name: 'gru reset-before, bidirectional, padded, learned h0', config: { cell: 'gru', gruReset: 'before', inputKind: 'tokens', inputSize: 5, outputSize: 5, bidirectional: true, h0: 'learned' }, T: 4, B: 2, lengths: [3, 4] },
  { name: 'gru reset-before, 2 layers, squared error at the end, truncated', config: { cell: 'gru', gruReset: 'before', inputKind: 'dense', inputSize: 2, layers: 2, head: 'mse', outputMode: 'last' }, truncated: true },
  { name: 'jordan tanh, softmax feedback, 2 layers, dropout, truncated', config: { cell: 'jordan', inputKind: 'tokens', inputSize: 5, outputSize: 5, layers: 2, dropout: 0.25 }, truncated: true },
  { name: 'jordan relu, squared error every step, padded, learned h0', config: { cell: 'jordan', activation: 'relu', inputKind: 'dense', inputSize: 2, head: 'mse', h0: 'learned' }, T: 5, B: 2, lengths: [5, 3] },
  { name: 'jordan, softmax at the end, padded', config: { cell: 'jordan', inputKind: 'dense', inputSize: 2, outputMode: 'last' }, T: 4, B: 3, lengths: [4, 2, 1] },
  { name: 'jordan teacher forcing, softmax, padded, truncated', config: { cell: 'jordan', jordanFeed: 'target', inputKind: 'tokens', inputSize: 5, outputSize: 5 }, T: 4, B: 2, lengths: [4, 2], truncated: true },
  { name: 'jordan teacher forcing, squared error', config: { cell: 'jordan', jordanFeed: 'target', activation: 'sigmoid', inputKind: 'dense', inputSize: 2, head: 'mse' } },
  { name: 'elman+jordan, lags 2, squared error, learned h0, padded, truncated', config: { cell: 'elman+jordan', lags: [2], inputKind: 'dense', inputSize: 2, head: 'mse', h0: 'learned', layers: 2 }, T: 5, B: 2, lengths: [5, 2], truncated: true },
  { name: 'elman+jordan sigmoid, embedding, random h0, softmax', config: { cell: 'elman+jordan', activation: 'sigmoid', inputKind: 'tokens', inputSize: 6, embed: 3, outputSize: 4, h0: 'random' } },
  // recur's training regularisers, with recur's masks: torch.nn's kernel layer by layer (torch._VF) and written out
  { name: 'lstm, embedding, 2 layers, every regulariser (recur\'s masks), AR and TAR, truncated', config: { cell: 'lstm', inputKind: 'tokens', inputSize: 6, embed: 4, outputSize: 6, layers: 2, dropout: 0.3, dropoutInput: 0.2, dropoutOutput: 0.25, dropoutEmbed: 0.3, weightDrop: 0.4, ar: 0.5, tar: 0.7 }, T: 5, B: 3, truncated: true },
  { name: 'gru bidirectional, dense, 2 layers, padded: locked dropouts, weight drop, AR and TAR', config: { cell: 'gru', inputKind: 'dense', inputSize: 3, outputSize: 2, head: 'mse', layers: 2, bidirectional: true, dropout: 0.3, dropoutInput: 0.2, dropoutOutput: 0.2, weightDrop: 0.3, ar: 0.4, tar: 0.6, h0: 'learned' }, T: 5, B: 3, lengths: [5, 2, 4] },
  { name: 'elman relu, embedding, padded: weight drop and embedding dropout (one layer, packed)', config: { cell: 'elman', activation: 'relu', inputKind: 'tokens', inputSize: 5, embed: 3, outputSize: 5, weightDrop: 0.5, dropoutEmbed: 0.3, ar: 0.3 }, T: 4, B: 3, lengths: [4, 1, 3] },
  { name: 'lstm, tied embedding and decoder: embedding dropout drops the lookup only, output dropout', config: { cell: 'lstm', inputKind: 'tokens', inputSize: 5, embed: 4, hidden: 4, outputSize: 5, tieWeights: true, dropoutEmbed: 0.4, dropoutOutput: 0.2 }, T: 4, B: 2 },
  { name: 'elman lags 2, 2 layers, padded: dropout, weight drop, AR and TAR (written out)', config: { cell: 'elman', lags: [2], inputKind: 'tokens', inputSize: 5, embed: 3, outputSize: 5, layers: 2, dropout: 0.3, weightDrop: 0.3, ar: 0.2, tar: 0.5 }, T: 4, B: 2, lengths: [4, 3] },
  { name: 'elman+jordan, 2 layers: dropout, weight drop, AR and TAR (step by step)', config: { cell: 'elman+jordan', inputKind: 'tokens', inputSize: 5, outputSize: 5, layers: 2, dropout: 0.3, weightDrop: 0.3, ar: 0.3, tar: 0.3 }, truncated: true },
];

const plain = (b: Batch) => ({
  T: b.T, B: b.B, tokens: b.tokens && [...b.tokens], inputs: b.inputs && Array.from(b.inputs), targets: b.targets && [...b.targets],
  targetValues: b.targetValues && Array.from(b.targetValues), lengths: b.lengths && [...b.lengths],
});

/** A RecurrentState as model.py's state tuple, flat: (h of every layer·direction, c of every LSTM layer, o). */
const stateTuple = (st: RecurrentState): number[][] =>
  [st.h.flatMap((b) => [...b]), ...(st.c.length ? [st.c.flatMap((b) => [...b])] : []), ...(st.fb ? [[...st.fb]] : [])];

interface Locked { mask: Float64Array }
interface Dropped { name: string; mask: Float64Array }
/**
 * The masks recur drew for its last training chunk, as model.py's forward takes them: 'embed' (one per row of
 * the table), 'input', 'between' (one per layer above the first) and 'output' ([B, width] each: locked, the same at
 * every step), 'weight' ({W_hh name: mask}); null when nothing was dropped. Read from the model's own objects
 * (nn/inputs.ts, nn/stack.ts), so the test does not depend on the order of the draws.
 */
function masksOf(m: Model, B: number): Record<string, unknown> | null {
  const inputs = (m as unknown as { inputs: { dropIn: Locked | null; dropRows: Dropped | null } }).inputs;
  const stack = m.stack as unknown as { drop: (Locked | null)[]; weightDrops: { d: Dropped }[] };
  const c = m.config, W = (c.bidirectional ? 2 : 1) * c.hidden, out: Record<string, unknown> = {};
  const first = (d: Locked, width: number) => Array.from(d.mask.subarray(0, B * width));
  if (inputs.dropRows) out.embed = Array.from({ length: c.inputSize }, (_, v) => inputs.dropRows!.mask[v * c.embed]);
  if (inputs.dropIn) out.input = first(inputs.dropIn, c.inputKind === 'dense' ? c.inputSize : c.embed);
  if (c.dropout > 0 && c.layers > 1) out.between = stack.drop.slice(1, c.layers).map((d) => first(d!, W));
  if (c.dropoutOutput > 0) out.output = first(stack.drop[c.layers]!, W);
  if (stack.weightDrops.length) out.weight = Object.fromEntries(stack.weightDrops.map(({ d }) => [d.name, Array.from(d.mask)]));
  return Object.keys(out).length ? out : null;
}

/** recur's side of a case: what goes to Python, and what Python's results must equal. */
function recurSide(cs: Case) {
  const T = cs.T ?? 4, B = cs.B ?? 2;
  const m = new Model({ hidden: 3, inputSize: 4, outputSize: 3, ...cs.config }, be).init(new Rng(7));
  const rng = new Rng(11);
  for (const v of m.params.views) if (/bias|h0|c0/.test(v.name)) for (let i = 0; i < v.size; i++) m.params.data[v.offset + i] = 0.3 * rng.normal();
  const tensors = Object.fromEntries(m.params.views.map((v) => [v.name, { shape: v.shape, data: [...m.params.get(v.name)] }]));
  const state = m.newState(B, new Rng(3));
  const batches = [makeBatch(m, T, B, new Rng(5), cs.lengths, { padTokens: true }), makeBatch(m, T, B, new Rng(6), cs.lengths, { padTokens: true })].slice(cs.truncated ? 0 : 1);
  if (cs.truncated) m.forward(batches[0], state, { train: false });
  const stateBefore = stateTuple(state);
  m.zeroGrads();
  const loss = m.forward(batches[batches.length - 1], state, { train: true, rng: new Rng(9) })!.loss;
  m.backward();
  const dropoutMasks = masksOf(m, B);
  const after = Float64Array.from(m.params.data, (p, i) => p - LR * m.grads.data[i]);
  const stateAfter = stateTuple(state);
  const toPython = {
    name: cs.name, modelPy: modelPy(m.config), config: { config: m.config, vocab: null, task: null }, tensors,
    batches: batches.map(plain), state: stateBefore, dropoutMasks, lr: LR,
  };
  return { model: m, toPython, loss, after, stateAfter };
}

interface PathResult { loss: number; initDiff: number; state: number[][]; tensors: Record<string, { shape: number[]; data: number[] }> }

test('the exported model.py equals recur on every cell and head: loss, state, one SGD step, strict load both ways', (t) => {
  if (!hasTorch) { t.skip(`${python} cannot import torch (Debian's python3-torch): model.py parity not checked`); return; }
  const sides = cases.map(recurSide);
  const r = spawnSync(python, [fileURLToPath(new URL('model-parity.py', import.meta.url))], {
    input: JSON.stringify(sides.map((s) => s.toPython)), encoding: 'utf8', maxBuffer: 1 << 28,
  });
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as { name: string; paths: Record<string, PathResult>; seededDropoutDiff?: number }[];
  assert.equal(results.length, cases.length);
  let fusedPaths = 0, seeded = 0;
  results.forEach((res, i) => {
    const s = sides[i], m = s.model;
    if (res.seededDropoutDiff !== undefined) {
      seeded++;
      assert.ok(res.seededDropoutDiff < 1e-12, `${res.name}: torch.nn's dropout differs from the written-out stack's by ${res.seededDropoutDiff}`);
    }
    const paths = Object.entries(res.paths);
    assert.ok(paths.length > 0, `${res.name}: no path ran`);
    for (const [path, p] of paths) {
      const what = `${res.name} [${path}]`;
      if (path === 'torch.nn') fusedPaths++;
      assertClose([p.loss], [s.loss], `${what} loss`, 1e-5, 0);
      assert.ok(p.initDiff < 1e-9 || m.config.h0 === 'random', `${what}: initial_state (or the carried state) differs from recur's by ${p.initDiff}`);
      assert.equal(p.state.length, s.stateAfter.length, `${what}: state tuple`);
      p.state.forEach((v, j) => assertClose(v, s.stateAfter[j], `${what} state[${j}]`, 0, 1e-9));
      // torch's state_dict → recur, strictly: the same names and shapes, every tensor one SGD step on
      assert.deepEqual(Object.keys(p.tensors).sort(), m.params.names().sort(), `${what}: state_dict names`);
      const back = new Model(m.config, be);
      for (const v of back.params.views) {
        assert.deepEqual(p.tensors[v.name].shape, v.shape, `${what}: shape of ${v.name}`);
        back.params.set(v.name, p.tensors[v.name].data);
      }
      assertClose(back.params.data, s.after, `${what} tensors after one SGD step`, 0, 2e-5);
      // and the step moved them: a module that ignored a gradient would fail above, not pass unchanged
      assert.ok(s.after.some((x, j) => Math.abs(x - m.params.data[j]) > 1e-4), `${what}: the step changed nothing`);
    }
  });
  assert.ok(fusedPaths >= 7, `torch.nn's modules ran in ${fusedPaths} cases`);
  assert.equal(seeded, 3, 'the seeded dropout check ran for the two stacks with dropout between layers and the tied LSTM');
});
