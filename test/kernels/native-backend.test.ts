/**
 * The native backend beyond kernel conformance (conformance.test.ts runs every kernel of every instruction set
 * this CPU runs against the JS reference): vectorised exp/tanh/sigmoid over their whole range, whole models
 * (Elman, LSTM, GRU, two layers) giving the JS backend's loss and gradients, the bounds and type checks that keep
 * a bad argument from writing outside a typed array, packed matrix-vector products, alloc, and the options.
 * Skips, saying why, when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation, Backend, Buf } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import { Model, type Batch } from '../../src/nn/model.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Optimizer } from '../../src/train/optim.js';
import { Trainer } from '../../src/train/trainer.js';
import { createNativeBackend, loadAddon, nativeIsas, type NativeBackend, type NativeIsa } from '../../src/node/native.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose } from '../helpers/close.js';

const addon = loadAddon();
const SKIP = addon instanceof Error ? `native backend not built: ${addon.message}` : false;
if (SKIP) console.log(`# skipping native tests: ${SKIP}`);
const ISAS: NativeIsa[] = SKIP ? ['avx512'] : nativeIsas();

const js = new JsBackend('f32');
const rng = new Rng(7);

const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => lo + rng.int(hi - lo));
/** The same contents twice: one copy for the reference, one for the native backend. */
const twin = (a: Float32Array): [Float32Array, Float32Array] => [a.slice(), a.slice()];
/** B mask values, row 1 held, others held with probability 0.3. */
const mask = (B: number): Float32Array => Float32Array.from({ length: B }, (_, b) => (b === 1 || (b > 1 && rng.next() < 0.3) ? 0 : 1));
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 2e-5, abs = 2e-6): void =>
  assertClose(got, want, what, rel, abs);
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (not bit-identical)`);
};


for (const isa of ISAS) {
  const make = (threads = 1): Promise<NativeBackend> => createNativeBackend({ isa, threads });
  test(`${isa}: vectorised exp/tanh/sigmoid over their whole range`, { skip: SKIP }, async () => {
    const be = await make();
    const n = 4001, x = Float32Array.from({ length: n }, (_, i) => -100 + (200 * i) / (n - 1));
    const hp = new Float32Array(n);
    for (const act of ['tanh', 'sigmoid'] as Activation[]) {
      const [yj, yn] = twin(new Float32Array(n));
      js.elmanForward(act, 1, n, x, 0, hp, 0, yj, 0, null, 0);
      be.elmanForward(act, 1, n, x, 0, hp, 0, yn, 0, null, 0);
      close(yn, yj, act, 4e-6, 1e-7);
    }
    // Near zero, where 1 − 2/(e^{2x}+1) would lose tanh's relative accuracy.
    const small = Float32Array.from({ length: 101 }, (_, i) => (i - 50) * 1e-4);
    const [yj, yn] = twin(new Float32Array(101));
    js.elmanForward('tanh', 1, 101, small, 0, hp, 0, yj, 0, null, 0);
    be.elmanForward('tanh', 1, 101, small, 0, hp, 0, yn, 0, null, 0);
    close(yn, yj, 'tanh near 0', 1e-6, 1e-12);
  });


  test(`${isa}: whole models (Elman, LSTM, GRU, two layers) match the JS backend's loss and gradients`, { skip: SKIP }, async () => {
    const be = await make(2);
    const V = 11, T = 7, B = 3;
    const configs: Partial<ModelConfig>[] = [
      { cell: 'elman', activation: 'tanh', hidden: 37, layers: 2, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax' },
      { cell: 'lstm', hidden: 37, layers: 2, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax' },
      { cell: 'gru', hidden: 37, layers: 2, inputKind: 'tokens', inputSize: V, embed: 5, outputSize: V, head: 'softmax' },
      { cell: 'lstm', hidden: 19, layers: 2, bidirectional: true, inputKind: 'dense', inputSize: 4, outputSize: 2, head: 'mse' },
    ];
    for (const config of configs) {
      const what = `${config.cell} ${config.inputKind}${config.bidirectional ? ' bidirectional' : ''}`;
      const batch: Batch = { T, B };
      if (config.inputKind === 'tokens') { batch.tokens = ints(T * B, 0, V); batch.targets = ints(T * B, 0, V); }
      else {
        batch.inputs = rand(T * B * 4);
        batch.targetValues = rand(T * B * 2);
        batch.lengths = Int32Array.from([T, 3, 5]);
      }
      const run = (b: Backend): { loss: number; grads: Buf; h: Buf[] } => {
        const model = new Model(config, b).init(new Rng(11));
        const state = model.newState(B);
        const loss = model.forward(batch, state, { train: true })!;
        model.zeroGrads();
        model.backward();
        return { loss: loss.loss, grads: model.grads.data, h: state.h };
      };
      const want = run(js), got = run(be);
      close([got.loss], [want.loss], `${what} loss`, 1e-4, 1e-5);
      close(got.grads, want.grads, `${what} gradients`, 1e-4, 1e-5);
      got.h.forEach((h, i) => close(h, want.h[i], `${what} final state ${i}`, 1e-4, 1e-5));
    }
    // Three training steps (SGD with momentum, global-norm clipping) end at the same parameters.
    const config: Partial<ModelConfig> = { cell: 'lstm', hidden: 29, layers: 1, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax' };
    const train = (b: Backend): Buf => {
      const model = new Model(config, b).init(new Rng(5));
      const trainer = new Trainer(model, new Optimizer(b, model.params, { name: 'sgd', lr: 0.5, momentum: 0.9 }), { clipNorm: 1 });
      const state = model.newState(B), r = new Rng(3);
      for (let s = 0; s < 3; s++) {
        const tokens = Int32Array.from({ length: T * B }, () => r.int(V));
        trainer.step({ T, B, tokens, targets: Int32Array.from(tokens, (t) => (t + 1) % V) }, state);
      }
      return model.params.data;
    };
    close(train(be), train(js), 'parameters after 3 training steps', 1e-4, 1e-5);
  });

  test(`${isa}: bad arguments throw RangeError/TypeError and write nothing`, { skip: SKIP }, async () => {
    const be = await make();
    const A = rand(12), B = rand(16), C = rand(12), before = C.slice();
    assert.throws(() => be.gemm(false, false, 3, 4, 4, 1, A, 1, 4, B, 0, 4, 0, C, 0, 4), /RangeError|A: needs 13 elements/);
    assert.throws(() => be.gemm(false, false, 3, 4, 4, 1, A, 0, 4, B, 0, 4, 0, C, 1, 4), /C: needs/);
    assert.throws(() => be.gemm(false, false, 3, 4, 4, 1, A, 0, 3, B, 0, 4, 0, C, 0, 4), /leading dimension/);
    assert.throws(() => be.gemm(false, false, -1, 4, 4, 1, A, 0, 4, B, 0, 4, 0, C, 0, 4), /negative/);
    assert.throws(() => be.gemm(false, false, 2, 2, 2, 1, new Float64Array(4), 0, 2, B, 0, 2, 0, C, 0, 2), /Float32Array/);
    assert.throws(() => be.fill(C, 10, 3, 0), RangeError);
    assert.throws(() => be.lstmForward(2, 2, rand(15), 0, C, 0, C, 4, C, 0, C, 4, null, 0), /gates/);
    same(C, before, 'C after refused calls');
    const ids = Int32Array.from([0, 5]), table = rand(10), dst = new Float32Array(4);
    assert.throws(() => be.gatherRows(table, 2, ids, 0, 2, dst, 0, 2, 0), /out of range/);
    assert.throws(() => be.gatherCols(table, 2, 5, ids, 0, 2, dst, 0, 2, 0), /out of range/);
    assert.throws(() => be.softmaxCrossEntropy(1, 3, table, 0, Int32Array.from([3]), 0, null, 0, 1), /out of range/);
    assert.throws(() => be.adamStep(20, rand(20), rand(19), rand(20), rand(20), 0.9, 0.99, 1e-8, 1, 1, 1, 0), /g: needs/);
    same(dst, new Float32Array(4), 'dst after refused gathers');
  });

  test(`${isa}: packed matrix-vector products equal gemm, for any threads, and refuse what is not theirs`, { skip: SKIP }, async () => {
    const bes = [await make(1), await make(2), await make(3)];
    for (const [n, k] of [[1, 1], [7, 3], [83, 256], [129, 17], [1024, 256], [300, 1000]] as const) {
      const ldw = k + 3, W = rand(n * ldw + 5), x = rand(k + 2), y0 = rand(n + 1);
      for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]]) {
        const want = y0.slice();
        js.gemm(false, true, 1, n, k, alpha, x, 2, k, W, 5, ldw, beta, want, 1, n);
        let first: Float32Array | null = null;
        for (const be of bes) {
          const P = be.packMatvec(n, k, W, 5, ldw, null);
          const got = y0.slice();
          be.matvecPacked(P, alpha, x, 2, beta, got, 1);
          // a float32 sum of k products against the reference's double sum: the error grows with k
          const tol = 1e-5 * Math.max(1, k / 100);
          close(got, want, `${n}×${k} alpha ${alpha} beta ${beta}, ${be.threads} threads`, 1e-5, tol);
          if (first) same(got, first, `${n}×${k}: threads`); else first = got;
          // Repacking into the same copy follows a change of the weights.
          const W2 = W.map((v) => -v), P2 = be.packMatvec(n, k, W2, 5, ldw, P);
          assert.equal(P2, P, 'packing into an earlier copy returns it');
          const neg = y0.slice(), negWant = y0.slice();
          be.matvecPacked(P2, alpha, x, 2, beta, neg, 1);
          js.gemm(false, true, 1, n, k, alpha, x, 2, k, W2, 5, ldw, beta, negWant, 1, n);
          close(neg, negWant, `${n}×${k} repacked`, 1e-5, tol);
        }
      }
    }
    const be = bes[0], P = be.packMatvec(4, 3, rand(12), 0, 3, null), y = new Float32Array(4);
    assert.throws(() => be.matvecPacked(P, 1, rand(2), 0, 0, y, 0), /x: needs/);
    assert.throws(() => be.matvecPacked(P, 1, rand(3), 0, 0, new Float32Array(3), 0), /y: needs/);
    assert.throws(() => be.matvecPacked({} as never, 1, rand(3), 0, 0, y, 0), /packed matrix/);
    assert.throws(() => be.packMatvec(4, 3, rand(11), 0, 3, null), /W: needs/);
    assert.throws(() => be.packMatvec(4, 3, rand(12), 0, 3, {} as never), /packed matrix/);
    same(y, new Float32Array(4), 'y after refused calls');
  });

  test(`${isa}: alloc gives zeroed, 64-byte aligned Float32Arrays of the size asked`, { skip: SKIP }, async () => {
    const be = await make();
    for (const n of [0, 1, 7, 1000]) {
      const b = be.alloc(n);
      assert.ok(b instanceof Float32Array);
      assert.equal(b.length, n);
      assert.ok(b.every((v) => v === 0));
    }
    assert.throws(() => be.alloc(-1), RangeError);
  });
}

test('createNativeBackend refuses bad options clearly', { skip: SKIP }, async () => {
  await assert.rejects(createNativeBackend({ threads: 0 }), /threads/);
  await assert.rejects(createNativeBackend({ isa: 'neon' as NativeIsa }), /unknown instruction set/);
  const be = await createNativeBackend({ threads: 2 });
  assert.equal(be.name, 'native');
  assert.match(be.describe(), /^native \((avx512|avx2|sse), 2 threads\)$/);
});
