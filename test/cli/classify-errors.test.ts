/**
 * `recur classify` and `recur predict` on bad input: one line on stderr naming the file and line, a
 * non-zero exit (2 for usage errors, before any training), and nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recur, assertOneLineError, type RunResult } from './lm-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-classify-errors-'));
const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };

const data = file('ok.jsonl', '{"text": "a b", "label": "x"}\n{"text": "c d", "label": "y"}\n'.repeat(10));
const common = ['--backend', 'js', '--hidden', '4', '--embed', '4', '--min-count', '1'];

test('bad data: one line naming the line, exit 1, no model written', async () => {
  const out = join(dir, 'never.safetensors');
  // (Every parser message is tested with the parser; these check the command's handling of them.)
  const cases: [string, RegExp][] = [
    ['{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n{"text": "c", "label": \n', /line 3: malformed JSON/],
    ['{"text": "a", "label": "x"}\n{"text": "b"}\n', /line 2: missing "label"/],
    ['{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n\n{"text": "  ", "label": "y"}\n', /line 4: empty "text"/],
    ['{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n', /need at least two classes, found 1 \(x\)/],
  ];
  for (const [text, pattern] of cases) {
    const r = await recur(['classify', '--data', file('bad.jsonl', text), '--epochs', '1', '--out', out, ...common]);
    assertOneLineError(r, 1, pattern);
    assert.match(r.stderr, /bad\.jsonl: /);
    assert.ok(!existsSync(out), 'nothing written');
  }
});

test('bad flags and files: usage errors before any training', async () => {
  assertOneLineError(await recur(['classify', '--data', data, '--dataset', 'spam-assassin', ...common]), 2, /--dataset or --data, not both/);
  assertOneLineError(await recur(['classify', '--data', data, '--model', 'bow', '--bidirectional', ...common]), 2, /--bidirectional applies to recurrent models/);
  assertOneLineError(await recur(['classify', '--data', data, '--out', join(dir, 'no/such/dir/m.safetensors'), ...common]), 2, /does not exist/);
  assertOneLineError(await recur(['predict', '--model', 'm.safetensors', '--backend', 'js']), 2, /give a text to label or --data FILE/);
  assertOneLineError(await recur(['predict', '--model', join(dir, 'missing.safetensors'), 'x', '--backend', 'js']), 1, /cannot read model file .*missing\.safetensors: no such file/);
  const notModel = file('junk.safetensors', 'not a model');
  assertOneLineError(await recur(['predict', '--model', notModel, 'x', '--backend', 'js']), 1, /junk\.safetensors: /);
  assertOneLineError(await recur(['predict', '--model', notModel, '--data', file('p.jsonl', '{"text": "a"}\n{"label": "b"}\n'), '--backend', 'js']), 1, /p\.jsonl: line 2: missing "text"/);
});
