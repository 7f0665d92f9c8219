/**
 * Shared by the bad-input tests: a good model file to protect, and the checks every refusal must pass
 * (non-zero exit, exactly one line on stderr naming the problem, no stack trace, the model untouched).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, LmJob } from '../../src/tasks/lm.js';
import { pool, recur, smallText, type RunResult } from './lm-helpers.js';

/** Train a tiny model in process (no child process needed) and write it to `dir/victim.safetensors`. */
export async function writeVictim(dir: string): Promise<string> {
  const job = new LmJob({
    data: { mode: 'stream', text: smallText(200), source: 'test' }, backend: new JsBackend('f32'),
    arch: { ...DEFAULT_ARCH, hidden: 6, embed: 4 }, settings: { ...DEFAULT_SETTINGS, batch: 2, seq: 8, steps: 2, time: null },
  });
  const path = join(dir, 'victim.safetensors');
  await job.run({ onSave: (b) => writeFileSync(path, b) }, { log: { steps: 100 }, val: null, save: null, sample: null, spectrum: null, sampleLength: 0, finalSampleLength: 0, temperature: 1 });
  return path;
}

export interface BadCase { name: string; args: string[]; input?: string; error: RegExp; code?: number }

export function assertRefusal(c: BadCase, r: RunResult): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.notEqual(r.code, 0, `${c.name}: must fail (stderr: ${r.stderr})`);
  if (c.code !== undefined) assert.equal(r.code, c.code, `${c.name}: exit code`);
  assert.equal(lines.length, 1, `${c.name}: exactly one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^recur: /, c.name);
  assert.match(lines[0], c.error, c.name);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${c.name}: no stack trace`);
}

/** Run every case (two at a time) and check each refusal and that the victim file is byte-identical. */
export async function runBadCases(cases: BadCase[], victim: string): Promise<void> {
  const before = readFileSync(victim);
  const results = await pool(cases.map((c) => () => recur(c.args, { input: c.input, timeoutMs: 60_000 })));
  cases.forEach((c, i) => assertRefusal(c, results[i]));
  assert.ok(readFileSync(victim).equals(before), 'the existing model file is unchanged');
}
