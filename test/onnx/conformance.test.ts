/**
 * Conformance: ONNX's own backend node tests for the recurrent operators (Debian's libonnx-testdata) run
 * through recur; and generated cases for what that set lacks (reverse and bidirectional directions,
 * short sequence_lens, GRU with linear_before_reset = 1, initial states, two batch layouts, LSTM peepholes) with
 * onnxruntime as the reference, written as backend-test folders and checked by `recur onnx check`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { JsBackend } from '../../src/kernels/js.js';
import { checkDataSet } from '../../src/onnx/check.js';
import { GraphBuilder } from '../../src/onnx/graph.js';
import { encodeModelProto, FLOAT, floatTensor, INT32, onnx, type AttrValue } from '../../src/onnx/proto.js';
import { OnnxUnsupported } from '../../src/onnx/recurrent-node.js';
import { Rng } from '../../src/util/rng.js';
import { recur, tempDir } from '../cli/lm-helpers.js';

const be = new JsBackend('f32');
const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
const RECURRENT = ['test_gru_batchwise', 'test_gru_defaults', 'test_gru_seq_length', 'test_gru_with_initial_bias', 'test_lstm_batchwise',
  'test_lstm_defaults', 'test_lstm_with_initial_bias', 'test_lstm_with_peepholes', 'test_rnn_seq_length', 'test_simple_rnn_batchwise',
  'test_simple_rnn_defaults', 'test_simple_rnn_with_initial_bias'];
const tol = { atol: 1e-5, rtol: 1e-4 };

function runDir(dir: string) {
  const ds = join(dir, 'test_data_set_0'), files = (re: RegExp) => readdirSync(ds).filter((f) => re.test(f)).sort().map((f) => readFileSync(join(ds, f)));
  return checkDataSet(be, readFileSync(join(dir, 'model.onnx')), files(/^input_\d+\.pb$/), files(/^output_\d+\.pb$/), tol);
}

const noTestData = existsSync(NODE_TESTS) ? false : `Debian's libonnx-testdata is not installed (${NODE_TESTS} is missing): apt-get install libonnx-testdata`;

test('ONNX backend node tests: all twelve recurrent cases pass', { skip: noTestData }, async () => {
  const present = readdirSync(NODE_TESTS).filter((n) => /^test_(lstm|gru|rnn|simple_rnn)_/.test(n)).sort();
  assert.deepEqual(present, [...RECURRENT].sort(), 'the recurrent node tests of this libonnx-testdata');
  for (const name of RECURRENT) {
    const outputs = runDir(join(NODE_TESTS, name));
    assert.ok(outputs.length > 0, name);
    for (const o of outputs) assert.ok(o.pass, `${name} ${o.name}: max |diff| ${o.maxAbsDiff}`);
  }
  const r = await recur(['onnx', 'check', NODE_TESTS, '--backend', 'js', '--json']);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l)), summary = lines.find((l) => l.summary);
  const recurrent = lines.filter((l) => RECURRENT.includes(l.test));
  assert.equal(recurrent.length, 12);
  for (const l of recurrent) assert.ok(l.outputs.length > 0 && l.outputs.every((o: { pass: boolean }) => o.pass), JSON.stringify(l));
  assert.ok(summary, r.stdout.slice(-500));
});

test('ONNX backend node tests: an attribute recur does not have is refused in one line naming it', async () => {
  const dir = await generate(tempDir('recur-onnx-gen-'), 'gen_lstm_clip', { op: 'LSTM', direction: 'forward', clip: 2.5 }, 3);
  assert.throws(() => runDir(dir), (e: Error) => e instanceof OnnxUnsupported && /^node LSTM_0 \(LSTM\): attribute clip is not supported/.test(e.message));
});

test('recur onnx check: exit 0 on a passing folder, 1 on a failing one, --json', { skip: noTestData }, async () => {
  let r = await recur(['onnx', 'check', join(NODE_TESTS, 'test_gru_seq_length'), '--backend', 'js', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].test, 'test_gru_seq_length');
  assert.equal(lines[0].outputs[0].name, 'Y_h');
  assert.ok(lines[0].outputs[0].maxAbsDiff < 1e-6);
  assert.deepEqual({ ...lines[1], atol: undefined, rtol: undefined }, { summary: true, dataSets: 1, failed: 0, atol: undefined, rtol: undefined });
  r = await recur(['onnx', 'check', join(NODE_TESTS, 'test_lstm_with_peepholes'), '--backend', 'js']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const clip = await generate(tempDir('recur-onnx-gen-'), 'gen_lstm_clip', { op: 'LSTM', direction: 'forward', clip: 2.5 }, 3);
  r = await recur(['onnx', 'check', clip, '--backend', 'js']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL node LSTM_0 \(LSTM\): attribute clip is not supported/);
  // An impossible tolerance makes a passing case fail: the check can fail.
  r = await recur(['onnx', 'check', join(NODE_TESTS, 'test_rnn_seq_length'), '--backend', 'js', '--atol', '0', '--rtol', '0']);
  assert.equal(r.code, 1, r.stdout);
});

// ------------------------------------------------------------------ generated cases, onnxruntime as reference

interface Gen { op: 'LSTM' | 'GRU' | 'RNN'; direction: 'forward' | 'reverse' | 'bidirectional'; lbr?: number; lengths?: number[]; initial?: boolean;
  layout?: number; activation?: string; peephole?: boolean; clip?: number }

const tensorBytes = (name: string, dims: number[], data: ArrayLike<number>, type: number = FLOAT): Uint8Array =>
  onnx.TensorProto.encode(type === FLOAT ? floatTensor(name, dims, data)
    : { name, dims, dataType: INT32, rawData: new Uint8Array(Int32Array.from(data).buffer) }).finish();

/** [a, b, rest] → [b, a, rest]. */
function swap01(x: ArrayLike<number>, a: number, b: number, rest: number): Float32Array {
  const out = new Float32Array(a * b * rest);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < rest; k++) out[(j * a + i) * rest + k] = x[(i * b + j) * rest + k];
  return out;
}

/**
 * One node test folder: the graph (W, R, B as initializers), random inputs, outputs computed by onnxruntime.
 * layout = 1 (batch-major), which onnxruntime refuses for recurrent operators, is written from the
 * time-major run with every tensor transposed.
 */
async function generate(root: string, name: string, g: Gen, seed: number): Promise<string> {
  const rng = new Rng(seed), rnd = (n: number, s = 0.6) => Float32Array.from({ length: n }, () => s * rng.normal());
  const T = 5, B = 3, I = 4, H = 3, D = g.direction === 'bidirectional' ? 2 : 1, G = g.op === 'LSTM' ? 4 : g.op === 'GRU' ? 3 : 1;
  const batchMajor = g.layout === 1;
  const values: { name: string; dims: number[]; data: Float32Array | Int32Array }[] = [];
  const X = rnd(T * B * I, 1.5), W = rnd(D * G * H * I), R = rnd(D * G * H * H), Bias = rnd(D * 2 * G * H), P = rnd(D * 3 * H, 1);
  values.push({ name: 'X', dims: [T, B, I], data: X });
  if (g.lengths) values.push({ name: 'sequence_lens', dims: [B], data: Int32Array.from(g.lengths) });
  if (g.initial) values.push({ name: 'initial_h', dims: [D, B, H], data: rnd(D * B * H, 1) });
  if (g.initial && g.op === 'LSTM') values.push({ name: 'initial_c', dims: [D, B, H], data: rnd(D * B * H, 1) });
  const outs = ['Y', 'Y_h', ...(g.op === 'LSTM' ? ['Y_c'] : [])];
  const graph = (layout: number, dims: (v: { name: string; dims: number[] }) => number[]): Uint8Array => {
    const b = new GraphBuilder(name);
    const has = (nm: string): string => (values.some((v) => v.name === nm) ? nm : '');
    for (const v of values) b.input(v.name, v.name === 'sequence_lens' ? INT32 : FLOAT, dims(v));
    const ins = ['X', b.weight('W', [D, G * H, I], W), b.weight('R', [D, G * H, H], R), b.weight('B', [D, 2 * G * H], Bias),
      has('sequence_lens'), has('initial_h'), has('initial_c'), g.peephole ? b.weight('P', [D, 3 * H], P) : ''];
    while (ins[ins.length - 1] === '') ins.pop();
    const attrs: Record<string, AttrValue> = { hidden_size: H, direction: g.direction };
    if (g.lbr !== undefined) attrs.linear_before_reset = g.lbr;
    if (layout) attrs.layout = layout;
    if (g.activation) attrs.activations = Array(D).fill(g.activation);
    if (g.clip !== undefined) attrs.clip = { float: g.clip };
    b.op(g.op, ins, attrs, outs);
    for (const o of outs) b.output(o, FLOAT, null);
    return encodeModelProto(b.graph(), name);
  };
  const session = await ort.InferenceSession.create(graph(0, (v) => v.dims));
  const result = await session.run(Object.fromEntries(values.map((v) => [v.name,
    v.data instanceof Int32Array ? new ort.Tensor('int32', v.data, v.dims) : new ort.Tensor('float32', v.data, v.dims)])));
  await session.release();
  // Batch-major: X [B, T, I], states [B, D, H], Y [B, T, D, H].
  const bm = (v: { name: string; dims: number[] }): number[] => (v.name === 'sequence_lens' ? v.dims : [v.dims[1], v.dims[0], v.dims[2]]);
  const dir = join(root, name), ds = join(dir, 'test_data_set_0');
  mkdirSync(ds, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), batchMajor ? graph(1, bm) : graph(0, (v) => v.dims));
  values.forEach((v, i) => {
    const data = batchMajor && v.name !== 'sequence_lens' ? swap01(v.data, v.dims[0], v.dims[1], v.dims[2]) : v.data;
    writeFileSync(join(ds, `input_${i}.pb`), tensorBytes(v.name, batchMajor ? bm(v) : v.dims, data, v.name === 'sequence_lens' ? INT32 : FLOAT));
  });
  outs.forEach((o, i) => {
    const t = result[o], data = t.data as Float32Array, d = [...t.dims];
    if (!batchMajor) { writeFileSync(join(ds, `output_${i}.pb`), tensorBytes(o, d, data)); return; }
    writeFileSync(join(ds, `output_${i}.pb`), o === 'Y' ? tensorBytes(o, [B, T, D, H], yBatchMajor(data, T, D, B, H)) : tensorBytes(o, [B, D, H], swap01(data, D, B, H)));
  });
  return dir;
}

/** Y [T, D, B, H] → [B, T, D, H]. */
function yBatchMajor(Y: Float32Array, T: number, D: number, B: number, H: number): Float32Array {
  const out = new Float32Array(Y.length);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    out[((b * T + t) * D + d) * H + j] = Y[((t * D + d) * B + b) * H + j];
  }
  return out;
}

const GENERATED: [string, Gen][] = [];
for (const op of ['LSTM', 'GRU', 'RNN'] as const) for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
  const lbrs = op === 'GRU' ? [0, 1] : [undefined];
  for (const lbr of lbrs) {
    const tag = `${op.toLowerCase()}_${direction}${lbr === undefined ? '' : `_lbr${lbr}`}`;
    GENERATED.push([`gen_${tag}`, { op, direction, lbr }]);
    GENERATED.push([`gen_${tag}_short_lengths_initial`, { op, direction, lbr, lengths: [5, 2, 1], initial: true }]);
  }
}
for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
  GENERATED.push([`gen_lstm_${direction}_peephole`, { op: 'LSTM', direction, peephole: true }]);
  GENERATED.push([`gen_lstm_${direction}_peephole_short_lengths_initial`, { op: 'LSTM', direction, peephole: true, lengths: [5, 2, 1], initial: true }]);
}
GENERATED.push(['gen_rnn_relu_bidirectional', { op: 'RNN', direction: 'bidirectional', activation: 'Relu', lengths: [3, 5, 4] }]);
GENERATED.push(['gen_rnn_sigmoid_forward', { op: 'RNN', direction: 'forward', activation: 'Sigmoid', initial: true }]);

test('generated cases (directions, short sequence_lens, GRU linear_before_reset 0/1, initial states): recur matches onnxruntime', async () => {
  const root = tempDir('recur-onnx-gen-');
  let seed = 1;
  for (const [name, g] of GENERATED) {
    const outputs = runDir(await generate(root, name, g, seed++));
    for (const o of outputs) assert.ok(o.pass, `${name} ${o.name}: max |diff| ${o.maxAbsDiff}`);
  }
  // The same folders through the command, all at once.
  const r = await recur(['onnx', 'check', root, '--backend', 'js']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^${GENERATED.length} of ${GENERATED.length} data sets pass`, 'm'));
});

test('batch-major layout = 1 with initial states and short lengths: the time-major run of onnxruntime, transposed', async () => {
  const root = tempDir('recur-onnx-gen-');
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    const g: Gen = { op, direction: 'bidirectional', lengths: [4, 5, 2], initial: true, lbr: op === 'GRU' ? 0 : undefined, layout: 1, peephole: op === 'LSTM' };
    for (const o of runDir(await generate(root, `gen_${op.toLowerCase()}_batch_major`, g, 40))) assert.ok(o.pass, `${op} ${o.name}: max |diff| ${o.maxAbsDiff}`);
  }
});
