import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyzeMatrix, eigenvalues, powerNorms, rescaleToSpectralRadius, singularValues, spectralRadius, type Complex,
} from '../../src/analysis/spectrum.js';
import { Rng } from '../../src/util/rng.js';

const close = (a: number, b: number, tol = 1e-10, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), msg ?? `${a} ≉ ${b}`);

function assertEigs(got: Complex[], want: Complex[], tol = 1e-10): void {
  assert.equal(got.length, want.length);
  got.forEach(([re, im], i) => {
    close(re, want[i][0], tol, `re[${i}]: ${re} ≉ ${want[i][0]}`);
    close(im, want[i][1], tol, `im[${i}]: ${im} ≉ ${want[i][1]}`);
  });
}

const randomMatrix = (n: number, seed: number, scale = 1): number[] => {
  const r = new Rng(seed);
  return Array.from({ length: n * n }, () => scale * r.normal());
};

/** det(A) of a complex n×n matrix (row-major re/im parts) by Gaussian elimination with partial pivoting. */
function complexDet(re: number[], im: number[], n: number): Complex {
  const a = re.slice(), b = im.slice();
  let dr = 1, di = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let r = k + 1; r < n; r++) if (Math.hypot(a[r * n + k], b[r * n + k]) > Math.hypot(a[p * n + k], b[p * n + k])) p = r;
    if (p !== k) {
      for (let c = 0; c < n; c++) {
        [a[k * n + c], a[p * n + c]] = [a[p * n + c], a[k * n + c]];
        [b[k * n + c], b[p * n + c]] = [b[p * n + c], b[k * n + c]];
      }
      dr = -dr; di = -di;
    }
    const pr = a[k * n + k], pi = b[k * n + k];
    [dr, di] = [dr * pr - di * pi, dr * pi + di * pr];
    const m2 = pr * pr + pi * pi;
    if (m2 === 0) return [0, 0];
    for (let r = k + 1; r < n; r++) {
      // f = A[r][k] / A[k][k]
      const xr = a[r * n + k], xi = b[r * n + k];
      const fr = (xr * pr + xi * pi) / m2, fi = (xi * pr - xr * pi) / m2;
      for (let c = k; c < n; c++) {
        const yr = a[k * n + c], yi = b[k * n + c];
        a[r * n + c] -= fr * yr - fi * yi;
        b[r * n + c] -= fr * yi + fi * yr;
      }
    }
  }
  return [dr, di];
}

test('rotation by θ has eigenvalues e^{±iθ} and spectral radius 1', () => {
  const th = 0.7;
  const R = [Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)];
  const e = eigenvalues(R, 2);
  assertEigs(e, [[Math.cos(th), Math.sin(th)], [Math.cos(th), -Math.sin(th)]]);
  close(spectralRadius(e), 1);
});

test('diagonal matrix: its diagonal, sorted by descending modulus', () => {
  const D = [3, 0, 0, 0, -5, 0, 0, 0, 0.5];
  assertEigs(eigenvalues(D, 3), [[-5, 0], [3, 0], [0.5, 0]]);
});

test('symmetric matrices match known eigenvalues', () => {
  assertEigs(eigenvalues([2, 1, 1, 2], 2), [[3, 0], [1, 0]]);
  // The 1-D discrete Laplacian: 2 − 2cos(kπ/4), k = 3, 2, 1.
  assertEigs(eigenvalues([2, -1, 0, -1, 2, -1, 0, -1, 2], 3), [[2 + Math.SQRT2, 0], [2, 0], [2 - Math.SQRT2, 0]]);
});

test('defective Jordan block [[2,1],[0,2]] has eigenvalue 2 twice', () => {
  assertEigs(eigenvalues([2, 1, 0, 2], 2), [[2, 0], [2, 0]], 1e-7);
});

test('random 6×6: every λ is a root of det(W − λI), with a complex-conjugate pair', () => {
  const n = 6;
  const W = randomMatrix(n, 7);
  const e = eigenvalues(W, n);
  assert.equal(e.length, n);
  const complex = e.filter(([, im]) => Math.abs(im) > 1e-6);
  assert.ok(complex.length >= 2, 'seed should give at least one complex pair');
  // Complex eigenvalues of a real matrix come in conjugate pairs.
  for (const [re, im] of complex) assert.ok(complex.some(([r2, i2]) => Math.abs(r2 - re) < 1e-9 && Math.abs(i2 + im) < 1e-9));
  // Sorted by descending modulus.
  for (let i = 1; i < n; i++) assert.ok(Math.hypot(...e[i - 1]) >= Math.hypot(...e[i]) - 1e-12);

  const charPoly = ([lr, li]: Complex): number => {
    const re = W.slice(), im = new Array<number>(n * n).fill(0);
    for (let i = 0; i < n; i++) { re[i * n + i] -= lr; im[i * n + i] = -li; }
    return Math.hypot(...complexDet(re, im, n));
  };
  const tol = 1e-12 * (2 * Math.hypot(...W)) ** n;
  for (const [lr, li] of e) {
    assert.ok(charPoly([lr, li]) < tol, `|det(W − λI)| = ${charPoly([lr, li])} for λ = ${lr}+${li}i`);
    assert.ok(charPoly([lr + 1e-3, li]) > 10 * tol, 'tolerance must be tight enough to reject a wrong λ');
  }
  // Characteristic-polynomial coefficients: Σλ = trace, Πλ = det.
  let tr = 0;
  for (let i = 0; i < n; i++) tr += W[i * n + i];
  close(e.reduce((s, [r]) => s + r, 0), tr, 1e-10);
  const prod = e.reduce<Complex>(([ar, ai], [br, bi]) => [ar * br - ai * bi, ar * bi + ai * br], [1, 0]);
  const det = complexDet(W, new Array<number>(n * n).fill(0), n);
  close(prod[0], det[0], 1e-9);
  assert.ok(Math.abs(prod[1]) < 1e-9 * Math.max(1, Math.abs(det[0])));
});

test('singular values of known matrices, descending', () => {
  const sv = singularValues([3, 0, 4, 5], 2, 2); // AᵀA = [[25,20],[20,25]] → 45, 5
  close(sv[0], Math.sqrt(45)); close(sv[1], Math.sqrt(5));
  const wide = singularValues([1, 0, 0, 0, 2, 0], 2, 3); // more columns than rows
  assert.equal(wide.length, 2);
  close(wide[0], 2); close(wide[1], 1);
  const tall = singularValues([0, 1, 3, 0, 0, 0], 3, 2);
  close(tall[0], 3); close(tall[1], 1);
});

test('powerNorms of a scaled orthogonal matrix follow ρ^t', () => {
  // ρ · (rotation in the (0,1) plane ⊕ reflection of axis 2): ‖(ρQ)^t h‖ = ρ^t ‖h‖.
  const c = Math.cos(1.1), s = Math.sin(1.1);
  for (const rho of [0.9, 1.05]) {
    const W = [c, -s, 0, s, c, 0, 0, 0, -1].map((v) => rho * v);
    const given = powerNorms(W, 3, [1, 2, 2], 100); // ‖h0‖ = 3
    assert.equal(given.length, 100);
    given.forEach((v, i) => close(v, 3 * rho ** (i + 1), 1e-10));
    const random = powerNorms(W, 3, null, 40, new Rng(5)); // random unit start
    random.forEach((v, i) => close(v, rho ** (i + 1), 1e-10));
  }
  // Long horizons: no overflow or NaN on the way, only an honest Infinity / 0 at the end.
  const big = powerNorms([10, 0, 0, 10], 2, [1, 0], 400);
  close(big[299], 1e300, 1e-9);
  assert.equal(big[399], Infinity);
  assert.equal(powerNorms([0.1, 0, 0, 0.1], 2, [1, 0], 400)[399], 0);
});

test('powerNorms: seeded start is reproducible, nilpotent matrices reach exactly 0', () => {
  const W = randomMatrix(5, 1, 0.5);
  assert.deepEqual(powerNorms(W, 5, null, 10), powerNorms(W, 5, null, 10)); // default seed
  assert.deepEqual(powerNorms(W, 5, null, 10, new Rng(9)), powerNorms(W, 5, null, 10, new Rng(9)));
  assert.deepEqual(powerNorms([0, 1, 0, 0], 2, [0, 1], 3), [1, 0, 0]);
  assert.deepEqual(powerNorms([1, 0, 0, 1], 2, [0, 0], 2), [0, 0]);
});

test('rescaleToSpectralRadius hits the target and leaves the input alone', () => {
  const W = randomMatrix(8, 3);
  const before = W.slice();
  const R = rescaleToSpectralRadius(W, 8, 0.9);
  assert.ok(R instanceof Float64Array);
  close(spectralRadius(eigenvalues(R, 8)), 0.9, 1e-10);
  assert.deepEqual(W, before);
  assert.throws(() => rescaleToSpectralRadius([0, 1, 0, 0], 2, 1), /spectral radius 0/);
  assert.throws(() => rescaleToSpectralRadius(W, 8, NaN), /rho/);
});

test('analyzeMatrix summarises a diagonal matrix', () => {
  const a = analyzeMatrix([2, 0, 0, 0.5], 2, { T: 5, h0: [1, 0] });
  close(a.spectral_radius, 2);
  assert.deepEqual(a.singular_values.map((v) => +v.toFixed(12)), [2, 0.5]);
  close(a.largest_singular_value, 2);
  close(a.condition_number, 4);
  assert.deepEqual(a.power_norms.map((v) => +v.toFixed(9)), [2, 4, 8, 16, 32]);
  assert.equal(analyzeMatrix([1, 1, 1, 1], 2).condition_number > 1e12, true); // singular
  assert.equal(analyzeMatrix([1, 0, 0, 1], 2).power_norms.length, 50);
});

test('non-finite or mis-shaped input is refused with a clear error', () => {
  assert.throws(() => eigenvalues([1, NaN, 0, 1], 2), /entry 1 \(row 0, col 1\) is NaN/);
  assert.throws(() => singularValues([1, 0, Infinity, 1], 2, 2), /Infinity/);
  assert.throws(() => powerNorms([1, 0, 0, 1], 2, [1, -Infinity], 3), /-Infinity/);
  assert.throws(() => analyzeMatrix([1, 2, 3], 2), /expected 2×2 = 4 entries, got 3/);
  assert.throws(() => powerNorms([1], 1, null, -1), /T must be/);
  assert.deepEqual(eigenvalues([], 0), []);
});
