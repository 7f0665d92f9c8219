/**
 * Test helpers: run a recur Model and its exported graph (onnxruntime-node) on the same inputs and
 * initial state, and compare outputs and final states.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Model } from '../../src/nn/model.js';
import { outputName } from '../../src/onnx/interface.js';
import { Rng } from '../../src/util/rng.js';

export interface Case { T: number; B: number; lengths?: number[] }

export interface Run { out: Float32Array; h: Float32Array; c: Float32Array | null; o: Float32Array | null }

/** Random inputs and initial state for a model: tokens or values, h0 (per layer·direction, K blocks each), c0, o0. */
export function inputsFor(model: Model, cs: Case, seed = 7) {
  const c = model.config, rng = new Rng(seed), n = cs.T * cs.B;
  const tokens = Int32Array.from({ length: n }, () => Math.floor(rng.uniform(0, 1) * c.inputSize));
  const values = Float32Array.from({ length: n * c.inputSize }, () => rng.normal());
  const st = model.newState(cs.B);
  for (const b of [...st.h, ...st.c, ...(st.fb ? [st.fb] : [])]) for (let i = 0; i < b.length; i++) b[i] = 0.5 * rng.normal();
  if (st.fb) for (let b = 0; b < cs.B; b++) { // a probability vector, as recur feeds back
    const row = Array.from(st.fb.subarray(b * c.outputSize, (b + 1) * c.outputSize), Math.abs), s = row.reduce((a, v) => a + v, 0);
    row.forEach((v, i) => (st.fb![b * c.outputSize + i] = v / s));
  }
  st.fresh.fill(0);
  return { tokens, values, st };
}

const cat = (bufs: ArrayLike<number>[]): Float32Array => {
  const out = new Float32Array(bufs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of bufs) { out.set(b, o); o += b.length; }
  return out;
};

export function runRecur(model: Model, cs: Case, seed = 7): Run {
  const { tokens, values, st } = inputsFor(model, cs, seed), c = model.config;
  model.forward({ T: cs.T, B: cs.B, ...(c.inputKind === 'tokens' ? { tokens } : { inputs: values }),
    ...(cs.lengths ? { lengths: Int32Array.from(cs.lengths) } : {}) }, st);
  const rows = c.outputMode === 'every' ? cs.T * cs.B : cs.B;
  return { out: Float32Array.from(model.logits.subarray(0, rows * c.outputSize)), h: cat(st.h), c: st.c.length ? cat(st.c) : null, o: st.fb ? Float32Array.from(st.fb) : null };
}

export async function runOnnx(bytes: Uint8Array, model: Model, cs: Case, seed = 7): Promise<Run> {
  const c = model.config, H = c.hidden;
  // The initial state, before forward overwrites it.
  const { tokens, values, st } = inputsFor(model, cs, seed);
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  const names = session.inputNames;
  if (names.includes('tokens')) feeds.tokens = new ort.Tensor('int64', BigInt64Array.from([...tokens].map(BigInt)), [cs.T, cs.B]);
  if (names.includes('inputs')) feeds.inputs = new ort.Tensor('float32', values, [cs.T, cs.B, c.inputSize]);
  if (names.includes('lengths')) feeds.lengths = new ort.Tensor('int32', Int32Array.from(cs.lengths ?? Array(cs.B).fill(cs.T)), [cs.B]);
  const K = st.h[0].length / (cs.B * H);
  feeds.h0 = new ort.Tensor('float32', cat(st.h), K === 1 ? [st.h.length, cs.B, H] : [st.h.length, K, cs.B, H]);
  if (names.includes('c0')) feeds.c0 = new ort.Tensor('float32', cat(st.c), [st.c.length, cs.B, H]);
  if (names.includes('o0')) feeds.o0 = new ort.Tensor('float32', Float32Array.from(st.fb!), [cs.B, c.outputSize]);
  const r = await session.run(feeds);
  await session.release();
  const f = (k: string): Float32Array | null => (r[k] ? (r[k].data as Float32Array) : null);
  return { out: f(outputName(c))!, h: f('hn')!, c: f('cn'), o: f('on') };
}

/** Largest |a − b| over the entries `use` keeps. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, use: (i: number) => boolean = () => true): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) if (use(i)) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Outputs (valid steps only: ONNX zeroes padded steps, recur holds the state there) and final states agree within float32 rounding. */
export function assertAgree(model: Model, cs: Case, a: Run, b: Run, tol = 2e-5, what = ''): void {
  const c = model.config, O = c.outputSize;
  const valid = (i: number): boolean => {
    if (c.outputMode === 'last' || !cs.lengths) return true;
    const row = Math.floor(i / O), t = Math.floor(row / cs.B), bb = row % cs.B;
    return t < cs.lengths[bb];
  };
  const scale = Math.max(1, ...Array.from(a.out, Math.abs));
  assert.ok(maxDiff(a.out, b.out, valid) <= tol * scale, `${what}: outputs differ by ${maxDiff(a.out, b.out, valid)}`);
  assert.ok(maxDiff(a.h, b.h) <= tol, `${what}: final h differs by ${maxDiff(a.h, b.h)}`);
  if (a.c || b.c) assert.ok(maxDiff(a.c!, b.c!) <= tol, `${what}: final c differs by ${maxDiff(a.c!, b.c!)}`);
  if (a.o || b.o) assert.ok(maxDiff(a.o!, b.o!) <= tol, `${what}: final feedback differs by ${maxDiff(a.o!, b.o!)}`);
}
