/**
 * Seeded fuzzing of the language-model file reader and of resuming from it: thousands of files with
 * flipped bytes, truncations and mutated metadata (the training state that --resume trusts). Each one
 * either loads (and resumes, or is refused) or is refused with a one-line ModelFileError or Error;
 * never a TypeError or RangeError, a hang or a large allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, LmJob, type LmCadence, type LmData } from '../../src/tasks/lm.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f32');
const ITERATIONS = 3000;
const QUIET: LmCadence = { log: { steps: 1000 }, val: null, save: null, sample: null, spectrum: null, sampleLength: 0, finalSampleLength: 0, temperature: 1 };
const TEXT = 'she sells sea shells by the sea shore. '.repeat(6);
const DATA: LmData = { mode: 'stream', text: TEXT, source: 'fuzz' };

async function baseFile(): Promise<Uint8Array> {
  let bytes: Uint8Array | null = null;
  const job = new LmJob({
    data: DATA, backend: be, arch: { ...DEFAULT_ARCH, hidden: 3, cell: 'lstm' },
    settings: { ...DEFAULT_SETTINGS, batch: 2, seq: 8, steps: 2, time: null, valChars: 0 },
  });
  await job.run({ onSave: (b) => { bytes = b; } }, QUIET);
  return bytes!;
}

/** Split a safetensors file into its header object and data, and join them back with a correct length. */
function splitFile(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}
function joinFile(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const JUNK: unknown[] = [null, true, -1, 0, 1, 2 ** 31, 2 ** 53, 1e308, -1e308, 0.5, '', 'x', 'lines', 'stream', [], [1, 2], {}, { epoch: 0, offset: 0 }, 'AAAA'];

/** Replace one random leaf (or subtree) of a JSON value. */
function mutateJson(v: unknown, rng: Rng, depth = 0): unknown {
  if (depth > 0 && rng.next() < 0.25) return JUNK[rng.int(JUNK.length)];
  if (Array.isArray(v) && v.length > 0) { const c = [...v]; const i = rng.int(c.length); c[i] = mutateJson(c[i], rng, depth + 1); return c; }
  if (v && typeof v === 'object') {
    const c = { ...(v as Record<string, unknown>) }, keys = Object.keys(c);
    if (keys.length === 0) return c;
    const k = keys[rng.int(keys.length)];
    if (rng.next() < 0.1) delete c[k];
    else c[k] = mutateJson(c[k], rng, depth + 1);
    return c;
  }
  return JUNK[rng.int(JUNK.length)];
}

function mutate(base: Uint8Array, rng: Rng): Uint8Array {
  const kind = rng.int(4);
  if (kind === 0) { // flip bytes anywhere
    const b = Uint8Array.from(base);
    for (let k = 1 + rng.int(4); k > 0; k--) b[rng.int(b.length)] ^= 1 << rng.int(8);
    return b;
  }
  if (kind === 1) return base.subarray(0, rng.int(base.length)); // truncate
  const { header, data } = splitFile(base);
  const meta = { ...(header.__metadata__ as Record<string, string>) };
  const keys = kind === 2 ? ['training'] : ['config', 'vocab', 'task', 'training', 'format', 'version'];
  const key = keys[rng.int(keys.length)];
  try {
    meta[key] = JSON.stringify(mutateJson(JSON.parse(meta[key]), rng));
  } catch {
    meta[key] = JSON.stringify(JUNK[rng.int(JUNK.length)]);
  }
  return joinFile({ ...header, __metadata__: meta }, data);
}

test(`fuzz: ${ITERATIONS} mutated language-model files load, resume or are refused cleanly`, async () => {
  const base = await baseFile();
  const rng = new Rng(0x1f2e3d);
  const outcomes = { refused: 0, loaded: 0, resumed: 0, resumeRefused: 0 };
  const clean = (e: unknown, i: number): void => {
    assert.ok(e instanceof Error, `iteration ${i}: threw a non-Error`);
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError), `iteration ${i}: ${e.constructor.name}: ${e.message}`);
    assert.ok(e.message.length > 0 && !e.message.includes('\n'), `iteration ${i}: message must be one line: ${e.message}`);
  };
  const t0 = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    const bytes = mutate(base, rng);
    const ti = performance.now();
    let loaded;
    try { loaded = decodeLm(bytes, be); outcomes.loaded++; } catch (e) { clean(e, i); outcomes.refused++; continue; }
    try {
      const job = new LmJob({ data: DATA, backend: be, settings: DEFAULT_SETTINGS, resume: loaded, budget: { steps: loaded.checkpoint.training && typeof loaded.checkpoint.training.step === 'number' ? Math.min(1e6, (loaded.checkpoint.training.step as number) + 1) : 1, time: null } });
      // A resumable file must also train a step without crashing.
      job.trainStep();
      outcomes.resumed++;
    } catch (e) { clean(e, i); outcomes.resumeRefused++; }
    assert.ok(performance.now() - ti < 2000, `iteration ${i} took too long`);
  }
  assert.ok(outcomes.refused > ITERATIONS / 4 && outcomes.resumeRefused > 100 && outcomes.resumed > 10, JSON.stringify(outcomes));
  assert.ok(performance.now() - t0 < 60_000);
});
