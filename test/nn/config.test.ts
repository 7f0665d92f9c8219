import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, makeConfig } from '../../src/nn/config.js';
import { tensorSpecs } from '../../src/nn/model.js';

test('impossible configurations are refused with one clear sentence', () => {
  const cases: [object, RegExp][] = [
    [{ hidden: 0 }, /hidden size must be a positive integer/],
    [{ hidden: 2.5 }, /hidden size/],
    [{ layers: 0 }, /layers/],
    [{ lags: [0] }, /lags must be integers ≥ 2/],
    [{ lags: [1] }, /lags must be integers ≥ 2/],
    [{ lags: [2.5] }, /lags/],
    [{ lags: [3, 3] }, /distinct/],
    [{ cell: 'lstm', lags: [2] }, /lags apply to Elman/],
    [{ cell: 'jordan', bidirectional: true }, /cannot be bidirectional/],
    [{ cell: 'foo' }, /unknown cell/],
    [{ activation: 'gelu' }, /unknown activation/],
    [{ dropout: 1 }, /dropout/],
    [{ h0: 'ones' }, /h0 must be/],
    [{ inputKind: 'dense', embed: 4 }, /embedding needs token inputs/],
    [{ cell: 'jordan', jordanFeed: 'target', outputMode: 'last' }, /teacher forcing/],
  ];
  for (const [partial, re] of cases) {
    assert.throws(() => makeConfig(partial as never), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message) && !(e as Error).message.includes('\n'), JSON.stringify(partial));
  }
});

test('tensor names and shapes follow PyTorch state_dict', () => {
  const specs = tensorSpecs(makeConfig({ cell: 'lstm', hidden: 8, layers: 2, bidirectional: true, inputKind: 'tokens', inputSize: 10, embed: 4, outputSize: 10, h0: 'learned' }));
  const byName = Object.fromEntries(specs.map((s) => [s.name, s.shape]));
  assert.deepEqual(byName['embedding.weight'], [10, 4]);
  assert.deepEqual(byName['rnn.weight_ih_l0'], [32, 4]);
  assert.deepEqual(byName['rnn.weight_hh_l0_reverse'], [32, 8]);
  assert.deepEqual(byName['rnn.weight_ih_l1'], [32, 16]);
  assert.deepEqual(byName['rnn.bias_hh_l1_reverse'], [32]);
  assert.deepEqual(byName['rnn.h0_l1_reverse'], [8]);
  assert.deepEqual(byName['rnn.c0_l0'], [8]);
  assert.deepEqual(byName['decoder.weight'], [10, 16]);
  const jordan = tensorSpecs(makeConfig({ cell: 'elman+jordan', hidden: 5, inputSize: 3, outputSize: 7, lags: [2, 4] })).map((s) => `${s.name}:${s.shape}`);
  assert.ok(jordan.includes('rnn.weight_oh_l0:5,7'));
  assert.ok(jordan.includes('rnn.weight_hh_l0_lag2:5,5') && jordan.includes('rnn.weight_hh_l0_lag4:5,5'));
  const pure = tensorSpecs(makeConfig({ cell: 'jordan', hidden: 5, inputSize: 3, outputSize: 7 })).map((s) => s.name);
  assert.ok(!pure.includes('rnn.weight_hh_l0'), 'a pure Jordan layer has no W_hh');
});
