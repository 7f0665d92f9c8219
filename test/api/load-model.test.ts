/**
 * The one-call API in Node: loadModel from a path, a file URL, bytes or a Blob, on the native kernels
 * when they are built; generate and stream agree for a seed; streams stop when left or aborted; score;
 * continued training lowers the loss on the new text; save() round-trips; bad input is one sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JsBackend } from '../../src/kernels/js.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, LmJob } from '../../src/tasks/lm.js';
import { loadModel } from '../../src/node/library.js';

const TEXT = 'the quick brown fox jumps over the lazy dog.\n'.repeat(40);
const NATIVE = existsSync(new URL('../../build/Release/recur_native.node', import.meta.url));

/** A small LSTM trained for a few steps, as its model file. */
function trainedFile(): Uint8Array {
  const job = new LmJob({
    data: { mode: 'stream', text: TEXT, source: 'test' }, backend: new JsBackend('f32'),
    arch: { ...DEFAULT_ARCH, hidden: 24, embed: 8 },
    settings: { ...DEFAULT_SETTINGS, batch: 4, seq: 16, lr: 1e-2, steps: 30, time: null, seed: 3, valFraction: 0 },
  });
  while (!job.done) job.trainStep();
  return job.encode();
}

const bytes = trainedFile();

test('loadModel reads a path, a file URL, bytes and a Blob; auto picks the native kernels when built', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-api-'));
  try {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, bytes);
    const fromPath = await loadModel(path);
    assert.equal(fromPath.backend, NATIVE ? 'native' : 'wasm');
    const text = await fromPath.generate({ seed: 5, length: 80 });
    await fromPath.dispose();
    for (const src of [pathToFileURL(path), pathToFileURL(path).href, bytes, bytes.slice().buffer, new Blob([bytes.slice()])]) {
      const m = await loadModel(src, { backend: 'js' });
      assert.equal(m.backend, 'js');
      assert.equal(m.mode, 'stream');
      assert.equal(m.tokens.size, new Set(TEXT).size);
      // float32 on every backend: the same draws give the same text unless a probability sits on a rounding edge
      assert.equal((await m.generate({ seed: 5, length: 80 })).length, text.length);
    }
    await assert.rejects(loadModel(join(dir, 'missing.safetensors')), /missing\.safetensors/);
    await assert.rejects(loadModel(new Uint8Array([1, 2, 3]), { backend: 'js' }), (e: Error) => !e.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generate and stream give the same text for a seed; a prime is continued, not repeated', async () => {
  const m = await loadModel(bytes, { backend: 'js' });
  const opts = { prime: 'the ', length: 120, temperature: 0.8, topK: 5, seed: 11 };
  const text = await m.generate(opts);
  assert.equal(text.length, 120);
  let streamed = '';
  for await (const ch of m.stream(opts)) streamed += ch;
  assert.equal(streamed, text);
  // without a prime the model starts from its newline (it knows one), not from a random character
  let fromNewline = '';
  for await (const ch of m.stream({ length: 50, seed: 2 })) fromNewline += ch;
  assert.equal(fromNewline, await m.generate({ length: 50, seed: 2 }));
  assert.notEqual(await m.generate({ length: 50, seed: 1 }), await m.generate({ length: 50, seed: 3 }));
  await assert.rejects(m.generate({ prime: 'Zebra' }), /"Z".*not in the vocabulary/);
});

test('a stream stops when the loop is left or its signal aborts', async () => {
  const m = await loadModel(bytes, { backend: 'js' });
  let n = 0;
  for await (const _ of m.stream({ length: 1000, seed: 1 })) if (++n === 7) break;
  assert.equal(n, 7);
  const ctl = new AbortController();
  let k = 0;
  for await (const _ of m.stream({ length: 1000, seed: 1, signal: ctl.signal })) if (++k === 12) ctl.abort();
  assert.equal(k, 12);
});

test('score is the loss per character; training on new text lowers it there, and save() round-trips', async () => {
  const m = await loadModel(bytes, { backend: 'js' });
  const uniform = Math.log(m.tokens.size);
  const before = m.score(TEXT.slice(0, 400));
  assert.ok(before > 0 && before < uniform, `trained model scores ${before}, uniform guess ${uniform}`);
  assert.throws(() => m.score('QQ'), /not in the vocabulary/);
  const fresh = 'a lazy dog jumps over the brown fox.\n'.repeat(30);
  const s0 = m.score(fresh);
  const losses: number[] = [];
  const r = await m.train(fresh, { steps: 40, lr: 1e-2, onStep: (_, loss) => losses.push(loss) });
  assert.equal(r.steps, 40);
  assert.equal(losses.length, 40);
  assert.ok(m.score(fresh) < s0 - 0.2, `loss on the new text ${s0} → ${m.score(fresh)}`);
  const again = await loadModel(m.save(), { backend: 'js' });
  assert.equal(again.score(fresh), m.score(fresh));
  assert.equal(await again.generate({ seed: 4, length: 60 }), await m.generate({ seed: 4, length: 60 }));
  await assert.rejects(m.train('Zzz'.repeat(50)), /character the model does not know/);
  const ctl = new AbortController();
  const stopped = await m.train(fresh, { steps: 1000, signal: ctl.signal, onStep: (s) => { if (s === 3) ctl.abort(); } });
  assert.equal(stopped.steps, 3);
});

test('score with dynamic evaluation: better than static on a text that repeats itself, the model unchanged, options taken', async () => {
  const m = await loadModel(bytes, { backend: 'js' });
  const text = 'a lazy dog jumps over the brown fox.\n'.repeat(12);
  const stat = m.score(text), saved = m.save();
  const dyn = m.score(text, { dynamic: true });
  assert.ok(dyn < stat - 0.02, `dynamic ${dyn} vs static ${stat}`);
  const strong = m.score(text, { dynamic: { lr: 3e-3 } });
  assert.ok(strong < dyn - 0.1, `a larger rate adapts more on this text: ${strong} vs ${dyn}`);
  assert.deepEqual(m.save(), saved, 'the model is not changed');
  assert.equal(m.score(text), stat);
  // an object replaces some of the defaults: no step and no decay is static evaluation at the segment length
  assert.ok(Math.abs(m.score(text, { dynamic: { lr: 0, decay: 0 } }) - stat) < 1e-6);
  assert.notEqual(m.score(text, { dynamic: { steps: 2 } }), dyn);
  assert.throws(() => m.score(text, { dynamic: { seq: 0 } }), /segment length/);
});
