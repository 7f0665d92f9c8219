/**
 * The playground's training session, in Node (no browser): it is the same code the Web Worker runs,
 * so training, probes and model files are checked here fast and the browser tests can stay few.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { ModelFileError } from '../../src/io/safetensors.js';
import type { CellType } from '../../src/nn/config.js';
import { mobyDick } from '../../src/node/corpora.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, LmJob } from '../../src/tasks/lm.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { customText, namesText } from '../../web/src/corpus.js';
import type { Settings } from '../../web/src/protocol.js';
import { INSPECT_MAX, Session } from '../../web/src/session.js';

const be = new JsBackend('f32');
const text = mobyDick().slice(0, 20_000);
const settings = (over: Partial<Settings> = {}): Settings => ({
  cell: 'elman', activation: 'tanh', hidden: 16, layers: 1, h0: 'zero', seed: 3,
  seq: 20, batch: 8, lr: 0.01, optimizer: 'adam', clipNorm: 5, clipValue: 0, ...over,
});

test('training lowers the training and the validation loss (bits per character)', () => {
  const s = Session.create(text, 'test', settings(), be);
  const val0 = s.validate()!;
  const first = s.trainStep();
  assert.ok(first.loss > 0 && Number.isFinite(first.gradNorm));
  let last = 0;
  for (let i = 0; i < 80; i++) last = s.trainStep().loss;
  const val1 = s.validate()!;
  assert.equal(s.step, 81);
  assert.ok(last < first.loss - 1, `train loss ${first.loss} → ${last}`);
  assert.ok(val1 < val0 - 1, `validation loss ${val0} → ${val1}`);
});

for (const cell of ['elman', 'jordan', 'elman+jordan', 'lstm', 'gru'] as CellType[]) {
  test(`${cell}: trains, samples, and every probe answers in the right shape`, () => {
    const H = 12, s = Session.create(text, 'test', settings({ cell, hidden: H, layers: cell === 'gru' ? 2 : 1, h0: cell === 'lstm' ? 'learned' : 'zero' }), be);
    for (let i = 0; i < 3; i++) assert.ok(Number.isFinite(s.trainStep().loss));
    const sample = s.sample(0.8, 120);
    assert.equal([...sample].length, 120);
    for (const ch of sample) assert.ok(s.vocab.index(ch) >= 0, `sampled ${JSON.stringify(ch)} is outside the vocabulary`);

    const mats = s.matrices();
    assert.ok(mats.length > 0);
    if (cell === 'jordan') assert.deepEqual(mats.map((m) => m.id), ['jordan-loop']);
    if (cell === 'lstm') assert.equal(mats[0].id, 'rnn.weight_hh_l0#g');
    if (cell === 'gru') assert.equal(mats.length, 6); // r, z, n of two layers
    for (const m of mats) {
      const sp = s.spectrum(m.id);
      assert.equal(sp.eigs.length, H);
      assert.ok(sp.radius > 0 && Number.isFinite(sp.radius), `${m.id}: radius ${sp.radius}`);
    }

    const g = s.gradFlow()!;
    assert.equal(g.norms.length, 64);
    assert.ok(g.norms.every((v) => Number.isFinite(v) && v >= 0));
    assert.ok(g.norms[63] > 0);

    const ins = s.inspect(null, 5);
    assert.equal(ins.layer, s.model.config.layers - 1); // clamped to the top layer
    const T = ins.chars.length;
    assert.ok(T > 100 && T <= INSPECT_MAX);
    assert.equal(ins.acts.length, T * H);
    assert.equal(ins.topChars.length, T * ins.k);
    for (let t = 0; t < T; t++) {
      let sum = 0;
      for (let j = 0; j < ins.k; j++) {
        sum += ins.topProbs[t * ins.k + j];
        if (j > 0) assert.ok(ins.topProbs[t * ins.k + j] <= ins.topProbs[t * ins.k + j - 1]);
      }
      assert.ok(sum > 0 && sum <= 1 + 1e-5);
    }
  });
}

test('the inspector leaves out characters the model does not know, and says how many', () => {
  const s = Session.create('abcabcabd '.repeat(30), 'test', settings({ seq: 10 }), be);
  const ins = s.inspect('abc€€d', 0);
  assert.deepEqual(ins.chars, ['a', 'b', 'c', 'd']);
  assert.equal(ins.dropped, 2);
});

test('the model file round-trips through the library loader (the one the CLI uses)', () => {
  const s = Session.create(text, 'playground: test', settings({ cell: 'gru', hidden: 10 }), be);
  for (let i = 0; i < 3; i++) s.trainStep();
  const bytes = s.encode();
  const lm = decodeLm(bytes, be);
  assert.equal(lm.model.config.cell, 'gru');
  assert.deepEqual(lm.tokens.toJSON(), { kind: "char", chars: [...s.vocab.chars] });
  assert.deepEqual(lm.task, { kind: 'lm', mode: 'stream', source: 'playground: test' });
  assert.deepEqual([...lm.model.params.data], [...s.model.params.data]);

  const back = Session.load(bytes, be, settings(), 1);
  assert.equal(back.hasCorpus, false);
  assert.throws(() => back.trainStep(), /no text/);
  back.attach(text);
  assert.ok(Number.isFinite(back.trainStep().loss));
  assert.throws(() => back.attach('text with ☃ in it'), /cannot read the corpus: character "☃"/);
});

test('a playground run continues exactly in lm.ts (what `recur train --resume` runs), and a CLI run in the playground', () => {
  const s = Session.create(text, 'playground: test', settings({ cell: 'lstm', hidden: 10, seq: 12, batch: 4, optimizer: 'adamw', clipValue: 0.5 }), be);
  for (let i = 0; i < 5; i++) s.trainStep();
  const data = { mode: 'stream' as const, text, source: 'playground: test' };
  const job = new LmJob({ resume: decodeLm(s.encode(), be), data, backend: be, settings: DEFAULT_SETTINGS });
  assert.equal(job.step, 5);
  for (let i = 0; i < 3; i++) {
    const mine = s.trainStep(), theirs = job.trainStep();
    assert.equal(mine.loss, theirs.loss / Math.LN2, `step ${i + 6}`);
    assert.equal(mine.gradNorm, theirs.gradNorm);
  }
  assert.deepEqual([...job.model.params.data], [...s.model.params.data]);

  // A run started by the CLI's job (constant rate: the playground has no schedule) continues here.
  const cli = new LmJob({
    data, backend: be, arch: { ...DEFAULT_ARCH, cell: 'gru', hidden: 8 },
    settings: { ...DEFAULT_SETTINGS, batch: 3, seq: 9, lr: 0.01, schedule: 'constant', steps: 100, time: null, seed: 9 },
  });
  for (let i = 0; i < 4; i++) cli.trainStep();
  const back = Session.load(cli.encode(), be, settings(), 1);
  assert.equal(back.attach(text), true);
  assert.deepEqual(back.trainSettings, { seq: 9, batch: 3, lr: 0.01, optimizer: 'adam', clipNorm: 5, clipValue: 0 });
  assert.equal(back.step, 4);
  for (let i = 0; i < 3; i++) assert.equal(back.trainStep().loss, cli.trainStep().loss / Math.LN2);
  assert.deepEqual([...back.model.params.data], [...cli.model.params.data]);

  // With another text, only the weights carry over.
  const other = Session.load(cli.encode(), be, settings(), 1);
  assert.equal(other.attach(text.slice(0, 5000)), false);
  assert.equal(other.step, 0);
  assert.equal(other.trainSettings.seq, 20);
});

test('a corrupt or foreign model file is refused with one line', () => {
  const s = Session.create(text, 'test', settings(), be);
  const good = s.encode();
  const cases: [string, Uint8Array][] = [
    ['garbage', Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255)],
    ['truncated', good.subarray(0, good.length - 10)],
    ['empty', new Uint8Array(0)],
  ];
  for (const [what, bytes] of cases) {
    assert.throws(() => Session.load(bytes, be, settings(), 1), (e: unknown) => {
      assert.ok(e instanceof ModelFileError, `${what}: ${String(e)}`);
      assert.ok(!e.message.includes('\n'), `${what}: multi-line message`);
      return true;
    });
  }
});

test('training settings apply to a running session; a short text gets fewer streams or a clear error', () => {
  const s = Session.create(text, 'test', settings(), be);
  s.trainStep();
  s.setTrainSettings({ seq: 7, batch: 3, lr: 0.002, optimizer: 'rmsprop', clipNorm: 0, clipValue: 1 });
  assert.equal(s.batch, 3);
  assert.ok(Number.isFinite(s.trainStep().loss));
  const short = Session.create('hello world, hello moon. ', 'test', settings({ seq: 10, batch: 16 }), be);
  assert.equal(short.batch, 2); // 25 characters: two streams of 10 steps fit, not 16
  assert.throws(() => Session.create('abcab', 'test', settings({ seq: 10 }), be), /too short: 5 training characters for sequences of 10/);
  assert.throws(() => Session.create('aaaa', 'test', settings(), be), /single character/);
});

test('corpora: names are shuffled by seed, user text is normalised and bounded', () => {
  const names = ['Ann', 'Bob', 'Cy', 'Dee', 'Eve'];
  const a = namesText(names, 1), b = namesText(names, 1), c = namesText(names, 2);
  assert.equal(a, b);
  assert.deepEqual(a.trimEnd().split('\n').sort(), names);
  assert.ok(a.endsWith('\n'));
  assert.notEqual(a, c);
  assert.equal(customText('a\r\nb\rc'), 'a\nb\nc');
  assert.throws(() => customText('  \n '), /empty/);
});

test('a diverging playground run stops with a sentence and keeps the last good weights (the loop the CLI runs)', () => {
  const s = Session.create(text, 'test', settings({ lr: 0.01, clipNorm: 0 }), be);
  for (let i = 0; i < 20; i++) s.trainStep();
  s.setTrainSettings({ ...s.trainSettings, lr: 10 });
  let err: Error | null = null;
  for (let i = 0; i < 200 && !err; i++) { try { s.trainStep(); } catch (e) { err = e as Error; } }
  assert.match(err?.message ?? 'no divergence', /^training diverged at step \d+: /);
  // The weights are a snapshot from the good part of the run (better than a uniform guess), not the diverged ones.
  assert.ok(s.model.params.data.every(Number.isFinite));
  assert.ok(s.validate()! < Math.log2(s.vocab.size), `validation ${s.validate()} bits vs uniform ${Math.log2(s.vocab.size)}`);
  s.setTrainSettings({ ...s.trainSettings, lr: 0.001 });
  assert.ok(s.trainStep().loss < 2 * Math.log2(s.vocab.size), 'training goes on from a good model at a sane rate');
});

test('the inspector gets the gates over the text: LSTM i, f, o and GRU r, z, each in (0, 1); none for Elman', () => {
  const H = 10, text2 = 'the gates open and close. '.repeat(20);
  for (const cell of ['lstm', 'gru', 'elman'] as CellType[]) {
    const s = Session.create(text, 'test', settings({ cell, hidden: H }), be);
    s.trainStep();
    const d = s.inspect(text2, 0);
    const T = d.chars.length;
    if (cell === 'elman') { assert.equal(d.gates, null); continue; }
    assert.deepEqual(d.gates!.names, cell === 'lstm' ? ['input gate i', 'forget gate f', 'output gate o'] : ['reset gate r', 'update gate z']);
    assert.equal(d.gates!.values.length, d.gates!.names.length * T * H);
    assert.ok(d.gates!.values.every((v) => v > 0 && v < 1));
    if (cell === 'lstm') {
      // h_t = o_t ⊙ tanh(c_t): the output gate read back is the one that made the hidden state
      const lay = s.model.layers[0][0] as unknown as { cs: Float32Array; hOff(s: number): number };
      const o = d.gates!.values.subarray(2 * T * H);
      for (const t of [0, 7, T - 1]) for (let j = 0; j < H; j++) {
        const h = d.acts[t * H + j], c = lay.cs[lay.hOff(t) + j];
        assert.ok(Math.abs(h - o[t * H + j] * Math.tanh(c)) < 1e-5, `t ${t} unit ${j}`);
      }
    }
  }
});
