/**
 * `recur export --format pytorch` for seq2seq models: model.py is the reference definition (kept verbatim, checked
 * here against tools/seq2seq_reference.py), and with recur's random weights it gives recur's loss (float64 both
 * sides, rel 1e-5) and the same tensors after one SGD step (abs 2e-5) for every cell, attention kind, direction
 * and input feeding, on a batch with padded sources and targets; tensors load strictly both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEQ2SEQ_REFERENCE } from '../../src/export-pytorch/seq2seq-reference.generated.js';
import { seq2seqPy } from '../../src/export-pytorch/seq2seq-py.js';
import { generateSeq2SeqReference } from '../../tools/gen-seq2seq-py.js';
import { JsBackend } from '../../src/kernels/js.js';
import { makePairBatch } from '../../src/nn/seq2seq/batch.js';
import type { Seq2SeqConfig } from '../../src/nn/seq2seq/config.js';
import { initSeq2Seq } from '../../src/nn/seq2seq/init.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose } from '../helpers/close.js';

const be = new JsBackend('f64');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const LR = 0.1;

const configs: Partial<Seq2SeqConfig>[] = [
  { cell: 'lstm', attention: 'additive', bidirectional: true, layers: 2 },
  { cell: 'lstm', attention: 'general', input_feeding: true, attention_size: 4 },
  { cell: 'gru', attention: 'dot', input_feeding: true, layers: 2 },
  { cell: 'gru', attention: 'additive', bidirectional: true, attention_size: 3 },
  { cell: 'elman', attention: 'none', bidirectional: true },
  { cell: 'elman', attention: 'general', layers: 2, input_feeding: true },
];

test('seq2seq model.py holds the reference definition verbatim (the generated file is fresh)', () => {
  const reference = readFileSync(new URL('../../tools/seq2seq_reference.py', import.meta.url), 'utf8');
  const generated = readFileSync(new URL('../../src/export-pytorch/seq2seq-reference.generated.ts', import.meta.url), 'utf8');
  assert.equal(generated, generateSeq2SeqReference(reference), 'stale: run node --import tsx tools/gen-seq2seq-py.ts');
  assert.ok(reference.includes(SEQ2SEQ_REFERENCE));
  assert.ok(seq2seqPy({ src_vocab: 5, tgt_vocab: 5, embed: 2, hidden: 2, cell: 'gru', layers: 1, bidirectional: false, attention: 'dot', attention_size: null, input_feeding: false }).includes(SEQ2SEQ_REFERENCE));
  assert.match(SEQ2SEQ_REFERENCE, /^import torch\n[^]*class Seq2Seq\(nn\.Module\)[^]*def batch\(/);
});

test('the exported seq2seq model.py equals recur: loss, one SGD step, strict load both ways', (t) => {
  if (!hasTorch) { t.skip(`${python} cannot import torch (Debian's python3-torch): seq2seq model.py parity not checked`); return; }
  const pairs = [[[4, 5, 6, 7], [7, 6]], [[8], [9, 4, 5]], [[5, 9, 6], [6]]] as const;
  const batch = makePairBatch(pairs.map(([x, y]) => [Int32Array.from(x), Int32Array.from(y)] as const));
  const sides = configs.map((cfg, i) => {
    const m = new Seq2Seq({ src_vocab: 10, tgt_vocab: 11, embed: 3, hidden: 4, ...cfg }, be);
    initSeq2Seq(m.params, m.config, new Rng(20 + i));
    const tensors = Object.fromEntries(m.params.views.map((v) => [v.name, { shape: v.shape, data: [...m.params.get(v.name)] }]));
    m.zeroGrads();
    const { loss } = m.forward(batch, { train: true });
    m.backward();
    const after = Float64Array.from(m.params.data, (p, j) => p - LR * m.grads.data[j]);
    const toPython = {
      modelPy: seq2seqPy(m.config), config: { kind: 'seq2seq', config: m.config }, tensors, lr: LR,
      batch: { S: batch.S, T: batch.T, B: batch.B, src: [...batch.src], srcLen: [...batch.srcLen], tgtIn: [...batch.tgtIn], tgtOut: [...batch.tgtOut] },
    };
    return { m, loss, after, toPython };
  });
  const r = spawnSync(python, [fileURLToPath(new URL('model-seq2seq.py', import.meta.url))], {
    input: JSON.stringify(sides.map((s) => s.toPython)), encoding: 'utf8', maxBuffer: 1 << 28,
  });
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as { loss: number; tensors: Record<string, { shape: number[]; data: number[] }> }[];
  results.forEach((res, i) => {
    const { m, loss, after } = sides[i], what = JSON.stringify(configs[i]);
    assertClose([res.loss], [loss], `${what} loss`, 1e-5, 0);
    assert.deepEqual(Object.keys(res.tensors).sort(), m.params.names().sort(), `${what}: state_dict names`);
    const back = new Seq2Seq(m.config, be);
    for (const v of back.params.views) {
      assert.deepEqual(res.tensors[v.name].shape, v.shape, `${what}: shape of ${v.name}`);
      back.params.set(v.name, res.tensors[v.name].data);
    }
    assertClose(back.params.data, after, `${what} tensors after one SGD step`, 0, 2e-5);
    assert.ok(after.some((x, j) => Math.abs(x - m.params.data[j]) > 1e-4), `${what}: the step changed nothing`);
  });
});
