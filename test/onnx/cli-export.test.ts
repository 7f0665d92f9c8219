/**
 * `recur export --format onnx`: a language-model, classifier or forecaster file becomes an ONNX file that onnxruntime runs with the
 * model's results and that onnx.checker (Debian's python3-onnx, when installed) accepts; a file without a
 * recurrent model, and an output path that would replace the input, are refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Vocab } from '../../src/data/text.js';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { Mlp } from '../../src/tasks/baselines.js';
import { encodeLm } from '../../src/tasks/lm-file.js';
import { encodeNet } from '../../src/tasks/net.js';
import { TextClassifier } from '../../src/tasks/classify.js';
import { Forecaster } from '../../src/tasks/forecast.js';
import { TokenVocab } from '../../src/tasks/tokenize.js';
import { Scaler } from '../../src/data/series.js';
import { decodeModelProto } from '../../src/onnx/proto.js';
import { Rng } from '../../src/util/rng.js';
import { recur, tempDir } from '../cli/lm-helpers.js';
import { assertAgree, runOnnx, runRecur } from './run.js';

const be = new JsBackend('f32');
const hasPythonOnnx = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

function lmFile(dir: string, cell: 'lstm' | 'jordan'): { path: string; model: Model } {
  const vocab = new Vocab([...'\n abcdeh']);
  const model = new Model({ cell, hidden: 6, layers: 2, inputSize: vocab.size, outputSize: vocab.size, embed: cell === 'lstm' ? 4 : 0 }, be).init(new Rng(1));
  const path = join(dir, `${cell}.safetensors`);
  writeFileSync(path, encodeLm(model, vocab, { kind: 'lm', mode: 'stream', source: 'test' }, null, null));
  return { path, model };
}

for (const cell of ['lstm', 'jordan'] as const) {
  test(`recur export writes an ${cell} language model that onnxruntime runs exactly`, async (t) => {
    const dir = tempDir('recur-onnx-'), { path, model } = lmFile(dir, cell), out = join(dir, 'm.onnx');
    const r = await recur(['export', '--format', 'onnx', '--model', path, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.deepEqual(info.outputs, cell === 'lstm' ? ['logits', 'hn', 'cn'] : ['logits', 'hn', 'on']);
    const cs = { T: 7, B: 2 };
    assertAgree(model, cs, runRecur(model, cs), await runOnnx(readFileSync(out), model, cs), 2e-5, cell);
    if (!hasPythonOnnx) { t.diagnostic('python3-onnx is not installed: onnx.checker not run'); return; }
    const chk = spawnSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', out], { encoding: 'utf8' });
    assert.equal(chk.status, 0, chk.stderr);
  });
}

test('recur export writes classifier and forecaster files: the graph agrees with recur on padded batches and carries the task', async () => {
  const dir = tempDir('recur-onnx-');
  const vocab = new TokenVocab('words', ['<unk>', 'the', 'cat', 'sat', 'mat', 'dog']);
  const clfNet = new Model({ cell: 'lstm', hidden: 5, layers: 2, bidirectional: true, inputSize: vocab.size, embed: 4, outputSize: 3, outputMode: 'last' }, be)
    .init(new Rng(2));
  const clf = new TextClassifier(clfNet, vocab, ['neg', 'neu', 'pos'], 32, 'lstm');
  const fcNet = new Model({ cell: 'gru', hidden: 4, inputKind: 'dense', inputSize: 8, outputSize: 3, head: 'mse' }, be).init(new Rng(3));
  const fc = new Forecaster(fcNet, new Scaler(12.5, 3.25), { model: 'gru', horizon: 3, season: 7, window: 14 }, { dates: false, holidays: false });
  for (const [name, bytes, model, task] of [['clf', clf.toBytes(), clfNet, 'classify'], ['fc', fc.toBytes(), fcNet, 'forecast']] as const) {
    const path = join(dir, `${name}.safetensors`), out = join(dir, `${name}.onnx`);
    writeFileSync(path, bytes);
    const r = await recur(['export', '--format', 'onnx', '--model', path, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.deepEqual(info.inputs, name === 'clf' ? ['tokens', 'lengths', 'h0', 'c0'] : ['inputs', 'lengths', 'h0']);
    assert.deepEqual(info.outputs, name === 'clf' ? ['logits', 'hn', 'cn'] : ['predictions', 'hn']);
    const cs = { T: 6, B: 3, lengths: [6, 2, 4] };
    assertAgree(model, cs, runRecur(model, cs), await runOnnx(readFileSync(out), model, cs), 2e-5, name);
    const meta = Object.fromEntries((decodeModelProto(readFileSync(out)).metadataProps ?? []).map((e) => [e.key, e.value]));
    const t = JSON.parse(meta['recur.task']!);
    assert.equal(t.type, task);
    if (name === 'clf') { assert.deepEqual(t.classes, ['neg', 'neu', 'pos']); assert.deepEqual(t.tokenizer, vocab.toJSON()); }
    else assert.deepEqual(t.scaler, { mean: 12.5, std: 3.25 });
  }
});

test('recur export refuses a baseline model and an output that is its input, writing nothing', async () => {
  const dir = tempDir('recur-onnx-'), { path } = lmFile(dir, 'lstm');
  let r = await recur(['export', '--model', path, '--out', path]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^recur: --out .* is the same file as --model/);
  const out = join(dir, 'x.onnx'), baseline = join(dir, 'bow.safetensors'), junk = join(dir, 'junk.safetensors');
  const mlp = new Mlp({ pooling: 'bow', inputKind: 'tokens', inputSize: 5, hidden: 0, outputSize: 2, head: 'softmax' }, be);
  writeFileSync(baseline, encodeNet(mlp, { type: 'classify' }));
  writeFileSync(junk, 'not a model');
  r = await recur(['export', '--model', baseline, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^recur: .*bow\.safetensors: holds a feed-forward baseline, which has no recurrent graph to export\n$/);
  r = await recur(['export', '--model', junk, '--out', out]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(out));
});
