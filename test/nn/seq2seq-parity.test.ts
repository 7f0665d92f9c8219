/**
 * recur's seq2seq model against the reference (tools/seq2seq_reference.py) in PyTorch, from fixtures written by
 * tools/gen_fixtures.py: the loss, the attention weights, every gradient and the weights after one SGD step, on a
 * batch with padded sources and targets, on every backend (rel 1e-4, abs 1e-5). The generator also had recur
 * write its model file from the same weights and loaded it into the reference with strict=True (same loss); here
 * recur's file is checked to hold what that file held: the config (the reference constructor's arguments) and
 * the tensors, in the state_dict's order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { encodeSeq2Seq } from '../../src/io/seq2seq-file.js';
import type { PairBatch } from '../../src/nn/seq2seq/batch.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { Optimizer } from '../../src/train/optim.js';
import { backends } from '../helpers/backends.js';
import { assertClose } from '../helpers/close.js';

interface T { shape: number[]; data: number[] }
type Fixture = Record<string, any>;

const dir = new URL('../fixtures/torch/seq2seq/', import.meta.url);
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture);

const batchOf = (f: Fixture): PairBatch => {
  const [S, B] = f.src.shape, [T_] = f.tgt_in.shape;
  return { S, T: T_, B, src: Int32Array.from(f.src.data), srcLen: Int32Array.from(f.src_len.data), tgtIn: Int32Array.from(f.tgt_in.data), tgtOut: Int32Array.from(f.tgt_out.data) };
};

test('there are seq2seq fixtures for every attention kind and cell', () => {
  assert.ok(cases.length >= 5);
  for (const k of ['none', 'dot', 'general', 'additive']) assert.ok(cases.some((f) => f.config.attention === k), k);
  for (const c of ['lstm', 'gru', 'elman']) assert.ok(cases.some((f) => f.config.cell === c), c);
});

for (const f of cases) {
  test(`seq2seq ${f.case}: loss, attention, gradients and one SGD step agree with PyTorch on every backend`, async () => {
    for (const nb of backends()) {
      const be = await nb.make(), what = `${f.case} (${nb.name})`;
      const m = new Seq2Seq(f.config, be);
      assert.deepEqual(m.params.names(), f.param_order, `${what}: tensor names in state_dict order`);
      for (const v of m.params.views) {
        assert.deepEqual(v.shape, (f.params[v.name] as T).shape, `${what}: shape of ${v.name}`);
        m.params.set(v.name, (f.params[v.name] as T).data);
      }
      const b = batchOf(f);
      m.zeroGrads();
      const { loss } = m.forward(b, { train: true });
      assertClose([loss], [f.loss], `${what} loss`);
      if (f.attention) assertClose(m.attention()!, f.attention.data, `${what} attention`);
      else assert.equal(m.attention(), null);
      m.backward();
      for (const v of m.params.views) assertClose(m.grads.get(v.name), (f.grads[v.name] as T).data, `${what} d/d ${v.name}`);
      new Optimizer(be, m.params, { name: 'sgd', lr: f.lr }).update(m.grads.data);
      for (const v of m.params.views) assertClose(m.params.get(v.name), (f.after[v.name] as T).data, `${what} ${v.name} after one step`);
      assertClose([m.forward(b).loss], [f.loss_after], `${what} loss after one step`);
    }
  });

  test(`seq2seq ${f.case}: recur's file holds the config and tensors the reference loaded with strict=True`, async () => {
    assert.equal(f.recur_file.strict_load, true);
    assertClose([f.recur_file.loss], [f.loss], 'the reference\'s loss with the file\'s weights');
    const be = (await backends()[0].make());
    const m = new Seq2Seq(f.config, be);
    for (const v of m.params.views) m.params.set(v.name, (f.params[v.name] as T).data);
    const names = (n: number): string[] => Array.from({ length: n }, (_, i) => ['<pad>', '<bos>', '<eos>', '<unk>'][i] ?? `x${i}`);
    const { tensors, metadata } = decodeSafetensors(encodeSeq2Seq(m, names(f.config.src_vocab), names(f.config.tgt_vocab)));
    assert.deepEqual(JSON.parse(metadata.config), f.recur_file.config);
    assert.deepEqual([...tensors.keys()], f.recur_file.tensor_order);
    for (const [name, t] of tensors) assert.deepEqual(t.shape, (f.params[name] as T).shape, name);
  });
}
