/**
 * Mutated model files of every kind through the commands that read them. A few hundred go through
 * the commands' own loading and first work in this process (fast); a few dozen through real `recur`
 * child processes with a memory cap and a time limit. Whatever the bytes: no hang, bounded memory,
 * and either a normal result or one line on stderr (`recur: ...`, short, no stack trace) with a
 * non-zero status; mutations that break the file's structure must be refused.
 *
 * A new kind of model file is one entry in KINDS: its bytes, and the commands that read it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { analyzeMatrix } from '../../src/analysis/spectrum.js';
import { CONFIG_LIMITS } from '../../src/io/config-limits.js';
import { decodeModel } from '../../src/io/model-file.js';
import { readModelFile } from '../../src/cli/lm-io.js';
import { TextClassifier } from '../../src/tasks/classify.js';
import { recurrentBlock } from '../../src/tasks/lab.js';
import { evaluateStream } from '../../src/tasks/lm-eval.js';
import { generate, Sampler } from '../../src/tasks/sample.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { Rng } from '../../src/util/rng.js';
import { decodeSeq2Seq, encodeSeq2Seq } from '../../src/io/seq2seq-file.js';
import { greedy } from '../../src/nn/seq2seq/decode.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { headerText, legacyPath, nested, withConfig, withHeaderText, withMetadata } from '../io/model-bytes.js';
import { prng } from '../io/prng.js';
import { pool, ROOT, tempDir } from './lm-helpers.js';

const dir = tempDir('recur-model-fuzz-');
const TEXT = join(dir, 'text.txt');
writeFileSync(TEXT, readFileSync(legacyPath('text.txt'), 'utf8').slice(0, 400));

interface ModelKind {
  name: string;
  /** A valid file of this kind. */
  bytes: Uint8Array;
  /** The `recur` commands that read such a file (given its path). */
  commands: (model: string) => string[][];
  /** What those commands do first, in this process: load the file and use the model a little. */
  use: (bytes: Uint8Array) => void;
}

const be = new JsBackend('f32');
const path = (kind: string): string => join(dir, `${kind}.safetensors`);
/** lab spectrum's own steps: any recur model file, its layer-0 recurrent block analysed. */
const spectrum = (bytes: Uint8Array): void => {
  const { model } = readModelFile(path('x'), () => decodeModel(bytes, be));
  const block = recurrentBlock(model);
  analyzeMatrix(block.W, block.H, { T: 5, rng: new Rng(1) });
};
const spectrumCommand = (m: string): string[] => ['lab', 'spectrum', '--backend', 'js', '--model', m];

const KINDS: ModelKind[] = [
  {
    name: 'char-LM', bytes: new Uint8Array(readFileSync(legacyPath('lstm.safetensors'))),
    commands: (m) => [['sample', '--backend', 'js', '--model', m, '--length', '30'], ['eval', '--backend', 'js', '--model', m, '--data', TEXT], spectrumCommand(m)],
    use: (bytes) => {
      const { model, tokens: vocab } = readModelFile(path('x'), () => decodeLm(bytes, be));
      generate(new Sampler(model, vocab, new Rng(1), { checkOverflow: true }), { length: 30 });
      evaluateStream(model, vocab.encode(readFileSync(TEXT, 'utf8')), { checkOverflow: true });
      spectrum(bytes);
    },
  },
  {
    name: 'classifier', bytes: new Uint8Array(readFileSync(legacyPath('classifier.safetensors'))),
    commands: (m) => [['predict', '--backend', 'js', '--model', m, 'free cash now', 'meeting notes'], spectrumCommand(m)],
    use: (bytes) => { readModelFile(path('x'), () => TextClassifier.fromBytes(bytes, be)).predict(['free cash now', 'meeting notes']); spectrum(bytes); },
  },
  {
    name: 'forecaster', bytes: new Uint8Array(readFileSync(legacyPath('forecaster.safetensors'))),
    commands: (m) => [spectrumCommand(m)],
    use: spectrum,
  },
  {
    // the seq2seq commands join `commands` where they exist; `sample` must refuse the kind with one line
    name: 'seq2seq', bytes: encodeSeq2Seq(new Seq2Seq({ src_vocab: 6, tgt_vocab: 6, embed: 4, hidden: 5, layers: 2, bidirectional: true }, be).init(new Rng(1)),
      ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'b'], ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'b']),
    commands: (m) => [['sample', '--backend', 'js', '--model', m, '--length', '30']],
    use: (bytes) => { greedy(decodeSeq2Seq(bytes, be).model, Int32Array.of(4, 5, 4), Int32Array.of(3), 1, 3, 6); },
  },
];

// ------------------------------------------------------------------------------------ mutations

type Rand = ReturnType<typeof prng>;

const HUGE = [1e9, 2 ** 31, 2 ** 53, 1e300, 4294967297];
const WRONG = ['"12"', '[1]', '{}', 'true', '-1', '0.5', 'null'];

/** Mutations that break the structure: the file must be refused. */
const BREAKING: Record<string, (b: Uint8Array, r: Rand) => Uint8Array> = {
  truncate: (b, r) => b.slice(0, r.int(b.length)),
  hugeSize: (b, r) => withConfig(b, (c) => { c[r.pick(Object.keys(CONFIG_LIMITS).filter((k) => k in c))] = r.pick(HUGE); }),
  deepVocab: (b) => withMetadata(b, (m) => { m.vocab = nested(20 + 1000); }),
  deepConfig: (b, r) => withMetadata(b, (m) => { m.config = m.config.replace(/^\{/, `{"deep":${nested(17 + r.int(1e5))},`); }),
  deepTask: (b) => withMetadata(b, (m) => { m.task = `{"type":${nested(50000)}}`; }),
  deepDtype: (b, r) => withHeaderText(b, headerText(b).replace('"dtype":"F32"', `"dtype":${nested(5 + r.int(1e5))}`)),
  wrongType: (b, r) => withMetadata(b, (m) => { m.config = m.config.replace(/"(hidden|layers|inputSize|outputSize)":\d+/, (_, k: string) => `"${k}":${r.pick(WRONG)}`); }),
  duplicateKey: (b) => withMetadata(b, (m) => { m.config = m.config.replace(/"hidden":(\d+)/, '"hidden":$1,"hidden":$1'); }),
  duplicateTensor: (b) => { const t = headerText(b); const e = /"(?!__metadata__)[^"]+":\{[^}]*\}/.exec(t)![0]; return withHeaderText(b, t.replace(e, `${e},${e}`)); },
  headerLength: (b, r) => { const c = b.slice(); new DataView(c.buffer).setBigUint64(0, r.pick([2n ** 63n, 2n ** 40n, BigInt(b.length)]), true); return c; },
};
/** Mutations that may leave a valid file: refused or used, either is fine. */
const ANY: Record<string, (b: Uint8Array, r: Rand) => Uint8Array> = {
  bitFlip: (b, r) => { const c = b.slice(); for (let k = 0, n = 1 + r.int(4); k < n; k++) { const i = r.int(c.length); c[i] ^= 1 << r.int(8); } return c; },
  headerByte: (b, r) => { const c = b.slice(); c[8 + r.int(headerText(b).length)] = r.pick([0x22, 0x7b, 0x5d, 0x30, 0x39, 0x2d, 0x65, 0x00, 0xff]); return c; },
  bigWeights: (b, r) => { const c = b.slice(); const v = new DataView(c.buffer); const start = 8 + headerText(b).length; for (let i = start; i + 4 <= c.length; i += 4 * (1 + r.int(3))) v.setFloat32(i, r.pick([3e38, -3e38, 1e30, 1e20]), true); return c; },
};

function mutate(kind: ModelKind, r: Rand): { bytes: Uint8Array; how: string; mustFail: boolean } {
  const breaking = r.int(2) === 0;
  const table = breaking ? BREAKING : ANY;
  const how = r.pick(Object.keys(table));
  return { bytes: table[how](kind.bytes, r), how, mustFail: breaking };
}

/** What any refusal must look like. */
function checkMessage(message: string, what: string): void {
  assert.ok(message.length > 0 && message.length <= 400, `${what}: a short message (${message.length} chars): ${message.slice(0, 200)}`);
  assert.ok(!message.includes('\n'), `${what}: one line`);
}

// ------------------------------------------------------------------------------------ in process

const IN_PROCESS = 300;

test(`${IN_PROCESS} mutated model files through the commands' loading and first steps, in one process`, () => {
  const r = prng(0x14);
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let refused = 0;
  for (let i = 0; i < IN_PROCESS; i++) {
    const kind = KINDS[i % KINDS.length];
    const m = mutate(kind, r);
    const what = `#${i} ${kind.name} ${m.how}`;
    const start = performance.now();
    try {
      kind.use(m.bytes);
      assert.ok(!m.mustFail, `${what}: a structurally broken file was accepted`);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      // A program error (TypeError, RangeError: stack or allocation) is a bug whatever the file.
      assert.ok(e instanceof Error && !['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'].includes(e.constructor.name), `${what}: ${String(e)}`);
      checkMessage(e.message, what);
      refused++;
    }
    assert.ok(performance.now() - start < 5000, `${what}: took ${performance.now() - start} ms`);
  }
  assert.ok(refused > IN_PROCESS / 2, `most mutations are refused (${refused})`);
  assert.ok(process.memoryUsage().rss - rssBefore < 512 * 1024 ** 2, 'memory stays bounded');
  assert.ok(performance.now() - t0 < 60_000);
});

// ------------------------------------------------------------------------------------ child processes

const CHILD_RUNS = 12;
/** A child's resident memory may not pass this (node + tsx take about 150 MB). */
const RSS_CAP = 600 * 1024 ** 2;
const MAIN = join(ROOT, 'src/cli/main.ts');

interface ChildResult { code: number | null; stderr: string; peakRss: number; killedFor: string | null }

/** Run `recur` with a heap cap, watching its resident memory; killed past RSS_CAP or after 90 s (a hang; a refusal takes about 2 s of CPU, but a loaded 2-core machine stretches that several times). */
function runCapped(args: string[]): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', MAIN, ...args], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RECUR_DEBUG: '', FORCE_COLOR: '0' },
  });
  let stderr = '', peakRss = 0, killedFor: string | null = null;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const kill = (why: string): void => { killedFor ??= why; child.kill('SIGKILL'); };
  const watch = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakRss = Math.max(peakRss, Number(m[1]) * 1024);
    } catch { /* exited, or no /proc: the heap cap still holds */ }
    if (peakRss > RSS_CAP) kill(`resident memory ${peakRss} bytes`);
  }, 20);
  const timer = setTimeout(() => kill('no exit within 90 s'), 90_000);
  return new Promise((ok) => child.on('close', (code) => { clearInterval(watch); clearTimeout(timer); ok({ code, stderr, peakRss, killedFor }); }));
}

test(`${CHILD_RUNS} mutated model files through real recur commands, with a memory cap and a time limit`, async () => {
  const r = prng(0x1414);
  const jobs: { what: string; mustFail: boolean; args: string[] }[] = [];
  for (let i = 0; i < CHILD_RUNS; i++) {
    const kind = KINDS[i % KINDS.length];
    // Every kind gets the issue's own file first (layers 1e9), then random mutations.
    const m = i < KINDS.length ? { bytes: withConfig(kind.bytes, (c) => { c.layers = 1e9; }), how: 'layers 1e9', mustFail: true } : mutate(kind, r);
    const file = join(dir, `m${i}.safetensors`);
    writeFileSync(file, m.bytes);
    const commands = kind.commands(file);
    jobs.push({ what: `#${i} ${kind.name} ${m.how}`, mustFail: m.mustFail, args: commands[i % commands.length] });
  }
  const results = await pool(jobs.map((j) => () => runCapped(j.args)));
  results.forEach((res, i) => {
    const { what, mustFail, args } = jobs[i];
    const label = `${what} (recur ${args.slice(0, 2).join(' ')})`;
    assert.equal(res.killedFor, null, `${label}: killed for ${res.killedFor}`);
    if (mustFail) assert.notEqual(res.code, 0, `${label}: must be refused`);
    if (res.code === 0) return;
    const lines = res.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `${label}: one line on stderr, got:\n${res.stderr.slice(0, 2000)}`);
    assert.match(lines[0], /^recur: /, label);
    assert.doesNotMatch(res.stderr, /\n\s+at |Maximum call stack|heap out of memory/, label);
    checkMessage(lines[0], label);
  });
  const peak = Math.max(...results.map((x) => x.peakRss));
  assert.ok(peak < RSS_CAP, `peak resident memory ${peak}`);
});
