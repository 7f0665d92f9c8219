/**
 * The blocked softmax head (softmax-blocks.ts): a finite-difference check of its gradients in float64,
 * and the model's training step through it against the whole-logits path on every backend (a block of
 * two rows, so a chunk runs through many blocks and an uneven last one).
 *
 * Which agreement: the loss and dF are the same sums in the same order per row, dW and db are summed a
 * block at a time instead of over all rows at once, so the results agree within float32 rounding (checked
 * at 1e-5 relative in float32, 1e-12 in float64), not bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model } from '../../src/nn/model.js';
import { BlockedSoftmaxHead, softmaxCrossEntropyBlocks, type LinearOperand } from '../../src/nn/softmax-blocks.js';
import { Rng } from '../../src/util/rng.js';
import { backends } from '../helpers/backends.js';
import { checkInputGrads } from '../helpers/fd-check.js';

test('blocked softmax head: gradients match central differences (float64)', () => {
  const be = new JsBackend('f64'), rows = 5, K = 4, V = 6, rng = new Rng(3);
  const F = Float64Array.from({ length: rows * K }, () => rng.normal());
  const W = Float64Array.from({ length: V * K }, () => 0.5 * rng.normal());
  const b = Float64Array.from({ length: V }, () => 0.3 * rng.normal());
  const targets = Int32Array.from([2, -1, 5, 0, 3]);
  const scale = 0.25;
  const lin: LinearOperand = { w: W, wOff: 0, b, bOff: 0 };
  const scratch = { R: 2, z: be.alloc(2 * V), dz: be.alloc(2 * V) };
  const loss = (): number => scale * softmaxCrossEntropyBlocks(be, rows, K, V, F, 0, K, targets, 0, scale, lin, scratch, null);
  const dW = new Float64Array(V * K), db = new Float64Array(V), dF = new Float64Array(rows * K);
  softmaxCrossEntropyBlocks(be, rows, K, V, F, 0, K, targets, 0, scale, lin, scratch, { w: dW, wOff: 0, b: db, bOff: 0, dF, dfOff: 0, lddf: K });
  for (const [name, x, g] of [['W', W, dW], ['b', b, db], ['F', F, dF]] as const) checkInputGrads(x, g, loss, 'loss', name);
  // A row whose target is ignored sends no gradient.
  for (let k = 0; k < K; k++) assert.equal(dF[K + k], 0);
});

test('blocked softmax head: backward before a training forward is an error, not stale gradients', () => {
  const be = new JsBackend('f64'), head = new BlockedSoftmaxHead(be, 2, 3, 6);
  const z = be.alloc(6);
  assert.throws(() => head.backward({ w: z, wOff: 0, b: z, bOff: 0 }, { buf: z, off: 0, ld: 2, beta: 0 }), /training forward/);
});

const CFG: Partial<ModelConfig> = { cell: 'lstm', hidden: 5, layers: 2, inputKind: 'tokens', inputSize: 7, outputSize: 7, head: 'softmax', outputMode: 'every' };

/** One training step's loss, gradients and final state with the head whole or in blocks of two rows. */
function step(be: Backend, cfg: Partial<ModelConfig>, blocked: boolean): { loss: number; grads: Float64Array; h: Float64Array } {
  const m = new Model(cfg, be).init(new Rng(5)), T = 6, B = 3, V = m.config.outputSize, rng = new Rng(9);
  for (const v of m.params.views) if (/bias/.test(v.name)) for (let i = 0; i < v.size; i++) m.params.data[v.offset + i] = 0.3 * rng.normal();
  m.headBlockElems = 2 * V;
  const tokens = Int32Array.from({ length: T * B }, () => rng.int(m.config.inputSize));
  const targets = Int32Array.from({ length: T * B }, (_, i) => (i % 5 === 3 ? -1 : rng.int(V)));
  const st = m.newState(B, new Rng(1));
  const l = m.forward({ T, B, tokens, targets }, st, { train: true, rng: new Rng(2), logits: !blocked })!;
  assert.equal(m.logits.length < T * B * V, blocked, blocked ? 'the head ran in blocks' : 'the logits were kept whole');
  m.zeroGrads();
  m.backward();
  return { loss: l.loss, grads: Float64Array.from(m.grads.data), h: Float64Array.from(st.h.flatMap((x) => Array.from(x))) };
}

function close(a: Float64Array, b: Float64Array, tol: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(a[i])));
  assert.ok(worst <= tol, `${what}: largest relative difference ${worst}`);
}

test('a model through the blocked head equals the whole logits (float64)', () => {
  const be = new JsBackend('f64');
  for (const cfg of [CFG, { ...CFG, bidirectional: true, layers: 1 }, { ...CFG, dropout: 0.3 }, { ...CFG, cell: 'gru', embed: 3 }] as Partial<ModelConfig>[]) {
    const whole = step(be, cfg, false), blocks = step(be, cfg, true);
    assert.ok(Math.abs(whole.loss - blocks.loss) <= 1e-12 * whole.loss, `${JSON.stringify(cfg)}: loss ${whole.loss} vs ${blocks.loss}`);
    close(whole.grads, blocks.grads, 1e-12, `${JSON.stringify(cfg)} gradients`);
    assert.deepEqual(blocks.h, whole.h);
  }
});

for (const { name, make } of backends()) {
  test(`a model through the blocked head equals the whole logits within float32 rounding (${name})`, async () => {
    const be = await make();
    const whole = step(be, CFG, false), blocks = step(be, CFG, true);
    assert.ok(Math.abs(whole.loss - blocks.loss) <= 1e-6 * whole.loss, `loss ${whole.loss} vs ${blocks.loss}`);
    close(whole.grads, blocks.grads, 1e-5, 'gradients');
  });
}

test('the blocked head runs only past one block, and evaluation through it scores the same', () => {
  const be = new JsBackend('f32');
  const m = new Model(CFG, be).init(new Rng(5)), T = 4, B = 2, rng = new Rng(4);
  const tokens = Int32Array.from({ length: T * B }, () => rng.int(7)), targets = Int32Array.from({ length: T * B }, () => rng.int(7));
  const whole = m.forward({ T, B, tokens, targets }, m.newState(B), { train: false })!;
  assert.ok(m.logits.length >= T * B * 7, 'a chunk within one block keeps its logits');
  m.headBlockElems = 7;
  const blocks = m.forward({ T, B, tokens, targets }, m.newState(B), { train: false })!;
  assert.ok(Math.abs(whole.sum - blocks.sum) <= 1e-6 * whole.sum, `${whole.sum} vs ${blocks.sum}`);
  assert.equal(blocks.count, T * B);
});

test('training and scoring at a large vocabulary never allocate the chunk\'s whole logits', () => {
  let largest = 0;
  class Recording extends JsBackend {
    override alloc(n: number): Float32Array { largest = Math.max(largest, n); return super.alloc(n) as Float32Array; }
  }
  const be = new Recording('f32'), V = 5000, T = 32, B = 32, rng = new Rng(6);
  const m = new Model({ cell: 'gru', hidden: 8, embed: 8, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax', outputMode: 'every' }, be).init(new Rng(1));
  const ids = (): Int32Array => Int32Array.from({ length: T * B }, () => rng.int(V));
  const st = m.newState(B);
  const l = m.forward({ T, B, tokens: ids(), targets: ids() }, st, { train: true })!;
  m.zeroGrads();
  m.backward();
  m.forward({ T, B, tokens: ids(), targets: ids() }, st, { train: false });
  assert.ok(Math.abs(l.loss - Math.log(V)) < 0.5, `a fresh model scores about ln V: ${l.loss}`);
  // The largest buffers are the parameters (V·8 twice) and one block of logits (4M), never T·B·V = 5.1M.
  assert.ok(largest < T * B * V, `largest allocation ${largest} floats; the whole logits would be ${T * B * V}`);
});
