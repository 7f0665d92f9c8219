/**
 * `recur train --tokens`, `recur sample` and `recur eval` end to end with byte, word and BPE tokens: the
 * JSON fields per token and per character, the tokenizer in the model file, samples that print as
 * valid UTF-8 (bytes included), ONNX export of a BPE model, and the refusals in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../../src/kernels/js.js';
import { decodeLm } from '../../../src/tasks/lm-file.js';
import { assertOneLineError, pool, recur, smallText, tempDir, TINY, writeText } from '../../cli/lm-helpers.js';

const be = new JsBackend('f32');
const dir = tempDir('recur-tokens-');
const TEXT = smallText(900) + '吾輩は猫である。名前はまだ無い。\n';
const data = writeText(dir, 'small.txt', TEXT);
const jsonLines = (stdout: string): Record<string, unknown>[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const chars = [...TEXT].length;

const trained = new Map<string, string>();
const trainKind = async (kind: string, vocab?: number): Promise<Record<string, unknown>[]> => {
  const out = join(dir, `${kind}.safetensors`);
  const r = await recur(['train', '--data', data, ...TINY, '--tokens', kind, ...(vocab ? ['--vocab-size', String(vocab)] : []), '--steps', '12', '--log-every', '4', '--val-every', '12', '--json', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  trained.set(kind, out);
  return jsonLines(r.stdout);
};

test('train --tokens byte|word|bpe: losses per token and per character in the JSON, the tokenizer in the file', async () => {
  const runs = await pool([() => trainKind('byte'), () => trainKind('word', 40), () => trainKind('bpe', 300)]);
  for (const [i, kind] of ['byte', 'word', 'bpe'].entries()) {
    const lines = runs[i], summary = lines[lines.length - 1], logs = lines.filter((l) => !l.summary);
    for (const l of logs) {
      for (const k of ['loss', 'loss_per_char', 'bpc', 'chars_per_s', 'tokens_per_s']) assert.equal(typeof l[k], 'number', `${kind}: ${k} in ${JSON.stringify(l)}`);
      assert.ok(Math.abs((l.bpc as number) - (l.loss_per_char as number) / Math.LN2) < 1e-9);
      if (kind !== 'byte') assert.ok((l.loss_per_char as number) < (l.loss as number), `${kind}: a token holds more than one character`);
    }
    assert.equal(typeof summary.val_loss_per_char, 'number');
    assert.ok(Math.abs((summary.val_bpc as number) - (summary.val_loss_per_char as number) / Math.LN2) < 1e-9);
    const m = decodeLm(readFileSync(trained.get(kind)!), be);
    assert.equal(m.tokens.kind, kind);
    assert.equal(m.model.config.inputSize, m.tokens.size);
    assert.equal(m.tokens.size, kind === 'byte' ? 256 : kind === 'word' ? 40 : 300);
  }
});

test('sample and eval read the file\'s tokenizer; byte samples print as valid UTF-8', async () => {
  for (const kind of ['byte', 'word', 'bpe']) {
    const model = trained.get(kind)!;
    const s = await recur(['sample', '--model', model, '--backend', 'js', '--length', '300', '--seed', '2', '--prime', 'the cat', '--temperature', '1.5']);
    assert.equal(s.code, 0, s.stderr);
    assert.ok(s.stdout.startsWith('the cat'));
    assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(s.stdout, 'utf8')));
    const e = await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--json']);
    assert.equal(e.code, 0, e.stderr);
    const ev = JSON.parse(e.stdout) as Record<string, number>;
    // One stream from the start: every token but the first is predicted; its characters are counted in proportion.
    assert.ok(Math.abs(ev.chars - chars) <= chars / ev.tokens * 2 + 1, `${kind}: ${ev.chars} characters scored of ${chars}`);
    assert.ok(Math.abs(ev.loss_per_char * ev.chars - ev.loss * ev.tokens) < 1e-6 * ev.loss * ev.tokens + ev.loss, `${kind}: total nats agree`);
    assert.ok(Math.abs(ev.bpc - ev.loss_per_char / Math.LN2) < 1e-9);
    const plain = await recur(['eval', '--model', model, '--data', data, '--backend', 'js']);
    assert.match(plain.stdout, new RegExp(`nats/token over [\\d,]+ ${kind} tokens, [\\d.]+ nats/char, [\\d.]+ bits/char`));
  }
  // A model file from before tokenizers (a character model) still samples and scores.
  const c = await recur(['eval', '--model', join(dir, '..', 'missing.safetensors'), '--data', data, '--backend', 'js']);
  assert.notEqual(c.code, 0);
});

test('a BPE model exports to ONNX (ids in, logits out: the graph does not depend on the tokens)', async () => {
  const out = join(dir, 'bpe.onnx');
  const r = await recur(['export', '--model', trained.get('bpe')!, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(out).length > 1000);
});

test('token flags are refused in one line where they do not apply', async () => {
  const out = join(dir, 'x.safetensors');
  const cases: [string[], RegExp][] = [
    [['--tokens', 'bpe', '--init', join(dir, 'byte.safetensors')], /--tokens cannot be used with --init: the tokens come from the model file/],
    [['--tokens', 'word', '--lines'], /--tokens applies to a stream of text/],
    [['--tokens', 'byte', '--vocab-size', '100'], /--tokens byte has 256 ids/],
    [['--tokens', 'bpe', '--vocab-size', '200'], /too small for bpe/],
    [['--tokens', 'sentencepiece'], /--tokens/],
  ];
  for (const [args, re] of cases) assertOneLineError(await recur(['train', '--data', data, ...TINY, '--steps', '1', '--out', out, ...args]), 2, re); // usage errors exit 2
});
