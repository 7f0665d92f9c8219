import assert from 'node:assert/strict';

/** Element-wise |a − e| ≤ abs + rel·|e| (PyTorch parity tolerance by default: rel 1e-4, abs 1e-5). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 1e-4, abs = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) assert.fail(`${what}[${i}]: got ${a}, expected ${e}`);
  }
}
