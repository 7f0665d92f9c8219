/**
 * Language models over every kind of token, in process: a job trains on byte, word and BPE tokens,
 * reports losses per token and per character that agree, writes the tokenizer into the model file,
 * and the file gives back the same tokens and the same samples; a plain character model's file is
 * written exactly as before tokenizers; a Chinese/Japanese corpus trains, samples valid UTF-8 and
 * round-trips (with <unk> for its rare characters).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../../src/kernels/js.js';
import { decodeSafetensors } from '../../../src/io/safetensors.js';
import { Rng } from '../../../src/util/rng.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, evaluateStream, LmJob, type LmCadence, type LmSettings } from '../../../src/tasks/lm.js';
import { decodeLm } from '../../../src/tasks/lm-file.js';
import { generate, Sampler } from '../../../src/tasks/sample.js';
import type { TokenKind } from '../../../src/data/tokens/index.js';
import { buildTokenizer } from '../../../src/data/tokens/build.js';

const be = new JsBackend('f32');
const QUIET: LmCadence = { log: { steps: 5 }, val: { steps: 20 }, save: null, sample: null, spectrum: null, sampleLength: 0, finalSampleLength: 60, temperature: 1 };
const settings = (over: Partial<LmSettings> = {}): LmSettings => ({ ...DEFAULT_SETTINGS, batch: 4, seq: 16, lr: 1e-2, lrMin: 1e-3, steps: 40, time: null, seed: 3, valFraction: 0.1, valChars: 0, ...over });
const arch = { ...DEFAULT_ARCH, hidden: 24, embed: 12 };

/** A few kilobytes of English from a small word list, reproducible. */
function english(words: number): string {
  const w = ['the', 'whale', 'sea', 'ship', 'captain', 'white', 'and', 'of', 'a', 'to', 'in', 'Ahab', 'sailed', 'harpoon', 'deep'];
  const rng = new Rng(11);
  let s = '';
  for (let i = 0; i < words; i++) s += w[rng.int(w.length)] + (i % 11 === 10 ? '.\n' : ' ');
  return s;
}

/** Chinese and Japanese sentences from a phrase list: 40-odd distinct characters, a few of them rare. */
function cjk(sentences: number): string {
  const phrases = ['我是猫', '名字还没有', '在大海上', '白鲸', '船长', '吾輩は猫である', '名前はまだ無い', 'どこで生まれたか', 'とんと見当がつかぬ', '海の上で'];
  const rare = ['龍', '鯨', '鷗'];
  const rng = new Rng(12);
  let s = '';
  for (let i = 0; i < sentences; i++) {
    s += phrases[rng.int(phrases.length)] + phrases[rng.int(phrases.length)];
    if (i % 50 === 7) s += rare[rng.int(rare.length)];
    s += i % 5 === 4 ? '。\n' : '，';
  }
  return s;
}

const isValidUtf16 = (s: string): boolean => new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(s)) === s;

for (const kind of ['byte', 'word', 'bpe'] as TokenKind[]) {
  test(`${kind} tokens: the job learns, losses per token and per character agree, the file round-trips with the same samples`, async () => {
    const text = english(1500);
    const job = new LmJob({ data: { mode: 'stream', text, source: 'test' }, backend: be, settings: settings(), arch, tokens: buildTokenizer(kind, text, kind === 'byte' ? undefined : 300) });
    assert.equal(job.tokens.kind, kind);
    assert.equal(job.model.config.inputSize, job.tokens.size);
    const logs: { loss: number; loss_per_char: number; bpc: number; val_loss?: number; val_loss_per_char?: number; val_bpc?: number }[] = [];
    const summary = await job.run({ onLog: (l) => logs.push(l) }, QUIET);
    assert.ok(logs[logs.length - 1].loss < logs[0].loss, `${kind}: the loss falls (${logs[0].loss} → ${logs[logs.length - 1].loss})`);
    for (const l of logs) {
      assert.ok(Math.abs(l.loss_per_char - l.loss / job.trainCharsPerToken) < 1e-12);
      assert.ok(Math.abs(l.bpc - l.loss_per_char / Math.LN2) < 1e-12);
    }
    if (kind !== 'byte') assert.ok(job.trainCharsPerToken > 2, `${kind}: ${job.trainCharsPerToken} characters per token`);
    const val = job.validate()!;
    assert.ok(Math.abs(val.loss_per_char * val.chars - val.loss * val.tokens) < 1e-6 * val.loss * val.tokens + val.loss, 'total nats agree');
    assert.equal(summary.val_bpc, val.bpc);

    const back = decodeLm(job.encode(), be);
    assert.deepEqual(back.tokens.toJSON(), job.tokens.toJSON());
    assert.deepEqual([...back.tokens.encode(text.slice(0, 500))], [...job.tokens.encode(text.slice(0, 500))]);
    const meta = decodeSafetensors(job.encode()).metadata;
    assert.equal(meta.vocab, undefined, 'no character list beside a tokenizer');
    const s1 = generate(new Sampler(job.model, job.tokens, new Rng(3)), { length: 50, prime: 'the whale' });
    const s2 = generate(new Sampler(back.model, back.tokens, new Rng(3)), { length: 50, prime: 'the whale' });
    assert.equal(s1, s2);
    assert.ok(isValidUtf16(s1));
    assert.ok(summary.sample.length > 0);
  });
}

test('a character model without --vocab-size is written as before tokenizers: vocab list, no task.tokens, same ids', () => {
  const text = english(400);
  const job = new LmJob({ data: { mode: 'stream', text, source: 'test' }, backend: be, settings: settings({ steps: 2 }), arch });
  const meta = decodeSafetensors(job.encode()).metadata;
  assert.deepEqual(JSON.parse(meta.vocab), [...new Set(text)].sort());
  assert.equal(JSON.parse(meta.task).tokens, undefined);
  // Per character and per token are the same numbers for characters.
  const r = evaluateStream(job.model, job.tokens.encode(text.slice(0, 300)));
  assert.equal(r.chars, r.tokens);
  assert.equal(r.loss_per_char, r.loss);
});

test('CJK: a Chinese/Japanese corpus trains as characters (rare ones <unk>) and as BPE, samples valid UTF-8, round-trips', async () => {
  const text = cjk(900);
  const distinct = new Set(text).size;
  for (const tokens of [buildTokenizer('char', text, distinct - 2), buildTokenizer('bpe', text, 400), buildTokenizer('byte', text)]) {
    const job = new LmJob({ data: { mode: 'stream', text, source: 'cjk' }, backend: be, settings: settings({ steps: 30 }), arch, tokens });
    const logs: number[] = [];
    const summary = await job.run({ onLog: (l) => logs.push(l.loss) }, QUIET);
    assert.ok(logs[logs.length - 1] < logs[0], `${tokens.kind}: the loss falls`);
    assert.ok(isValidUtf16(summary.sample), `${tokens.kind}: the sample is valid text`);
    assert.ok(/[\u3040-\u30ff\u4e00-\u9fff]/.test(summary.sample), `${tokens.kind}: the sample is Chinese/Japanese: ${summary.sample}`);
    const back = decodeLm(job.encode(), be);
    assert.deepEqual(back.tokens.toJSON(), job.tokens.toJSON());
    const a = generate(new Sampler(job.model, job.tokens, new Rng(9)), { length: 40, prime: '吾輩は' });
    assert.equal(a, generate(new Sampler(back.model, back.tokens, new Rng(9)), { length: 40, prime: '吾輩は' }));
    assert.ok(isValidUtf16(a));
    if (tokens.kind === 'char') {
      assert.equal(job.tokens.size, distinct - 2);
      assert.deepEqual([...job.tokens.encode('龍鯨鷗')].filter((id) => id === job.tokens.size - 1).length >= 2, true, 'the rarest characters are <unk>');
      assert.equal(job.trainCharsPerToken, 1);
    }
  }
});

test('one sequence per line reads characters: other tokens are refused in one sentence', () => {
  assert.throws(() => new LmJob({ data: { mode: 'lines', text: 'anna\nbob\ncarla\ndave\n', source: 't' }, backend: be, settings: settings({ batch: 2 }), arch, tokens: buildTokenizer('bpe', 'anna bob', 260) }),
    /one sequence per line is learned from characters/);
});

test('a BPE run interrupted and resumed from its file ends bit-identical to one run straight through', async () => {
  const data = { mode: 'stream' as const, text: english(800), source: 'test' };
  const quiet: LmCadence = { ...QUIET, val: null, finalSampleLength: 0 };
  const s = settings({ steps: 10 }), tokens = buildTokenizer('bpe', data.text, 280);
  let straight: Uint8Array | null = null, first: Uint8Array | null = null, resumed: Uint8Array | null = null;
  await new LmJob({ data, backend: be, settings: s, arch, tokens }).run({ onSave: (b) => { straight = b; } }, quiet);
  const job1 = new LmJob({ data, backend: be, settings: s, arch, tokens });
  await job1.run({ onSave: (b) => { first = b; }, shouldStop: () => job1.step >= 4 }, quiet);
  const job2 = new LmJob({ data, backend: be, settings: s, resume: decodeLm(first!, be) });
  assert.equal(job2.step, 4);
  await job2.run({ onSave: (b) => { resumed = b; } }, quiet);
  const a = decodeLm(straight!, be), b = decodeLm(resumed!, be);
  assert.deepEqual(b.tokens.toJSON(), a.tokens.toJSON());
  assert.deepEqual(new Uint8Array(b.model.params.data.buffer), new Uint8Array(a.model.params.data.buffer));
});

test('the playground loads character models only: a BPE model file is refused in one sentence naming its tokens', async () => {
  const { Session } = await import('../../../web/src/session.js');
  const text = english(300);
  const job = new LmJob({ data: { mode: 'stream', text, source: 'test' }, backend: be, settings: settings({ steps: 1 }), arch, tokens: buildTokenizer('bpe', text, 270) });
  const play = { cell: 'lstm' as const, activation: 'tanh' as const, hidden: 8, layers: 1, h0: 'zero' as const, seed: 1, seq: 16, batch: 4, lr: 0.01, optimizer: 'adam' as const, clipNorm: 5, clipValue: 0 };
  assert.throws(() => Session.load(job.encode(), be, play, 1), /^Error: the playground reads character models, and this one reads bpe tokens: sample it with recur sample$/);
});
