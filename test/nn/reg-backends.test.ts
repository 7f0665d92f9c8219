/**
 * The regularisers on every built backend: with the same seed the masks are the same (they are drawn
 * in JavaScript), so the training loss, AR + TAR and every gradient agree with the JS reference
 * within float32 rounding, and a tied model's decoder reads the embedding on each backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { Model, type Batch } from '../../src/nn/model.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Rng } from '../../src/util/rng.js';
import { backends } from '../helpers/backends.js';

const T = 7, B = 3, V = 11;
const config: Partial<ModelConfig> = {
  cell: 'lstm', hidden: 12, embed: 12, layers: 2, inputKind: 'tokens', inputSize: V, outputSize: V, tieWeights: true,
  dropout: 0.3, dropoutInput: 0.2, dropoutOutput: 0.4, dropoutEmbed: 0.2, weightDrop: 0.5, ar: 2, tar: 1,
};
const r = new Rng(2);
const batch: Batch = { T, B, tokens: Int32Array.from({ length: T * B }, () => r.int(V)), targets: Int32Array.from({ length: T * B }, () => r.int(V)) };

function run(be: Backend, cfg: Partial<ModelConfig>): { loss: number; reg: number; grads: Float64Array } {
  const m = new Model(cfg, be).init(new Rng(1));
  const st = m.newState(B);
  m.forward(batch, st, { train: true, rng: new Rng(4) }); // a second chunk: carried state, fresh masks
  const loss = m.forward(batch, st, { train: true, rng: new Rng(5) })!.loss;
  m.zeroGrads();
  m.backward();
  return { loss, reg: m.regLoss, grads: Float64Array.from(m.grads.data) };
}

for (const cell of ['lstm', 'gru', 'elman'] as const) {
  test(`regularised ${cell}: every built backend agrees with the JS reference`, async () => {
    const list = backends(), cfg = { ...config, cell };
    const ref = run(await list[0].make(), cfg);
    assert.ok(ref.reg > 0);
    for (const b of list.slice(1)) {
      const got = run(await b.make(), cfg);
      assert.ok(Math.abs(got.loss - ref.loss) < 1e-5, `${b.name} loss ${got.loss} vs ${ref.loss}`);
      assert.ok(Math.abs(got.reg - ref.reg) < 1e-5 * Math.max(1, ref.reg), `${b.name} AR+TAR ${got.reg} vs ${ref.reg}`);
      for (let i = 0; i < ref.grads.length; i++) {
        assert.ok(Math.abs(got.grads[i] - ref.grads[i]) < 1e-4 + 1e-3 * Math.abs(ref.grads[i]), `${b.name} gradient ${i}: ${got.grads[i]} vs ${ref.grads[i]}`);
      }
    }
  });
}
