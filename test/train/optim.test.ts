/**
 * Optimizers and clipping against PyTorch (fixtures from tools/gen_fixtures.py): three steps of each
 * optimizer from the same parameters and gradients, and clip_grad_norm_ / clip_grad_value_.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JsBackend } from '../../src/kernels/js.js';
import { Params } from '../../src/nn/params.js';
import { Optimizer, type OptimizerOptions } from '../../src/train/optim.js';
import { clipByNorm, clipByValue } from '../../src/train/clip.js';
import { assertClose } from '../helpers/close.js';
import { backends } from '../helpers/backends.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/torch/optim.json', import.meta.url), 'utf8'));

function optionsOf(o: any): OptimizerOptions {
  const h = o.hyper;
  const name = o.class === 'AdamW' ? 'adamw' : o.class.toLowerCase();
  return {
    name, lr: h.lr, momentum: h.momentum ?? 0, nesterov: h.nesterov ?? false, weightDecay: h.weight_decay ?? 0,
    beta1: h.betas?.[0], beta2: h.betas?.[1], eps: h.eps, alpha: h.alpha,
  } as OptimizerOptions;
}

for (const { name: beName, make } of backends()) {
  for (const o of fx.optimizers) {
    test(`optimizer ${o.name} matches PyTorch over 3 steps [${beName}]`, async () => {
      const be = await make();
      const n = fx.p0.data.length;
      const params = new Params([{ name: 'p', shape: [n] }], be);
      params.set('p', fx.p0.data);
      const opts = Object.fromEntries(Object.entries(optionsOf(o)).filter(([, v]) => v !== undefined)) as unknown as OptimizerOptions;
      const opt = new Optimizer(be, params, opts);
      const g = be.alloc(n);
      fx.grads.forEach((grad: any, i: number) => {
        g.set(grad.data);
        opt.update(g);
        assertClose(params.get('p'), o.steps[i].data, `${o.name} step ${i + 1}`, 1e-5, 1e-6);
      });
    });
  }
}

test('clipping matches clip_grad_norm_ and clip_grad_value_', () => {
  const be = new JsBackend('f32');
  for (const c of fx.clip) {
    const flat = c.inputs.flatMap((t: any) => t.data);
    const g = be.alloc(flat.length);
    g.set(flat);
    if (c.fn === 'clip_grad_norm_') {
      const norm = clipByNorm(be, g, flat.length, c.max_norm);
      assertClose([norm], [c.total_norm], `${c.name} norm`);
    } else clipByValue(be, g, flat.length, c.clip_value);
    assertClose(g, c.outputs.flatMap((t: any) => t.data), c.name);
  }
});

test('element-wise clipping is threshold·sign(g) where |g| > threshold, g elsewhere', () => {
  const be = new JsBackend('f32');
  const g = Float32Array.from([-3, -0.5, 0, 0.25, 7]);
  clipByValue(be, g, g.length, 1);
  assert.deepEqual(Array.from(g), [-1, -0.5, 0, 0.25, 1]);
});

test('optimizer refuses impossible settings', () => {
  const be = new JsBackend('f32');
  const params = new Params([{ name: 'p', shape: [2] }], be);
  assert.throws(() => new Optimizer(be, params, { name: 'adam', lr: 0 }), /learning rate/);
  assert.throws(() => new Optimizer(be, params, { name: 'nope' as never, lr: 1 }), /unknown optimizer/);
  assert.throws(() => new Optimizer(be, params, { name: 'sgd', lr: 1, nesterov: true }), /Nesterov/);
});
