/**
 * Initial weights. The default is PyTorch's, so that a recur model starts where a PyTorch user's does:
 * every recurrent weight and bias U(−1/√H, 1/√H), the decoder U(−1/√fan_in, 1/√fan_in), the embedding N(0, 1).
 * Alternatives: Xavier (Glorot uniform), orthogonal recurrent blocks (Saxe et al. 2014), identity
 * recurrence (IRNN, Le et al. 2015), and any of them rescaled to a chosen spectral radius of each
 * recurrent [H×H] block (echo-state style), which sets how fast signals grow or fade through time.
 */
import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import type { Rng } from '../util/rng.js';
import type { ModelConfig } from './config.js';
import type { Params, TensorView } from './params.js';

export function initParams(params: Params, config: ModelConfig, rng: Rng): void {
  const H = config.hidden;
  for (const v of params.views) {
    const n = v.name;
    if (n === 'embedding.weight') fillNormal(params, v, rng, 1);
    else if (n.startsWith('decoder.')) fillUniform(params, v, rng, 1 / Math.sqrt(params.view('decoder.weight').shape[1]));
    else if (/^rnn\.(h0|c0)_/.test(n)) params.data.fill(0, v.offset, v.offset + v.size);
    else if (n.startsWith('rnn.')) initRecurrent(params, v, config, rng, H);
  }
  if (config.cell === 'lstm' && config.forgetBias !== null) {
    // PyTorch adds b_ih and b_hh: put the whole forget bias in b_ih and zero b_hh's forget slice.
    for (const v of params.views) {
      const isIh = /^rnn\.bias_ih_/.test(v.name), isHh = /^rnn\.bias_hh_/.test(v.name);
      if (isIh || isHh) params.data.fill(isIh ? config.forgetBias : 0, v.offset + H, v.offset + 2 * H);
    }
  }
  params.touch();
}

function initRecurrent(params: Params, v: TensorView, config: ModelConfig, rng: Rng, H: number): void {
  const bound = 1 / Math.sqrt(H);
  const recurrent = /^rnn\.weight_hh_/.test(v.name);
  const scheme = config.init;
  if (scheme === 'pytorch') fillUniform(params, v, rng, bound);
  else if (/^rnn\.(bias|weight_peephole)_/.test(v.name)) params.data.fill(0, v.offset, v.offset + v.size);
  else if (recurrent && scheme === 'orthogonal') forEachBlock(params, v, H, (set) => set(orthogonal(H, rng)));
  else if (recurrent && scheme === 'identity') forEachBlock(params, v, H, (set) => set(identity(H)));
  else if (scheme === 'identity' && /^rnn\.weight_ih_/.test(v.name)) fillNormal(params, v, rng, 0.001); // Le et al.: small input weights
  else fillXavier(params, v, rng);
  if (recurrent && config.spectralRadius > 0) {
    forEachBlock(params, v, H, (set, get) => set(rescale(get(), H, config.spectralRadius)));
  }
}

/** Visit each [H×H] gate block of a [G·H×H] recurrent matrix. */
function forEachBlock(params: Params, v: TensorView, H: number,
  f: (set: (m: ArrayLike<number>) => void, get: () => Float64Array) => void): void {
  const blocks = v.shape[0] / H;
  for (let g = 0; g < blocks; g++) {
    const off = v.offset + g * H * v.shape[1];
    f((m) => { for (let i = 0; i < H * H; i++) params.data[off + i] = m[i]; },
      () => Float64Array.from(params.data.subarray(off, off + H * H)));
  }
}

function fillUniform(params: Params, v: TensorView, rng: Rng, bound: number): void {
  for (let i = 0; i < v.size; i++) params.data[v.offset + i] = rng.uniform(-bound, bound);
}
function fillNormal(params: Params, v: TensorView, rng: Rng, std: number): void {
  for (let i = 0; i < v.size; i++) params.data[v.offset + i] = std * rng.normal();
}
function fillXavier(params: Params, v: TensorView, rng: Rng): void {
  const [rows, cols] = v.shape.length === 2 ? v.shape : [v.shape[0], 1];
  fillUniform(params, v, rng, Math.sqrt(6 / (rows + cols)));
}

function identity(H: number): Float64Array {
  const m = new Float64Array(H * H);
  for (let i = 0; i < H; i++) m[i * H + i] = 1;
  return m;
}

/** A random orthogonal matrix: Q of the QR factorisation of a Gaussian matrix, signs fixed by diag(R). */
export function orthogonal(H: number, rng: Rng): Float64Array {
  const a = new Matrix(H, H);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) a.set(i, j, rng.normal());
  const qr = new QrDecomposition(a);
  const q = qr.orthogonalMatrix, r = qr.upperTriangularMatrix;
  const out = new Float64Array(H * H);
  for (let j = 0; j < H; j++) {
    const s = r.get(j, j) < 0 ? -1 : 1;
    for (let i = 0; i < H; i++) out[i * H + j] = s * q.get(i, j);
  }
  return out;
}

/** Scale an H×H matrix so that its largest |eigenvalue| equals rho. */
export function rescale(m: Float64Array, H: number, rho: number): Float64Array {
  const e = new EigenvalueDecomposition(new Matrix(Array.from({ length: H }, (_, i) => Array.from(m.subarray(i * H, (i + 1) * H)))));
  let radius = 0;
  e.realEigenvalues.forEach((re, i) => { radius = Math.max(radius, Math.hypot(re, e.imaginaryEigenvalues[i])); });
  if (radius === 0) return m;
  return m.map((x) => (x * rho) / radius);
}
