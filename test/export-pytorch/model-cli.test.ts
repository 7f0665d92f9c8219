/**
 * `recur export --format pytorch` end to end: model files of a char-LM, a text classifier and a seq2seq model
 * become folders whose model.py and config.json rebuild the model in PyTorch, load the model file's tensors with
 * strict=True and give recur's loss (float32, rel 1e-4; one python process for the three). Bad input is one line
 * and exit 1 (2 for a bad --out), and nothing is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Vocab } from '../../src/data/text.js';
import { pytorchFiles } from '../../src/export-pytorch/files.js';
import { encodeSeq2Seq } from '../../src/io/seq2seq-file.js';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { makePairBatch } from '../../src/nn/seq2seq/batch.js';
import { initSeq2Seq } from '../../src/nn/seq2seq/init.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { Mlp } from '../../src/tasks/baselines.js';
import { encodeLm } from '../../src/tasks/lm-file.js';
import { encodeNet } from '../../src/tasks/net.js';
import { Rng } from '../../src/util/rng.js';
import { recur, tempDir } from '../cli/lm-helpers.js';
import { assertClose } from '../helpers/close.js';

const be = new JsBackend('f32');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function tokenBatch(m: Model, T: number, B: number, lengths?: number[]) {
  const rng = new Rng(4), c = m.config;
  const tokens = Int32Array.from({ length: T * B }, () => rng.int(c.inputSize));
  const targets = Int32Array.from({ length: c.outputMode === 'every' ? T * B : B }, () => rng.int(c.outputSize));
  const batch = { T, B, tokens, targets, lengths: lengths && Int32Array.from(lengths) };
  const loss = m.forward(batch, m.newState(B))!.loss;
  return { loss, batch: { T, B, tokens: [...tokens], targets: [...targets], lengths } };
}

test('recur export --format pytorch: a char-LM, a classifier and a seq2seq model load strictly and give recur\'s loss', async (t) => {
  const dir = tempDir('recur-torch-');
  const vocab = new Vocab([...'\n abcdeh']);
  const lm = new Model({ cell: 'gru', hidden: 6, layers: 2, inputSize: vocab.size, outputSize: vocab.size, embed: 4, h0: 'learned' }, be).init(new Rng(1));
  writeFileSync(join(dir, 'lm.safetensors'), encodeLm(lm, vocab, { kind: 'lm', mode: 'stream', source: 'test' }, null, null));
  const clf = new Model({ cell: 'jordan', hidden: 5, inputSize: 9, outputSize: 3, outputMode: 'last', lags: [], layers: 2 }, be).init(new Rng(2));
  writeFileSync(join(dir, 'clf.safetensors'), encodeNet(clf, { type: 'classify', classes: ['a', 'b', 'c'] }));
  const s2s = new Seq2Seq({ src_vocab: 7, tgt_vocab: 7, embed: 3, hidden: 4, cell: 'lstm', attention: 'additive', bidirectional: true }, be);
  initSeq2Seq(s2s.params, s2s.config, new Rng(3));
  const symbols = ['<pad>', '<bos>', '<eos>', '<unk>', 'x', 'y', 'z'];
  writeFileSync(join(dir, 's2s.safetensors'), encodeSeq2Seq(s2s, symbols, symbols));
  const pb = makePairBatch([[Int32Array.of(4, 5, 6), Int32Array.of(6, 5)], [Int32Array.of(5), Int32Array.of(4, 4, 6)]]);

  const cases = [
    { name: 'lm', ...tokenBatch(lm, 5, 2) },
    { name: 'clf', ...tokenBatch(clf, 4, 3, [4, 1, 3]) },
    { name: 's2s', loss: s2s.forward(pb).loss, batch: { S: pb.S, T: pb.T, B: pb.B, src: [...pb.src], srcLen: [...pb.srcLen], tgtIn: [...pb.tgtIn], tgtOut: [...pb.tgtOut] } },
  ];
  for (const cs of cases) {
    const r = await recur(['export', '--format', 'pytorch', '--model', join(dir, `${cs.name}.safetensors`), '--out', join(dir, cs.name), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { kind: string; files: string[] };
    assert.equal(info.kind, cs.name === 's2s' ? 'seq2seq' : 'recurrent');
    assert.deepEqual(readdirSync(join(dir, cs.name)).sort(), [...info.files].sort());
    assert.ok(info.files.includes('model.py') && info.files.includes('config.json'));
  }
  // what the training files (train-files.ts) are chosen by: the file's task kind
  assert.deepEqual(['lm', 'clf', 's2s'].map((n) => pytorchFiles(readFileSync(join(dir, `${n}.safetensors`))).taskKind), ['lm', 'classify', 'seq2seq']);
  const lmConfig = JSON.parse(readFileSync(join(dir, 'lm', 'config.json'), 'utf8'));
  assert.deepEqual(lmConfig.vocab, [...vocab.chars]);
  assert.deepEqual(lmConfig.config, lm.config);
  if (!hasTorch) { t.skip(`${python} cannot import torch (Debian's python3-torch): the exported folders were not run`); return; }
  const py = spawnSync(python, [fileURLToPath(new URL('model-cli.py', import.meta.url))], {
    input: JSON.stringify(cases.map((cs) => ({ folder: join(dir, cs.name), model: join(dir, `${cs.name}.safetensors`), batch: cs.batch }))), encoding: 'utf8',
  });
  assert.equal(py.status, 0, py.stderr);
  const results = JSON.parse(py.stdout) as { loss: number }[];
  results.forEach((res, i) => assertClose([res.loss], [cases[i].loss], `${cases[i].name} loss`, 1e-4, 0));
});

test('recur export --format pytorch refuses bad input in one line and writes nothing', async () => {
  const dir = tempDir('recur-torch-'), junk = join(dir, 'junk.safetensors'), baseline = join(dir, 'bow.safetensors'), out = join(dir, 'out');
  writeFileSync(junk, 'not a model');
  const mlp = new Mlp({ pooling: 'bow', inputKind: 'tokens', inputSize: 5, hidden: 0, outputSize: 2, head: 'softmax' }, be);
  writeFileSync(baseline, encodeNet(mlp, { type: 'classify' }));
  let r = await recur(['export', '--format', 'pytorch', '--model', junk, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^recur: .*junk\.safetensors: [^\n]*\n$/);
  r = await recur(['export', '--format', 'pytorch', '--model', baseline, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^recur: .*bow\.safetensors: holds a feed-forward baseline, which has no recurrent model to export\n$/);
  assert.ok(!existsSync(out), 'no folder for a refused model');
  r = await recur(['export', '--format', 'pytorch', '--model', baseline, '--out', junk]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^recur: --out .*junk\.safetensors: a PyTorch export is a folder, and this is a file\n$/);
  r = await recur(['export', '--format', 'pytorch', '--model', baseline, '--out', join(dir, 'no', 'such')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^recur: --out .*: the folder .* does not exist/);
});

test('recur export --format pytorch --config: a model from settings alone; train.py takes the vocabulary from its text, recur reads the result', async (t) => {
  const dir = tempDir('recur-torch-cfg-'), out = join(dir, 'gru');
  writeFileSync(join(dir, 'arch.json'), JSON.stringify({ cell: 'gru', hidden: 12, layers: 2, embed: 6, dropout: 0.1 }));
  let r = await recur(['export', '--format', 'pytorch', '--config', join(dir, 'arch.json'), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { files: string[] }).files.sort(), ['README.md', 'config.json', 'model.py', 'recur_io.py', 'train.py']);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.vocab, null);
  assert.deepEqual([config.config.cell, config.config.hidden, config.config.layers, config.config.embed], ['gru', 12, 2, 6]);
  // settings a model cannot have, and --config where it does not apply: one line each
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ cell: 'gru', lags: [2] }));
  r = await recur(['export', '--format', 'pytorch', '--config', join(dir, 'bad.json'), '--out', join(dir, 'bad')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^recur: [^\n]*lags[^\n]*\n$/);
  writeFileSync(join(dir, 'clf.json'), JSON.stringify({ cell: 'lstm', outputMode: 'last' }));
  r = await recur(['export', '--format', 'pytorch', '--config', join(dir, 'clf.json'), '--out', join(dir, 'clf')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^recur: [^\n]*train\.py trains character models[^\n]*\n$/);
  r = await recur(['export', '--format', 'onnx', '--config', join(dir, 'arch.json'), '--out', join(dir, 'x.onnx')]);
  assert.equal(r.code, 2);
  assert.ok(!existsSync(join(dir, 'bad')) && !existsSync(join(dir, 'clf')) && !existsSync(join(dir, 'x.onnx')));
  if (!hasTorch) { t.skip(`${python} cannot import torch (Debian's python3-torch): train.py was not run`); return; }
  writeFileSync(join(dir, 'text.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(60));
  const py = spawnSync(python, [join(out, 'train.py'), '--data', join(dir, 'text.txt'), '--steps', '8', '--batch', '4', '--seq', '16', '--json',
    '--out', join(dir, 'm.safetensors'), '--save-val', join(dir, 'val.txt')], { encoding: 'utf8', cwd: out });
  assert.equal(py.status, 0, py.stderr);
  const printed = (JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { val_loss: number }).val_loss;
  r = await recur(['eval', '--model', join(dir, 'm.safetensors'), '--data', join(dir, 'val.txt'), '--json', '--backend', 'js']);
  assert.equal(r.code, 0, r.stderr);
  const loss = (JSON.parse(r.stdout) as { loss: number }).loss;
  assert.ok(Math.abs(loss - printed) <= 1e-4 * printed, `recur eval ${loss} vs train.py ${printed}`);
});

test('train.py refuses, in one line, a model with a tokenizer of its own (it reads plain characters)', async (t) => {
  if (!hasTorch) { t.skip(`${python} cannot import torch (Debian's python3-torch): train.py was not run`); return; }
  const dir = tempDir('recur-torch-tok-'), model = join(dir, 'byte.safetensors'), out = join(dir, 'byte');
  writeFileSync(join(dir, 'text.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(40));
  let r = await recur(['train', '--data', join(dir, 'text.txt'), '--tokens', 'byte', '--hidden', '8', '--embed', '4', '--batch', '4', '--seq', '16', '--steps', '0',
    '--sample-length', '0', '--backend', 'js', '--out', model]);
  assert.equal(r.code, 0, r.stderr);
  r = await recur(['export', '--format', 'pytorch', '--model', model, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const py = spawnSync(python, [join(out, 'train.py'), '--data', join(dir, 'text.txt'), '--init', model, '--steps', '1', '--out', join(dir, 'x.safetensors')],
    { encoding: 'utf8', cwd: out });
  assert.equal(py.status, 1, py.stderr);
  assert.match(py.stderr, /^train\.py: the model reads byte tokens \(a tokenizer of its own\); train\.py reads plain characters[^\n]*\n$/);
  assert.ok(!existsSync(join(dir, 'x.safetensors')));
});

test('recur export --format pytorch: model.py names the training regularisers it applies (model-parity checks them)', async () => {
  const dir = tempDir('recur-torch-reg-');
  const vocab = new Vocab([...'\n abcdeh']);
  const base = { cell: 'lstm' as const, hidden: 6, layers: 1, inputSize: vocab.size, outputSize: vocab.size, embed: 4 };
  const reg = new Model({ ...base, weightDrop: 0.5, dropoutOutput: 0.2, tar: 1 }, be).init(new Rng(1));
  const plain = new Model(base, be).init(new Rng(1));
  writeFileSync(join(dir, 'reg.safetensors'), encodeLm(reg, vocab, { kind: 'lm', mode: 'stream', source: 'test' }, null, null));
  writeFileSync(join(dir, 'plain.safetensors'), encodeLm(plain, vocab, { kind: 'lm', mode: 'stream', source: 'test' }, null, null));
  for (const name of ['reg', 'plain']) {
    const r = await recur(['export', '--format', 'pytorch', '--model', join(dir, `${name}.safetensors`), '--out', join(dir, name), '--json']);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.match(readFileSync(join(dir, 'reg', 'model.py'), 'utf8'), /In training \(model\.train\(\)\), as in recur: locked dropout 0\.2 on the last layer's output, weight drop 0\.5 on W_hh, TAR 1\. Add model\.penalty/);
  assert.doesNotMatch(readFileSync(join(dir, 'plain', 'model.py'), 'utf8'), /In training \(model/);
});
