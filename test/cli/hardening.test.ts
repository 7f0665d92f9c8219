/**
 * The defects an attacker's and a careless user's runs found (issue 14), each through the command
 * that showed it: huge sizes and deep nesting in model files, outputs that would replace inputs,
 * a closed standard output, overflowing weights, FIFOs, unwritable outputs, stale temporaries, and
 * the smaller ones (hex numbers, --lr-min, labels, escape codes, repeated dates, vague messages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';
import { headerText, LEGACY, legacyPath, nested, withConfig, withHeaderText, withMetadata } from '../io/model-bytes.js';
import { collect, pool, recur, smallText, startRecur, tempDir, TINY, writeText } from './lm-helpers.js';
import { runBadCases, writeVictim, type BadCase } from './lm-bad-input.js';

const dir = tempDir('recur-harden-');
const file = (name: string, content: string | Uint8Array): string => writeText(dir, name, content);
const js = ['--backend', 'js'];

/** A copy of a model file with every weight set to `value` (finite: the reader accepts it). */
function allWeights(bytes: Uint8Array, value: number): Uint8Array {
  const ck = decodeCheckpoint(bytes);
  for (const t of ck.tensors.values()) t.data.fill(value);
  return encodeCheckpoint(ck);
}

test('model files: huge sizes, deep nesting, duplicate keys, foreign settings and vague kinds are one short line', async () => {
  const victim = await writeVictim(dir);
  const lm = new Uint8Array(readFileSync(victim));
  const clf = LEGACY('classifier.safetensors');
  const billion = (b: Uint8Array): Uint8Array => withConfig(b, (c) => { c.layers = 1e9; });
  const lmHuge = file('lm-huge.safetensors', billion(lm));
  const clfHuge = file('clf-huge.safetensors', billion(clf));
  const spectrumHuge = file('lstm-huge.safetensors', billion(LEGACY('lstm.safetensors')));
  const deepVocab = file('deep-vocab.safetensors', withMetadata(lm, (m) => { m.vocab = nested(1e5); }));
  const deepFormat = file('deep-format.safetensors', withMetadata(lm, (m) => { m.format = nested(1e5); }));
  const text = headerText(lm);
  const dupTensor = /"rnn\.weight_hh_l0":\{[^}]*\}/.exec(text)![0];
  const dup = file('dup.safetensors', withHeaderText(lm, text.replace(dupTensor, `${dupTensor},${dupTensor}`)));
  const relu = file('relu-lstm.safetensors', withConfig(lm, (c) => { c.activation = 'relu'; }));
  const noMode = file('no-mode.safetensors', withMetadata(lm, (m) => { m.task = '{"kind":"lm"}'; }));
  const noType = file('no-type.safetensors', withMetadata(clf, (m) => { m.task = m.task.replace('"type":"classify",', ''); }));
  const words = file('words.jsonl', '{"text": "free cash now"}\n');
  const cases: BadCase[] = [
    { name: 'sample, layers 1e9', args: ['sample', ...js, '--model', lmHuge], error: /lm-huge\.safetensors: model file config has layers 1000000000, more than the limit of 256/ },
    { name: 'eval, layers 1e9', args: ['eval', ...js, '--model', lmHuge, '--data', file('t.txt', smallText(20))], error: /layers 1000000000, more than the limit/ },
    { name: 'predict, layers 1e9', args: ['predict', ...js, '--model', clfHuge, 'free cash'], error: /clf-huge\.safetensors: .*layers 1000000000/ },
    { name: 'lab spectrum, layers 1e9', args: ['lab', 'spectrum', ...js, '--model', spectrumHuge], error: /lstm-huge\.safetensors: .*layers 1000000000/ },
    { name: 'vocabulary nested 1e5 deep', args: ['sample', ...js, '--model', deepVocab], error: /metadata "vocab" is nested more than 16 levels deep/ },
    { name: 'format nested 1e5 deep', args: ['sample', ...js, '--model', deepFormat], error: /^.{0,200}$/ },
    { name: 'a tensor twice in the header', args: ['sample', ...js, '--model', dup], error: /header has the key "rnn.weight_hh_l0" twice/ },
    { name: 'activation on an LSTM', args: ['sample', ...js, '--model', relu], error: /gives the "lstm" cell activation "relu"/ },
    { name: 'lm without a mode', args: ['sample', ...js, '--model', noMode], error: /does not say how it reads text/ },
    { name: 'predict with a language model', args: ['predict', ...js, '--model', victim, 'free cash'], error: /holds a "lm" model, not a text classifier/ },
    { name: 'classifier without a type', args: ['predict', ...js, '--model', noType, '--data', words], error: /holds a model that does not say what task it is for, not a text classifier/ },
  ];
  await runBadCases(cases, victim);
});

test('an output that is an input (by name, symbolic or hard link) is refused and the input kept', async () => {
  const data = file('c.txt', smallText(200));
  symlinkSync(data, join(dir, 'link.txt'));
  linkSync(data, join(dir, 'hard.txt'));
  const jsonl = file('c.jsonl', '{"text": "a b", "label": "x"}\n{"text": "c d", "label": "y"}\n'.repeat(10));
  const train = (out: string): string[] => ['train', '--data', data, ...TINY, '--steps', '1', '--out', out];
  await runBadCases([
    { name: 'train --out = --data', args: train(data), error: /--out .*c\.txt is the same file as --data .*c\.txt: saving would replace it/, code: 2 },
    { name: 'train --out = a symbolic link to --data', args: train(join(dir, 'link.txt')), error: /link\.txt is the same file as --data/, code: 2 },
    { name: 'train --out = a hard link to --data', args: train(join(dir, 'hard.txt')), error: /hard\.txt is the same file as --data/, code: 2 },
    { name: 'train --out = --data by another path', args: train(join(dir, '..', basename(dir), 'c.txt')), error: /same file as --data/, code: 2 },
  ], data);
  await runBadCases([
    { name: 'classify --out = --data', args: ['classify', ...js, '--data', jsonl, '--epochs', '1', '--out', jsonl], error: /--out .*c\.jsonl is the same file as --data/, code: 2 },
  ], jsonl);
});

test('a closed standard output ends sample, predict and lab gradflow quietly with status 0', async () => {
  const victim = join(dir, 'victim.safetensors');
  if (!existsSync(victim)) await writeVictim(dir);
  const runs = [
    ['sample', ...js, '--model', victim, '--length', '2000000'],
    ['predict', ...js, '--model', legacyPath('classifier.safetensors'), 'free cash now', 'the meeting notes'],
    ['lab', 'gradflow', ...js, '--model', victim, '--text', 'the cat sat'],
  ];
  const results = await pool(runs.map((args) => async () => {
    const child = startRecur(args);
    child.stdout!.destroy(); // the reader is gone before the first write: EPIPE
    const t0 = performance.now();
    const r = await collect(child, 60_000);
    return { ...r, seconds: (performance.now() - t0) / 1000 };
  }));
  results.forEach((r, i) => {
    assert.equal(r.stderr, '', `${runs[i][0]}: nothing on stderr`);
    assert.equal(r.code, 0, `${runs[i][0]}: status 0`);
  });
  // Two million characters take minutes on the js backend: the sampler stopped at the closed pipe.
  assert.ok(results[0].seconds < 30, `sample stopped early (${results[0].seconds} s)`);
});

test('overflowing weights are an error naming a tensor, not a score of 0 or NaN norms', async () => {
  const victim = join(dir, 'victim.safetensors');
  if (!existsSync(victim)) await writeVictim(dir);
  const lm = new Uint8Array(readFileSync(victim));
  const e30 = file('e30.safetensors', allWeights(lm, 1e30));
  const e38 = file('e38.safetensors', allWeights(lm, 3e38));
  const text = file('score.txt', smallText(30));
  await runBadCases([
    { name: 'eval --json, weights 1e30', args: ['eval', ...js, '--json', '--model', e30, '--data', text], error: /output reached \S+e\+30, beyond what float32 can score.*largest weight is 1\.00e\+30 in tensor "[\w.]+"/ },
    { name: 'sample, weights 1e30', args: ['sample', ...js, '--model', e30, '--prime', 'the'], error: /output reached .* in tensor "/ },
    { name: 'lab gradflow, weights 3e38', args: ['lab', 'gradflow', ...js, '--model', e38, '--text', 'the cat'], error: /(gradient flow is NaN|output .*): the model's arithmetic overflows; its largest weight is 3\.00e\+38 in tensor "/ },
    { name: 'lab gradflow, weights 1e30', args: ['lab', 'gradflow', ...js, '--model', e30, '--text', 'the cat'], error: /overflows; its largest weight is 1\.00e\+30/ },
  ], e30);
});

test('a FIFO is refused as --model or --data instead of blocking forever', async (t) => {
  const fifo = join(dir, 'pipe');
  if (spawnSync('mkfifo', [fifo]).status !== 0) { t.skip('mkfifo is not available'); return; }
  const victim = join(dir, 'victim.safetensors');
  if (!existsSync(victim)) await writeVictim(dir);
  await runBadCases([
    { name: 'FIFO as --model', args: ['sample', ...js, '--model', fifo], error: /cannot read model file .*pipe: not a regular file/ },
    { name: 'FIFO as --data', args: ['eval', ...js, '--model', victim, '--data', fifo], error: /cannot read data file .*pipe: not a regular file/ },
    { name: 'FIFO as --out', args: ['train', '--data', file('f.txt', smallText(50)), ...TINY, '--steps', '1', '--out', fifo], error: /--out .*pipe is not a regular file/, code: 2 },
  ], victim);
});

test('the output is checked before training: a missing folder, a file as folder, a read-only folder', async () => {
  const data = file('w.txt', smallText(100));
  const train = (out: string): string[] => ['train', '--data', data, ...TINY, '--steps', '100000', '--out', out];
  const cases: BadCase[] = [
    { name: 'missing folder', args: train(join(dir, 'no', 'such', 'm.safetensors')), error: /--out .*: the folder .*no\/such does not exist/, code: 2 },
    { name: 'a file as folder', args: train(join(data, 'm.safetensors')), error: /w\.txt is not a folder/, code: 2 },
    { name: 'classify, missing folder', args: ['classify', ...js, '--epochs', '50', '--out', join(dir, 'nope', 'c.safetensors')], error: /the folder .*nope does not exist/, code: 2 },
    { name: 'lab train, missing folder', args: ['lab', 'adding', ...js, '--cell', 'elman', '--length', '10', '--steps', '100000', '--save', join(dir, 'nope', 'l.safetensors')], error: /no such directory/, code: 2 },
  ];
  // /sys is mounted read-only (even root cannot create files there); where it is not, skip that case.
  if (existsSync('/sys') && statSync('/sys').isDirectory() && spawnSync('touch', ['/sys/recur-probe']).status !== 0) {
    cases.push({ name: 'read-only folder', args: train('/sys/m.safetensors'), error: /cannot create files in \/sys: (permission denied|read-only file system)/, code: 2 });
  }
  const t0 = performance.now();
  await runBadCases(cases, data);
  assert.ok(performance.now() - t0 < 60_000, 'refused before training (100000 steps would take minutes)');
});

test('temporary files of killed saves of the same output are removed on start; others are left', async () => {
  const out = join(dir, 'tmpclean.safetensors');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has exited
  const stale = join(dir, `.tmpclean.safetensors.${dead}.0123456789ab.tmp`);
  const live = join(dir, `.tmpclean.safetensors.${process.pid}.0123456789ab.tmp`); // a save in progress
  const other = join(dir, `.other.safetensors.${dead}.0123456789ab.tmp`); // another output's
  for (const p of [stale, live, other]) writeFileSync(p, 'partial');
  const r = await recur(['train', '--data', file('s.txt', smallText(100)), ...TINY, '--steps', '1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(stale), 'the stale temporary is gone');
  assert.ok(existsSync(live) && existsSync(other), 'a live save and other outputs are untouched');
});

test('smaller defects: hex numbers, --lr-min > --lr, --activation on LSTM, object labels, repeated dates', async () => {
  const data = file('d.txt', smallText(100));
  const victim = join(dir, 'victim.safetensors');
  if (!existsSync(victim)) await writeVictim(dir);
  const train = (...a: string[]): string[] => ['train', '--data', data, ...TINY, '--steps', '1', '--out', join(dir, 'small.safetensors'), ...a];
  const rows = Array.from({ length: 200 }, (_, i) => `2020-01-01,${100 + (i % 7)}`).join('\n');
  await runBadCases([
    { name: '--lr 0x10', args: train('--lr', '0x10'), error: /--lr.*expected a number, got '0x10'/ },
    { name: '--temperature 0b1', args: ['sample', ...js, '--model', victim, '--temperature', '0b1'], error: /expected a number, got '0b1'/ },
    { name: '--lr-min > --lr', args: train('--lr', '0.01', '--lr-min', '0.1'), error: /--lr-min 0\.1 is larger than --lr 0\.01/, code: 2 },
    { name: '--activation on an LSTM', args: train('--cell', 'lstm', '--activation', 'relu'), error: /--activation applies to Elman and Jordan cells/, code: 2 },
    { name: 'predict: an object label', args: ['predict', ...js, '--model', legacyPath('classifier.safetensors'), '--data', file('o.jsonl', '{"text": "free cash", "label": {"a": 1}}\n')], error: /o\.jsonl: line 1: "label" must be a non-empty string or a finite number/ },
    { name: 'forecast: 200 rows of one date', args: ['forecast', ...js, '--data', file('same.csv', `date,value\n${rows}\n`), '--steps', '1', '--no-plot'], error: /same\.csv: date 2020-01-01 repeats/ },
  ], victim);
  const kept = await recur(train('--lr', '1e-2', '--lr-min', '.001'));
  assert.equal(kept.code, 0, `decimal forms still work: ${kept.stderr}`);
});

test('labels with terminal escape codes are printed escaped', async () => {
  const evil = withMetadata(LEGACY('classifier.safetensors'), (m) => {
    m.task = m.task.replace('"classes":["ham","spam"]', '"classes":["ham\\u001b]0;pwned\\u0007","spam\\u009b2J"]');
  });
  const path = file('evil.safetensors', evil);
  const r = await recur(['predict', ...js, '--model', path, 'free cash now win', 'meeting notes for the project']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no control character reaches the terminal');
  assert.match(r.stdout, /(ham\\u001b\]0;pwned\\u0007|spam\\u009b2J)\t/);
  const json = await recur(['predict', ...js, '--json', '--model', path, 'free cash now win']);
  assert.match(json.stdout, /\\u001b|\\u009b|\u009b/, 'JSON output keeps the label (JSON escapes what it must)');
});
