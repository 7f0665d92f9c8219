/**
 * What a model file may say, checked before it is used: bounded config sizes (a 26 KB file saying
 * `layers: 1e9` made the readers allocate without limit), no setting its cell lacks, no key twice, no
 * nesting that recursion could not survive, and messages that quote at most a short excerpt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { CONFIG_LIMITS, MAX_LAGS, MAX_VOCAB } from '../../src/io/config-limits.js';
import { EXCERPT_CHARS, excerpt, parseFileJson } from '../../src/io/json-guard.js';
import { decodeModel } from '../../src/io/model-file.js';
import { ModelFileError } from '../../src/io/safetensors.js';
import { TextClassifier } from '../../src/tasks/classify.js';
import { Forecaster } from '../../src/tasks/forecast.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { headerText, LEGACY, nested, withConfig, withHeaderText, withMetadata } from './model-bytes.js';

const be = new JsBackend('f32');
const lstm = LEGACY('lstm.safetensors');
const classifier = LEGACY('classifier.safetensors');
const forecaster = LEGACY('forecaster.safetensors');

/** Refused with a one-line ModelFileError matching `re`, quickly (nothing was allocated for the claim). */
function refuses(decode: () => unknown, re: RegExp, ms = 2000): void {
  const t0 = performance.now();
  assert.throws(decode, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `a ModelFileError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n') && e.message.length < 300, `one short line: ${e.message.slice(0, 400)}`);
    return true;
  });
  assert.ok(performance.now() - t0 < ms, `refused in ${performance.now() - t0} ms`);
}

test('the legacy files still load (the checks accept everything the writer writes)', () => {
  for (const f of ['elman', 'ej', 'gru2', 'lstm']) decodeLm(LEGACY(`${f}.safetensors`), be);
  TextClassifier.fromBytes(classifier, be);
  Forecaster.fromBytes(forecaster, be);
});

test('every size in a config is bounded, in every kind of model file, before any tensor list is built', () => {
  const decoders: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    ['char-LM', lstm, (b) => decodeLm(b, be)],
    ['classifier', classifier, (b) => TextClassifier.fromBytes(b, be)],
    ['forecaster', forecaster, (b) => Forecaster.fromBytes(b, be)],
  ];
  for (const [, bytes, decode] of decoders) {
    for (const key of Object.keys(CONFIG_LIMITS)) {
      refuses(() => decode(withConfig(bytes, (c) => { c[key] = 1e9; })), new RegExp(`${key} 1000000000, more than the limit of ${CONFIG_LIMITS[key]}`));
    }
  }
  // The file: 26 KB whose config says a billion layers.
  refuses(() => decodeModel(withConfig(lstm, (c) => { c.layers = 1e9; }), be), /layers 1000000000, more than the limit of 256/);
  refuses(() => decodeModel(withConfig(lstm, (c) => { c.lags = Array.from({ length: MAX_LAGS + 1 }, (_, i) => i + 2); }), be), /65 lags, more than the limit of 64/);
  // Sizes nested in sub-configs (an encoder, a decoder) are bounded by the same table.
  refuses(() => decodeCheckpoint(withConfig(lstm, (c) => { c.encoder = { decoder: { hidden: 2 ** 40 } }; })), /hidden 1099511627776, more than the limit/);
  // At the limit a size is only refused by the tensors the file lacks.
  refuses(() => decodeModel(withConfig(lstm, (c) => { c.layers = 256; }), be), /missing tensor "rnn.weight_ih_l1"/);
});

test('a vocabulary larger than Unicode is refused before its entries are looked at', () => {
  const vocab = JSON.stringify(new Array(MAX_VOCAB + 1).fill('a'));
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.vocab = vocab; })), /vocab has 1114113 entries, more than the 1114112 code points/, 20_000); // parsing the 4 MB header is the cost
});

test('a setting the cell does not have is refused, not ignored', () => {
  refuses(() => decodeModel(withConfig(lstm, (c) => { c.activation = 'relu'; }), be), /gives the "lstm" cell activation "relu", which that cell does not have/);
  refuses(() => decodeModel(withConfig(LEGACY('gru2.safetensors'), (c) => { c.lags = [2]; }), be), /"gru" cell lags/);
  refuses(() => decodeModel(withConfig(LEGACY('elman.safetensors'), (c) => { c.jordanFeed = 'target'; }), be), /"elman" cell jordanFeed "target"/);
  // The writer stores tanh and output feed for every cell: those stay accepted (the legacy test above).
});

test('nesting is limited without recursion: a vocabulary 1e5 deep is one line, not a stack overflow', () => {
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.vocab = nested(1e5); })), /metadata "vocab" is nested more than 16 levels deep/);
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.task = `{"kind":${nested(1e5)}}`; })), /metadata "task" is nested more than 16/);
  // A header nested deep (the dtype echoed in a message used to be serialised whole).
  const header = headerText(lstm).replace('"dtype":"F32"', `"dtype":${nested(1e5)}`);
  refuses(() => decodeCheckpoint(withHeaderText(lstm, header)), /safetensors header is nested more than 4 levels deep/);
});

test('a value echoed in an error is a short excerpt (a nested format string once made a 200 KB line)', () => {
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.format = nested(1e5); })), /not a recur model file \(metadata format is "\[{40}…"\)/);
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.vocab = JSON.stringify([nested(2), 'x'.repeat(1e5)]); })), /vocab entry 0 is not a single character: "\[\[1\]\]"/);
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.vocab = JSON.stringify(['ab'.repeat(1e5)]); })), /vocab entry 0 is not a single character: "(ab){20}…"/);
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.version = 'v'.repeat(1e5); })), /unsupported recur model file version "v{40}…"/);
  refuses(() => decodeModel(withConfig(lstm, (c) => { c.cell = 'c'.repeat(1e5); }), be), /config/);
});

test('a key given twice in the header or in metadata JSON is refused (readers could disagree on which counts)', () => {
  const text = headerText(lstm);
  const first = /"rnn\.bias_hh_l0":\{[^}]*\}/.exec(text)!;
  refuses(() => decodeCheckpoint(withHeaderText(lstm, text.replace(first[0], `${first[0]},${first[0]}`))), /safetensors header has the key "rnn.bias_hh_l0" twice/);
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.config = m.config.replace('"hidden":12', '"hidden":12,"hidden":12'); })), /metadata "config" has the key "hidden" twice/);
  // Escapes are decoded before keys are compared.
  refuses(() => decodeCheckpoint(withMetadata(lstm, (m) => { m.task = '{"kind":"lm","\\u006bind":"lm"}'; })), /metadata "task" has the key "kind" twice/);
  // The same key in different objects is fine.
  assert.deepEqual(parseFileJson('{"a":{"a":1},"b":[{"a":2},{"a":3}]}', 'x', 4), { a: { a: 1 }, b: [{ a: 2 }, { a: 3 }] });
  assert.throws(() => parseFileJson('{"a":1,"b":{"c":1,"c":2}}', 'x', 4), /x has the key "c" twice/);
  assert.throws(() => parseFileJson('[[[[[]]]]]', 'x', 4), /nested more than 4 levels/);
  assert.deepEqual(parseFileJson('[[[[]]]]', 'x', 4), [[[[]]]]);
  assert.deepEqual(parseFileJson('{"a\\"{[":"]}\\\\"}', 'x', 1), { 'a"{[': ']}\\' }); // brackets inside strings do not count
});

test('excerpts: short, quoted, control characters escaped (C1 too), other values named by type', () => {
  assert.equal(excerpt('abc'), '"abc"');
  assert.equal(excerpt('x'.repeat(100)), `"${'x'.repeat(EXCERPT_CHARS)}…"`);
  assert.equal(excerpt('\u001b[31m\u009b2J\n'), '"\\u001b[31m\\u009b2J\\n"');
  assert.equal(excerpt([[1]]), 'an array');
  assert.equal(excerpt({ a: 1 }), 'an object');
  assert.equal(excerpt(null), 'null');
  assert.equal(excerpt(undefined), 'missing');
  assert.equal(excerpt('😀'.repeat(50)), `"${'😀'.repeat(EXCERPT_CHARS)}…"`); // cut between code points, not inside one
});
