/**
 * W6's pieces (never its speed): the word ids the benchmark computes for itself (bench/words.ts), recur's
 * side on a tiny word-level model with an embedding, and the plan's W6 cells (PyTorch beside recur, the
 * JS peers left out, room for a slow step even in --quick).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpusFor } from '../../bench/corpus.js';
import { planCells } from '../../bench/plan.js';
import { runRecur } from '../../bench/recur.js';
import { WORKLOADS, type TrainSpec, type Window } from '../../bench/workloads.js';
import { wordIds } from '../../bench/words.js';

test('word ids: letters, digits and single marks are words; <unk> then the most frequent, ties in code-point order', () => {
  const { words, ids } = wordIds('the cat, the dog; the cat\u2019s 42 dogs\tb a', 6);
  // counts: the 3, cat 2, then 1 each: , ; ’ s 42 dogs b a dog → ties in code-point order: ",", "42", ";", "a", "b"
  assert.deepEqual(words, ['<unk>', 'the', 'cat', ',', '42', ';']);
  assert.deepEqual([...ids], [1, 2, 3, 1, 0, 5, 1, 2, 0, 0, 4, 0, 0, 0]);
});

const TINY: Window = { warmupSeconds: 0, warmupSteps: 1, measureSeconds: 0, capSeconds: 5 };

test('recur W6 (tiny): a word-level model with an embedding trains on the words of the text', async () => {
  const text = 'call me ishmael. some years ago, never mind how long precisely, having little or no money. '.repeat(30);
  const spec: TrainSpec = { ...(WORKLOADS.W6 as TrainSpec), hidden: 8, embed: 4, batch: 2, seq: 5, words: 12 };
  const corpus = corpusFor(spec, text);
  assert.equal(corpus.size, 12);
  assert.equal(corpus.train.length + corpus.val.length, text.match(/[a-z]+|[.,]/g)!.length);
  const r = await runRecur({ spec, threads: 1, window: TINY, quality: 0, backend: 'js', seed: 3 }, corpus);
  assert.ok(r.charsPerSec! > 0 && r.trainLoss! > 0 && r.trainLoss! < 2 * Math.log(12), JSON.stringify(r));
  assert.ok(r.peakRssMB! > 0);
});

test('plan: W6 beside PyTorch only, JS backend left out of the default run, a limit that fits one slow step', () => {
  const cells = planCells({
    workloads: ['W6'], peers: ['recur', 'torch', 'numpy', 'tfjs', 'brain'], recurBackends: ['native', 'wasm', 'js'],
    threads: [1, 2], quick: true, quality: false, gemm: false, unavailable: {}, explicit: false,
  });
  assert.deepEqual([...new Set(cells.map((c) => c.peer))], ['recur', 'torch']);
  assert.match(cells.find((c) => c.backend === 'js')!.skip!, /default run/);
  assert.ok(cells.every((c) => c.timeoutSeconds >= 300));
  const w2 = planCells({ workloads: ['W2'], peers: ['recur'], recurBackends: ['native'], threads: [1], quick: true, quality: false, gemm: false, unavailable: {}, explicit: false });
  assert.equal(w2[0].timeoutSeconds, 25);
});
