/**
 * Spectral diagnostics of recurrent weight matrices: eigenvalues, singular values and the growth of
 * ‖W^t h‖. Whether repeated multiplication by W_hh shrinks or blows up a vector (and with it the
 * back-propagated gradient) is governed by these quantities, so the long-term dependency lab and
 * the initialisers share them. Platform-free: only ml-matrix, no Node APIs.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { Rng } from '../util/rng.js';

/** A complex number as [re, im]. */
export type Complex = [number, number];

export interface AnalyzeOptions {
  /** Number of powers for `power_norms` (default 50). */
  T?: number;
  /** Start vector for `power_norms`; a seeded random unit vector when null/absent. */
  h0?: ArrayLike<number> | null;
  rng?: Rng;
}

export interface MatrixAnalysis {
  eigenvalues: Complex[];
  spectral_radius: number;
  singular_values: number[];
  largest_singular_value: number;
  /** σ_max / σ_min; Infinity for a singular matrix. */
  condition_number: number;
  /** ‖W^t h0‖₂ for t = 1..T. */
  power_norms: number[];
}

function checkMatrix(W: ArrayLike<number>, rows: number, cols: number, what: string): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`${what}: bad shape ${rows}×${cols}`);
  }
  if (W.length !== rows * cols) {
    throw new Error(`${what}: expected ${rows}×${cols} = ${rows * cols} entries, got ${W.length}`);
  }
  for (let i = 0; i < W.length; i++) {
    // A single NaN makes the decompositions loop or return garbage silently, so refuse early.
    if (!Number.isFinite(W[i])) {
      throw new Error(`${what}: matrix entry ${i} (row ${Math.floor(i / cols)}, col ${i % cols}) is ${W[i]}`);
    }
  }
}

function toMatrix(W: ArrayLike<number>, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.set(r, c, W[r * cols + c]);
  return m;
}

const modulus = ([re, im]: Complex): number => Math.hypot(re, im);

/**
 * All eigenvalues of a general real n×n row-major matrix, sorted by descending modulus (ties: larger
 * real part first, then positive imaginary part first, so conjugate pairs come out as (a+bi, a−bi)).
 */
export function eigenvalues(W: ArrayLike<number>, n: number): Complex[] {
  checkMatrix(W, n, n, 'eigenvalues');
  if (n === 0) return [];
  // assumeSymmetric: false — recurrent weights are generally non-symmetric; ml-matrix still detects
  // exact symmetry itself and then uses the (more accurate) symmetric algorithm.
  const evd = new EigenvalueDecomposition(toMatrix(W, n, n), { assumeSymmetric: false });
  const re = evd.realEigenvalues;
  const im = evd.imaginaryEigenvalues;
  const eigs: Complex[] = re.map((r, i) => [r + 0, im[i] + 0]); // "+ 0" turns −0 into 0
  return eigs.sort((a, b) => modulus(b) - modulus(a) || b[0] - a[0] || b[1] - a[1]);
}

/** max |λ|; 0 for an empty list. */
export function spectralRadius(eigs: readonly Complex[]): number {
  let rho = 0;
  for (const e of eigs) rho = Math.max(rho, modulus(e));
  return rho;
}

/** Singular values of a rows×cols row-major matrix, descending (min(rows, cols) of them). */
export function singularValues(W: ArrayLike<number>, rows: number, cols: number): number[] {
  checkMatrix(W, rows, cols, 'singularValues');
  if (rows === 0 || cols === 0) return [];
  const svd = new SingularValueDecomposition(toMatrix(W, rows, cols), {
    autoTranspose: true, // ml-matrix's algorithm wants rows ≥ cols
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return svd.diagonal.slice(0, Math.min(rows, cols)).sort((a, b) => b - a);
}

/**
 * ‖W^t h0‖₂ for t = 1..T. With h0 null a random unit vector is drawn (from `rng`, or a generator
 * seeded with 0 so results are reproducible). The iterate is renormalised every step and the scale
 * kept as a logarithm, so long horizons with ρ far from 1 neither overflow in the middle nor lose
 * precision in subnormals; only the final exp can give 0 or Infinity.
 */
export function powerNorms(
  W: ArrayLike<number>, n: number, h0: ArrayLike<number> | null, T: number, rng?: Rng,
): number[] {
  checkMatrix(W, n, n, 'powerNorms');
  if (!Number.isInteger(T) || T < 0) throw new Error(`powerNorms: T must be a non-negative integer, got ${T}`);
  let h: Float64Array;
  if (h0 === null) {
    const g = rng ?? new Rng(0);
    h = new Float64Array(n);
    for (let i = 0; i < n; i++) h[i] = g.normal();
  } else {
    checkMatrix(h0, n, 1, 'powerNorms h0');
    h = Float64Array.from(h0);
  }
  const n0 = l2(h);
  const out: number[] = [];
  if (n0 === 0) return new Array<number>(T).fill(0);
  // A random start is a *unit* vector, so its drawn length is not part of the scale.
  let logScale = h0 === null ? 0 : Math.log(n0);
  for (let i = 0; i < n; i++) h[i] /= n0;
  const next = new Float64Array(n);
  for (let t = 1; t <= T; t++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += W[r * n + c] * h[c];
      next[r] = s;
    }
    const step = l2(next);
    if (step === 0) { while (out.length < T) out.push(0); break; } // W^t h0 stays 0 from here on
    logScale += Math.log(step);
    out.push(Math.exp(logScale));
    for (let i = 0; i < n; i++) h[i] = next[i] / step;
  }
  return out;
}

function l2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** A copy of W scaled so that its spectral radius is exactly rho (used by initialisers). */
export function rescaleToSpectralRadius(W: ArrayLike<number>, n: number, rho: number): Float64Array {
  if (!Number.isFinite(rho) || rho < 0) throw new Error(`rescaleToSpectralRadius: rho must be finite and ≥ 0, got ${rho}`);
  const current = spectralRadius(eigenvalues(W, n));
  // A nilpotent (e.g. zero or strictly triangular) matrix has no scale that reaches rho > 0.
  if (current === 0) throw new Error('rescaleToSpectralRadius: matrix has spectral radius 0 and cannot be rescaled');
  const k = rho / current;
  const out = new Float64Array(n * n);
  for (let i = 0; i < out.length; i++) out[i] = W[i] * k;
  return out;
}

/** Everything the lab shows about one square recurrent matrix. */
export function analyzeMatrix(W: ArrayLike<number>, n: number, opts: AnalyzeOptions = {}): MatrixAnalysis {
  const eigs = eigenvalues(W, n);
  const sv = singularValues(W, n, n);
  const smax = sv.length ? sv[0] : 0;
  const smin = sv.length ? sv[sv.length - 1] : 0;
  return {
    eigenvalues: eigs,
    spectral_radius: spectralRadius(eigs),
    singular_values: sv,
    largest_singular_value: smax,
    condition_number: smin > 0 ? smax / smin : Infinity,
    power_norms: powerNorms(W, n, opts.h0 ?? null, opts.T ?? 50, opts.rng),
  };
}
