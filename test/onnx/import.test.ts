/**
 * `recur import --onnx`: character models exported by torch.onnx.export (fixtures written by
 * tools/onnx_fixtures.py with PyTorch's own outputs) become recur models that compute what PyTorch did;
 * recur's own exports come back tensor for tensor (GRU with the reset gate before the product included);
 * what recur has no counterpart for is refused in one line, with no output file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Vocab } from '../../src/data/text.js';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { GraphBuilder } from '../../src/onnx/graph.js';
import { encodeModelProto, FLOAT, INT64 } from '../../src/onnx/proto.js';
import { decodeLm, lineVocab } from '../../src/tasks/lm-file.js';
import { TextClassifier } from '../../src/tasks/classify.js';
import { TokenVocab } from '../../src/tasks/tokenize.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Rng } from '../../src/util/rng.js';
import { recur, ROOT, tempDir } from '../cli/lm-helpers.js';

const be = new JsBackend('f32');
const FIX = join(ROOT, 'test/fixtures/onnx');

interface Ref { vocab: string[]; T: number; B: number; tokens: number[]; h0: number[]; c0: number[] | null; logits: number[]; hn: number[]; cn: number[] | null }

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-5): void => {
  assert.equal(a.length, b.length, what);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  assert.ok(m <= tol, `${what}: max |diff| ${m}`);
};

for (const name of ['torch_lstm2', 'torch_gru1', 'torch_rnn_relu2', 'torch_lstm_batch_first']) {
  test(`recur import of ${name} (torch.onnx.export) computes PyTorch's logits and final states`, async () => {
    const ref = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Ref;
    const dir = tempDir('recur-onnx-import-'), vocabFile = join(dir, 'vocab.json'), out = join(dir, 'm.safetensors');
    writeFileSync(vocabFile, JSON.stringify(ref.vocab));
    const r = await recur(['import', '--onnx', join(FIX, `${name}.onnx`), '--out', out, '--vocab', vocabFile]);
    assert.equal(r.code, 0, r.stderr);
    const { model, tokens } = decodeLm(readFileSync(out), be);
    const vocab = lineVocab(tokens)!;
    const id = ref.vocab.map((s) => vocab.index(s)), V = ref.vocab.length, { T, B } = ref;
    const st = model.newState(B);
    st.h.forEach((h, i) => h.set(ref.h0.slice(i * B * model.config.hidden, (i + 1) * B * model.config.hidden)));
    st.c.forEach((c, i) => c.set(ref.c0!.slice(i * B * model.config.hidden, (i + 1) * B * model.config.hidden)));
    st.fresh.fill(0);
    model.forward({ T, B, tokens: Int32Array.from(ref.tokens, (t) => id[t]) }, st);
    // recur's logit for symbol s sits at recur's id of s.
    const logits = Float32Array.from({ length: T * B * V }, (_, i) => model.logits[Math.floor(i / V) * V + id[i % V]]);
    close(logits, ref.logits, `${name} logits`);
    close(st.h.flatMap((h) => [...h]), ref.hn, `${name} hn`);
    if (ref.cn) close(st.c.flatMap((c) => [...c]), ref.cn, `${name} cn`);
  });
}

test('an imported model samples, evaluates and trains from --init; --vocab-from builds the vocabulary as train does', async () => {
  const dir = tempDir('recur-onnx-import-'), text = join(dir, 'text.txt'), out = join(dir, 'm.safetensors');
  writeFileSync(text, 'the cat sat on the mat.\n'.repeat(20));
  let r = await recur(['import', '--onnx', join(FIX, 'torch_lstm2.onnx'), '--out', out, '--vocab-from', text]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*: 2-layer lstm of 6, embedding 5, 12 characters\n$/);
  r = await recur(['sample', '--model', out, '--length', '20', '--seed', '1', '--backend', 'js']);
  assert.equal(r.code, 0, r.stderr);
  r = await recur(['eval', '--model', out, '--data', text, '--json', '--backend', 'js']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Number.isFinite(JSON.parse(r.stdout).loss));
  r = await recur(['train', '--data', text, '--init', out, '--out', join(dir, 't.safetensors'), '--steps', '2', '--backend', 'js', '--batch', '2', '--seq', '8']);
  assert.equal(r.code, 0, r.stderr);
});

test('recur models come back through export and import tensor for tensor, GRU reset-before and LSTM peepholes included', async () => {
  const dir = tempDir('recur-onnx-import-'), symbols = [...'abcdef'], vocabFile = join(dir, 'v.json');
  writeFileSync(vocabFile, JSON.stringify(symbols));
  const cases = [
    { cell: 'lstm', layers: 2, embed: 3 }, { cell: 'gru', layers: 1 }, { cell: 'gru', gruReset: 'before', layers: 2, embed: 4 },
    { cell: 'elman', activation: 'relu', layers: 2 }, { cell: 'lstm', peephole: true, layers: 2, embed: 3 },
  ] as const;
  for (const [i, cfg] of cases.entries()) {
    const model = new Model({ ...cfg, hidden: 4, inputSize: 6, outputSize: 6 }, be).init(new Rng(i + 1));
    const onnxFile = join(dir, `m${i}.onnx`), out = join(dir, `m${i}.safetensors`);
    writeFileSync(onnxFile, exportOnnx(model).bytes);
    const r = await recur(['import', '--onnx', onnxFile, '--out', out, '--vocab', vocabFile]);
    assert.equal(r.code, 0, r.stderr);
    const back = decodeLm(readFileSync(out), be).model;
    assert.equal(back.config.gruReset, model.config.gruReset);
    assert.equal(back.config.peephole, model.config.peephole);
    assert.deepEqual(back.params.names(), model.params.names());
    close(back.params.data, model.params.data, JSON.stringify(cfg), 0);
  }
});

test('import refusals: one line naming the node and attribute, no output file', async () => {
  const dir = tempDir('recur-onnx-import-'), vocabFile = join(dir, 'v.json'), out = join(dir, 'x.safetensors');
  writeFileSync(vocabFile, JSON.stringify([...'abc']));
  /** tokens → OneHot → one LSTM node with extra attributes → MatMul + Add. */
  const graph = (attrs: Record<string, number | string | string[] | { float: number }>, op = 'LSTM'): string => {
    const g = new GraphBuilder('t'), H = 2, G = op === 'LSTM' ? 4 : 3;
    const x = g.op('OneHot', [g.input('tokens', INT64, ['T', 'B']), g.ints([3]), g.weight('v', [2], [0, 1])], { axis: -1 });
    g.op(op, [x, g.weight('W', [1, G * H, 3], new Float32Array(G * H * 3)), g.weight('R', [1, G * H, H], new Float32Array(G * H * H))],
      { hidden_size: H, ...attrs }, ['Y']);
    const y = g.op('Squeeze', ['Y', g.ints([1])]);
    g.op('Add', [g.op('MatMul', [y, g.weight('Wd', [H, 3], new Float32Array(6))]), g.weight('bd', [3], new Float32Array(3))], {}, ['logits']);
    g.output('logits', FLOAT, null);
    const file = join(dir, `${op}-${Object.keys(attrs).join('-')}.onnx`);
    writeFileSync(file, encodeModelProto(g.graph(), ''));
    return file;
  };
  const refused = async (file: string, re: RegExp, vocab = vocabFile): Promise<void> => {
    const r = await recur(['import', '--onnx', file, '--out', out, '--vocab', vocab]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out));
  };
  await refused(graph({ clip: { float: 3 } }), /: node LSTM_1 \(LSTM\): attribute clip is not supported/);
  await refused(graph({ input_forget: 1 }), /attribute input_forget = 1 is not supported/);
  await refused(graph({ activations: ['Sigmoid', 'Tanh', 'Relu'] }), /attribute activations \[Sigmoid, Tanh, Relu\] is not supported/);
  await refused(graph({ direction: 'reverse' }), /attribute direction 'reverse' is not supported/);
  // A Jordan model exports as a Loop, which import does not read back.
  const jordan = new Model({ cell: 'jordan', hidden: 2, inputSize: 3, outputSize: 3 }, be).init(new Rng(1));
  const loopFile = join(dir, 'jordan.onnx');
  writeFileSync(loopFile, exportOnnx(jordan).bytes);
  await refused(loopFile, /node .* \(Loop\): recur has no such operator/);
  const big = join(dir, 'big.json');
  writeFileSync(big, JSON.stringify([...'abcd']));
  await refused(graph({}), /reads 3 token ids but .*big\.json gives 4 characters/, big);
});

// ------------------------------------------------------------------ classifiers: a linear layer on the final state

interface ClfRef { vocab: string[]; labels: string[]; T: number; B: number; tokens: number[]; logits: number[] }

for (const name of ['torch_clf_lstm2', 'torch_clf_gru1_batch_first']) {
  test(`recur import of the classifier ${name} (torch.onnx.export, fc(h_n[-1])) computes PyTorch's logits`, async () => {
    const ref = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as ClfRef;
    const dir = tempDir('recur-onnx-import-'), vocabFile = join(dir, 'tokens.json'), out = join(dir, 'clf.safetensors');
    writeFileSync(vocabFile, JSON.stringify(ref.vocab));
    const r = await recur(['import', '--onnx', join(FIX, `${name}.onnx`), '--out', out, '--vocab', vocabFile, '--labels', ref.labels.join(',')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote .*: \d-layer (lstm|gru) of 5, embedding 4, 8 tokens, 3 classes\n$/);
    const clf = TextClassifier.fromBytes(readFileSync(out), be);
    assert.deepEqual(clf.classes, ref.labels);
    const { T, B } = ref, net = clf.net as Model;
    net.forward({ T, B, tokens: Int32Array.from(ref.tokens) }, net.newState(B));
    close(net.logits.subarray(0, B * 3), ref.logits, `${name} logits`);
    // The texts those ids spell, through recur predict: PyTorch's argmax.
    const texts = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => ref.vocab[ref.tokens[t * B + b]]).join(' '));
    const p = await recur(['predict', '--model', out, '--json', '--backend', 'js', ...texts]);
    assert.equal(p.code, 0, p.stderr);
    const want = Array.from({ length: B }, (_, b) => ref.labels[[0, 1, 2].reduce((m, c) => (ref.logits[b * 3 + c] > ref.logits[b * 3 + m] ? c : m), 0)]);
    assert.deepEqual(p.stdout.trim().split('\n').map((l) => JSON.parse(l).label), want);
  });
}

test('recur classifiers come back through export and import tensor for tensor (bidirectional, peepholes); refusals in one line', async () => {
  const dir = tempDir('recur-onnx-import-'), vocab = new TokenVocab('chars', ['<unk>', 'a', 'b', 'c', 'd']), tokensFile = join(dir, 't.json');
  writeFileSync(tokensFile, JSON.stringify(vocab.tokens));
  const labelsFile = join(dir, 'labels.json');
  writeFileSync(labelsFile, JSON.stringify(['x', 'y']));
  for (const [i, cfg] of [{ cell: 'lstm', bidirectional: true, layers: 2, peephole: true }, { cell: 'gru', gruReset: 'before' }, { cell: 'elman' }].entries()) {
    const net = new Model({ ...cfg, hidden: 3, inputSize: vocab.size, embed: 2, outputSize: 2, outputMode: 'last' } as Partial<ModelConfig>, be).init(new Rng(i + 5));
    const file = join(dir, `c${i}.safetensors`), onnxFile = join(dir, `c${i}.onnx`), back = join(dir, `b${i}.safetensors`);
    writeFileSync(file, new TextClassifier(net, vocab, ['x', 'y'], 0, net.config.cell as 'lstm').toBytes());
    let r = await recur(['export', '--model', file, '--out', onnxFile]);
    assert.equal(r.code, 0, r.stderr);
    r = await recur(['import', '--onnx', onnxFile, '--out', back, '--vocab', tokensFile, '--labels', labelsFile, '--tokens', 'chars']);
    assert.equal(r.code, 0, r.stderr);
    const clf = TextClassifier.fromBytes(readFileSync(back), be);
    assert.equal(clf.vocab.mode, 'chars');
    assert.deepEqual(clf.net.params.names(), net.params.names());
    close(clf.net.params.data, net.params.data, JSON.stringify(cfg), 0);
  }
  const onnxFile = join(dir, 'c0.onnx'), out = join(dir, 'x.safetensors');
  const refused = async (args: string[], re: RegExp): Promise<void> => {
    const r = await recur(['import', '--onnx', onnxFile, '--out', out, ...args]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out));
  };
  await refused(['--vocab', tokensFile], /predicts one output per sequence \(a classifier\): name its classes with --labels/);
  await refused(['--vocab', tokensFile, '--labels', 'x,y,z'], /predicts 2 classes but --labels names 3/);
  await refused(['--vocab', tokensFile, '--labels', 'x,x'], /must name distinct classes/);
  const noUnk = join(dir, 'nounk.json');
  writeFileSync(noUnk, JSON.stringify(['a', 'b', 'c', 'd', 'e']));
  await refused(['--vocab', noUnk, '--labels', 'x,y'], /token id 0 must be <unk>/);
  await refused(['--vocab-from', tokensFile, '--labels', 'x,y'], /a classifier takes its tokens from --vocab/);
  await refused(['--vocab', join(FIX, 'torch_lstm2.json'), '--labels', 'x,y'], /is not a JSON list of strings/);
  // A head on Y's last step (not each sequence's last real one) is neither model.
  const g = new GraphBuilder('t'), H = 2;
  const x = g.op('Gather', [g.weight('emb', [5, 2], new Float32Array(10)), g.input('tokens', INT64, ['T', 'B'])]);
  g.op('LSTM', [x, g.weight('W', [1, 8, 2], new Float32Array(16)), g.weight('R', [1, 8, H], new Float32Array(16))], { hidden_size: H }, ['Y', 'Y_h', 'Y_c']);
  const lastStep = g.op('Gather', [g.op('Squeeze', ['Y', g.ints([1])]), g.ints([-1], true)], { axis: 0 });
  g.op('MatMul', [lastStep, g.weight('Wd', [H, 2], new Float32Array(4))], {}, ['logits']);
  g.output('logits', FLOAT, null);
  const stepFile = join(dir, 'last-step.onnx');
  writeFileSync(stepFile, encodeModelProto(g.graph(), ''));
  const rs = await recur(['import', '--onnx', stepFile, '--out', out, '--vocab', tokensFile, '--labels', 'x,y']);
  assert.equal(rs.code, 1);
  assert.match(rs.stderr, /no MatMul or Gemm reads its output Y or final state Y_h/);
  // A character model given --labels.
  const r = await recur(['import', '--onnx', join(FIX, 'torch_gru1.onnx'), '--out', out, '--vocab', tokensFile, '--labels', 'x,y']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /predicts at every step \(a character model\): --labels is for classifiers/);
});
