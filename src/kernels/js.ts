/**
 * The plain TypeScript reference backend: every kernel written as the equation says,
 * for float32 or float64 buffers. It is the oracle the fast backends are tested against.
 */
import type { Activation, Backend, Buf, DType } from './backend.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** A masked LSTM row's backward: the state was held, so its gradients pass through unchanged. */
function holdLstmRow(H: number, dh: Buf, d: number, dc: Buf, dco: number, dgates: Buf, dg: number, dcPrev: Buf, dcp: number,
  dhPrev: Buf, hp: number): void {
  for (let j = 0; j < H; j++) {
    dhPrev[hp + j] += dh[d + j];
    dcPrev[dcp + j] = dc[dco + j];
  }
  dgates.fill(0, dg, dg + 4 * H);
}

export class JsBackend implements Backend {
  readonly name = 'js';
  constructor(readonly dtype: DType = 'f32') {}

  alloc(n: number): Buf {
    return this.dtype === 'f64' ? new Float64Array(n) : new Float32Array(n);
  }
  free(_buf: Buf): void {}

  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    A: Buf, aOff: number, lda: number, B: Buf, bOff: number, ldb: number,
    beta: number, C: Buf, cOff: number, ldc: number,
  ): void {
    // Scale C first, then accumulate alpha·op(A)·op(B) with loops ordered for unit stride.
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * ldc;
      if (beta === 0) for (let j = 0; j < n; j++) C[ci + j] = 0;
      else if (beta !== 1) for (let j = 0; j < n; j++) C[ci + j] *= beta;
    }
    if (k === 0 || alpha === 0) return;
    if (!transB) {
      // C[i, :] += a(i, p) · B[p, :]
      for (let i = 0; i < m; i++) {
        const ci = cOff + i * ldc;
        for (let p = 0; p < k; p++) {
          const a = alpha * (transA ? A[aOff + p * lda + i] : A[aOff + i * lda + p]);
          if (a === 0) continue;
          const bp = bOff + p * ldb;
          for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j];
        }
      }
    } else {
      // C[i, j] += ⟨A row i, B row j⟩
      for (let i = 0; i < m; i++) {
        const ci = cOff + i * ldc;
        for (let j = 0; j < n; j++) {
          const bj = bOff + j * ldb;
          let s = 0;
          if (transA) for (let p = 0; p < k; p++) s += A[aOff + p * lda + i] * B[bj + p];
          else {
            const ai = aOff + i * lda;
            for (let p = 0; p < k; p++) s += A[ai + p] * B[bj + p];
          }
          C[ci + j] += alpha * s;
        }
      }
    }
  }

  addRowVector(C: Buf, cOff: number, rows: number, cols: number, ldc: number, bias: Buf, bOff: number): void {
    for (let r = 0; r < rows; r++) {
      const o = cOff + r * ldc;
      for (let j = 0; j < cols; j++) C[o + j] += bias[bOff + j];
    }
  }

  sumRows(src: Buf, sOff: number, rows: number, cols: number, lds: number, dst: Buf, dOff: number): void {
    for (let r = 0; r < rows; r++) {
      const o = sOff + r * lds;
      for (let j = 0; j < cols; j++) dst[dOff + j] += src[o + j];
    }
  }

  gatherRows(table: Buf, dim: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void {
    for (let i = 0; i < n; i++) {
      const id = ids[idOff + i], o = dOff + i * ldd;
      if (id < 0) { for (let j = 0; j < dim; j++) dst[o + j] = beta === 0 ? 0 : beta * dst[o + j]; continue; }
      const t = id * dim;
      for (let j = 0; j < dim; j++) dst[o + j] = (beta === 0 ? 0 : beta * dst[o + j]) + table[t + j];
    }
  }

  scatterAddRows(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, table: Buf, dim: number): void {
    for (let i = 0; i < n; i++) {
      const id = ids[idOff + i];
      if (id < 0) continue;
      const o = sOff + i * lds, t = id * dim;
      for (let j = 0; j < dim; j++) table[t + j] += src[o + j];
    }
  }

  gatherCols(W: Buf, rows: number, cols: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void {
    for (let i = 0; i < n; i++) {
      const id = ids[idOff + i], o = dOff + i * ldd;
      for (let r = 0; r < rows; r++) {
        const prev = beta === 0 ? 0 : beta * dst[o + r];
        dst[o + r] = id < 0 ? prev : prev + W[r * cols + id];
      }
    }
  }

  scatterAddCols(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, W: Buf, rows: number, cols: number): void {
    for (let i = 0; i < n; i++) {
      const id = ids[idOff + i];
      if (id < 0) continue;
      const o = sOff + i * lds;
      for (let r = 0; r < rows; r++) W[r * cols + id] += src[o + r];
    }
  }

  elmanForward(act: Activation, B: number, H: number, pre: Buf, preOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const p = preOff + b * H, o = hOff + b * H, q = hPrevOff + b * H;
      if (mask && mask[maskOff + b] === 0) { for (let j = 0; j < H; j++) h[o + j] = hPrev[q + j]; continue; }
      for (let j = 0; j < H; j++) {
        const x = pre[p + j];
        h[o + j] = act === 'tanh' ? Math.tanh(x) : act === 'sigmoid' ? sigmoid(x) : act === 'relu' ? (x > 0 ? x : 0) : x;
      }
    }
  }

  elmanBackward(act: Activation, B: number, H: number, h: Buf, hOff: number, dh: Buf, dhOff: number,
    dpre: Buf, dpreOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const o = hOff + b * H, d = dhOff + b * H, p = dpreOff + b * H;
      if (mask && mask[maskOff + b] === 0) {
        const q = dhPrevOff + b * H;
        for (let j = 0; j < H; j++) { dpre[p + j] = 0; dhPrev[q + j] += dh[d + j]; }
        continue;
      }
      for (let j = 0; j < H; j++) {
        const y = h[o + j];
        const dy = act === 'tanh' ? 1 - y * y : act === 'sigmoid' ? y * (1 - y) : act === 'relu' ? (y > 0 ? 1 : 0) : 1;
        dpre[p + j] = dy * dh[d + j];
      }
    }
  }

  lstmForward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const g = gOff + b * 4 * H, cp = cPrevOff + b * H, co = cOff + b * H, ho = hOff + b * H, hp = hPrevOff + b * H;
      const held = mask !== null && mask[maskOff + b] === 0;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[g + j]);
        const f = sigmoid(gates[g + H + j]);
        const gg = Math.tanh(gates[g + 2 * H + j]);
        const o = sigmoid(gates[g + 3 * H + j]);
        gates[g + j] = i; gates[g + H + j] = f; gates[g + 2 * H + j] = gg; gates[g + 3 * H + j] = o;
        if (held) { c[co + j] = cPrev[cp + j]; h[ho + j] = hPrev[hp + j]; continue; }
        const cn = f * cPrev[cp + j] + i * gg;
        c[co + j] = cn;
        h[ho + j] = o * Math.tanh(cn);
      }
    }
  }

  lstmBackward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    dh: Buf, dhOff: number, dc: Buf, dcOff: number, dgates: Buf, dgOff: number, dcPrev: Buf, dcPrevOff: number,
    dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const g = gOff + b * 4 * H, dg = dgOff + b * 4 * H, cp = cPrevOff + b * H, co = cOff + b * H;
      const d = dhOff + b * H, dco = dcOff + b * H, dcp = dcPrevOff + b * H;
      if (mask !== null && mask[maskOff + b] === 0) {
        holdLstmRow(H, dh, d, dc, dco, dgates, dg, dcPrev, dcp, dhPrev, dhPrevOff + b * H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const i = gates[g + j], f = gates[g + H + j], gg = gates[g + 2 * H + j], o = gates[g + 3 * H + j];
        const tc = Math.tanh(c[co + j]);
        const dhj = dh[d + j];
        // h = o·tanh(c): dc_total = dc_future + dh·o·(1 − tanh²c)
        const dct = dc[dco + j] + dhj * o * (1 - tc * tc);
        dgates[dg + j] = dct * gg * i * (1 - i);               // di · σ'
        dgates[dg + H + j] = dct * cPrev[cp + j] * f * (1 - f); // df · σ'
        dgates[dg + 2 * H + j] = dct * i * (1 - gg * gg);       // dg · tanh'
        dgates[dg + 3 * H + j] = dhj * tc * o * (1 - o);        // do · σ'
        dcPrev[dcp + j] = dct * f;
      }
    }
  }

  lstmPeepholeForward(B: number, H: number, gates: Buf, gOff: number, peep: Buf, pOff: number, cPrev: Buf, cPrevOff: number,
    c: Buf, cOff: number, hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void {
    const pi = pOff, pf = pOff + H, po = pOff + 2 * H;
    for (let b = 0; b < B; b++) {
      const g = gOff + b * 4 * H, cp = cPrevOff + b * H, co = cOff + b * H, ho = hOff + b * H, hp = hPrevOff + b * H;
      const held = mask !== null && mask[maskOff + b] === 0;
      for (let j = 0; j < H; j++) {
        const cPrevJ = cPrev[cp + j];
        const i = sigmoid(gates[g + j] + peep[pi + j] * cPrevJ);
        const f = sigmoid(gates[g + H + j] + peep[pf + j] * cPrevJ);
        const gg = Math.tanh(gates[g + 2 * H + j]);
        const cn = f * cPrevJ + i * gg;
        const o = sigmoid(gates[g + 3 * H + j] + peep[po + j] * cn);
        gates[g + j] = i; gates[g + H + j] = f; gates[g + 2 * H + j] = gg; gates[g + 3 * H + j] = o;
        c[co + j] = held ? cPrevJ : cn;
        h[ho + j] = held ? hPrev[hp + j] : o * Math.tanh(cn);
      }
    }
  }

  lstmPeepholeBackward(B: number, H: number, gates: Buf, gOff: number, peep: Buf, pOff: number, cPrev: Buf, cPrevOff: number,
    c: Buf, cOff: number, dh: Buf, dhOff: number, dc: Buf, dcOff: number, dgates: Buf, dgOff: number, dcPrev: Buf, dcPrevOff: number,
    dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    const pi = pOff, pf = pOff + H, po = pOff + 2 * H;
    for (let b = 0; b < B; b++) {
      const g = gOff + b * 4 * H, dg = dgOff + b * 4 * H, d = dhOff + b * H, dco = dcOff + b * H, dcp = dcPrevOff + b * H;
      if (mask !== null && mask[maskOff + b] === 0) {
        holdLstmRow(H, dh, d, dc, dco, dgates, dg, dcPrev, dcp, dhPrev, dhPrevOff + b * H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const i = gates[g + j], f = gates[g + H + j], gg = gates[g + 2 * H + j], o = gates[g + 3 * H + j];
        const tc = Math.tanh(c[cOff + b * H + j]), cPrevJ = cPrev[cPrevOff + b * H + j], dhj = dh[d + j];
        // o reads c_t through its peephole: c's total gradient gains do'·p_o besides h's and the future's
        const dO = dhj * tc * o * (1 - o);
        const dct = dc[dco + j] + dhj * o * (1 - tc * tc) + dO * peep[po + j];
        const dI = dct * gg * i * (1 - i), dF = dct * cPrevJ * f * (1 - f);
        dgates[dg + j] = dI;
        dgates[dg + H + j] = dF;
        dgates[dg + 2 * H + j] = dct * i * (1 - gg * gg);
        dgates[dg + 3 * H + j] = dO;
        // c_{t−1} enters c_t through f and i, f through their peepholes
        dcPrev[dcp + j] = dct * f + dI * peep[pi + j] + dF * peep[pf + j];
      }
    }
  }

  lstmPeepholeGrads(rows: number, H: number, dgates: Buf, dgOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    dpeep: Buf, dpOff: number): void {
    for (let r = 0; r < rows; r++) {
      const dg = dgOff + r * 4 * H, cp = cPrevOff + r * H, co = cOff + r * H;
      for (let j = 0; j < H; j++) {
        dpeep[dpOff + j] += dgates[dg + j] * cPrev[cp + j];
        dpeep[dpOff + H + j] += dgates[dg + H + j] * cPrev[cp + j];
        dpeep[dpOff + 2 * H + j] += dgates[dg + 3 * H + j] * c[co + j];
      }
    }
  }

  gruForward(B: number, H: number, xg: Buf, xgOff: number, hg: Buf, hgOff: number, hPrev: Buf, hPrevOff: number,
    h: Buf, hOff: number, cache: Buf, cacheOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const x = xgOff + b * 3 * H, hh = hgOff + b * 3 * H, hp = hPrevOff + b * H, ho = hOff + b * H, k = cacheOff + b * 4 * H;
      const held = mask !== null && mask[maskOff + b] === 0;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(xg[x + j] + hg[hh + j]);
        const z = sigmoid(xg[x + H + j] + hg[hh + H + j]);
        const hn = hg[hh + 2 * H + j];
        const n = Math.tanh(xg[x + 2 * H + j] + r * hn);
        cache[k + j] = r; cache[k + H + j] = z; cache[k + 2 * H + j] = n; cache[k + 3 * H + j] = hn;
        h[ho + j] = held ? hPrev[hp + j] : (1 - z) * n + z * hPrev[hp + j];
      }
    }
  }

  gruBackward(B: number, H: number, hPrev: Buf, hPrevOff: number, cache: Buf, cacheOff: number, dh: Buf, dhOff: number,
    dxg: Buf, dxgOff: number, dhg: Buf, dhgOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const x = dxgOff + b * 3 * H, hh = dhgOff + b * 3 * H, hp = hPrevOff + b * H, k = cacheOff + b * 4 * H;
      const d = dhOff + b * H, dp = dhPrevOff + b * H;
      if (mask !== null && mask[maskOff + b] === 0) {
        for (let j = 0; j < H; j++) {
          dhPrev[dp + j] += dh[d + j];
          dxg[x + j] = 0; dxg[x + H + j] = 0; dxg[x + 2 * H + j] = 0;
          dhg[hh + j] = 0; dhg[hh + H + j] = 0; dhg[hh + 2 * H + j] = 0;
        }
        continue;
      }
      for (let j = 0; j < H; j++) {
        const r = cache[k + j], z = cache[k + H + j], n = cache[k + 2 * H + j], hn = cache[k + 3 * H + j];
        const g = dh[d + j];
        const dn = g * (1 - z) * (1 - n * n);     // through tanh
        const dz = g * (hPrev[hp + j] - n) * z * (1 - z);
        const dr = dn * hn * r * (1 - r);
        dxg[x + j] = dr; dxg[x + H + j] = dz; dxg[x + 2 * H + j] = dn;
        dhg[hh + j] = dr; dhg[hh + H + j] = dz; dhg[hh + 2 * H + j] = dn * r;
        dhPrev[dp + j] += g * z;
      }
    }
  }

  softmax(rows: number, cols: number, x: Buf, xOff: number, out: Buf, outOff: number, temperature: number): void {
    const inv = 1 / temperature;
    for (let r = 0; r < rows; r++) {
      const xi = xOff + r * cols, oi = outOff + r * cols;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) mx = Math.max(mx, x[xi + j] * inv);
      let s = 0;
      for (let j = 0; j < cols; j++) { const e = Math.exp(x[xi + j] * inv - mx); out[oi + j] = e; s += e; }
      const is = 1 / s;
      for (let j = 0; j < cols; j++) out[oi + j] *= is;
    }
  }

  softmaxBackward(rows: number, cols: number, p: Buf, pOff: number, dp: Buf, dpOff: number, dx: Buf, dxOff: number, accumulate: boolean): void {
    for (let r = 0; r < rows; r++) {
      const pi = pOff + r * cols, di = dpOff + r * cols, xi = dxOff + r * cols;
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += p[pi + j] * dp[di + j];
      for (let j = 0; j < cols; j++) {
        const v = p[pi + j] * (dp[di + j] - dot);
        dx[xi + j] = accumulate ? dx[xi + j] + v : v;
      }
    }
  }

  softmaxCrossEntropy(rows: number, cols: number, logits: Buf, lOff: number, targets: Int32Array, tOff: number,
    dlogits: Buf | null, dOff: number, scale: number): number {
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const li = lOff + r * cols, t = targets[tOff + r];
      const di = dOff + r * cols;
      if (t < 0) { if (dlogits) for (let j = 0; j < cols; j++) dlogits[di + j] = 0; continue; }
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) if (logits[li + j] > mx) mx = logits[li + j];
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(logits[li + j] - mx);
      const lse = mx + Math.log(s);
      loss += lse - logits[li + t];
      if (dlogits) {
        for (let j = 0; j < cols; j++) dlogits[di + j] = scale * Math.exp(logits[li + j] - lse);
        dlogits[di + t] -= scale;
      }
    }
    return loss;
  }

  squaredError(n: number, pred: Buf, pOff: number, target: Buf, tOff: number, weight: Buf | null, wOff: number,
    dpred: Buf | null, dOff: number, scale: number): number {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const w = weight ? weight[wOff + i] : 1;
      const e = w === 0 ? 0 : pred[pOff + i] - target[tOff + i];
      loss += e * e;
      if (dpred) dpred[dOff + i] = 2 * scale * e;
    }
    return loss;
  }

  fill(x: Buf, off: number, n: number, value: number): void { x.fill(value, off, off + n); }
  copy(n: number, src: Buf, sOff: number, dst: Buf, dOff: number): void {
    for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
  }
  axpy(n: number, a: number, x: Buf, xOff: number, y: Buf, yOff: number): void {
    for (let i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
  }
  scale(n: number, a: number, x: Buf, xOff: number): void {
    for (let i = 0; i < n; i++) x[xOff + i] *= a;
  }
  mul(n: number, x: Buf, xOff: number, m: Buf, mOff: number, out: Buf, outOff: number): void {
    for (let i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * m[mOff + i];
  }
  sumSquares(n: number, x: Buf, off: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[off + i] * x[off + i];
    return s;
  }
  clampAbs(n: number, x: Buf, off: number, t: number): void {
    for (let i = off; i < off + n; i++) {
      if (x[i] > t) x[i] = t;
      else if (x[i] < -t) x[i] = -t;
    }
  }

  sgdStep(n: number, p: Buf, g: Buf, v: Buf | null, lr: number, momentum: number, nesterov: boolean, weightDecay: number, first: boolean): void {
    for (let i = 0; i < n; i++) {
      let d = g[i] + weightDecay * p[i];
      if (v && momentum !== 0) {
        const vi = first ? d : momentum * v[i] + d;
        v[i] = vi;
        d = nesterov ? d + momentum * vi : vi;
      }
      p[i] -= lr * d;
    }
  }
  adagradStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, eps: number, weightDecay: number): void {
    for (let i = 0; i < n; i++) {
      const d = g[i] + weightDecay * p[i];
      s[i] += d * d;
      p[i] -= lr * d / (Math.sqrt(s[i]) + eps);
    }
  }
  rmspropStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, alpha: number, eps: number, weightDecay: number): void {
    for (let i = 0; i < n; i++) {
      const d = g[i] + weightDecay * p[i];
      s[i] = alpha * s[i] + (1 - alpha) * d * d;
      p[i] -= lr * d / (Math.sqrt(s[i]) + eps);
    }
  }
  adamStep(n: number, p: Buf, g: Buf, m: Buf, v: Buf, beta1: number, beta2: number, eps: number, stepSize: number,
    invSq: number, decay: number, l2: number): void {
    for (let i = 0; i < n; i++) {
      const d = g[i] + l2 * p[i];
      p[i] *= decay;
      m[i] = beta1 * m[i] + (1 - beta1) * d;
      v[i] = beta2 * v[i] + (1 - beta2) * d * d;
      p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) * invSq + eps);
    }
  }

  // ------------------------------------------------------------------------------------------ attention

  maskedSoftmax(T: number, B: number, S: number, x: Buf, xOff: number, out: Buf, outOff: number, lengths: Int32Array, lOff: number): void {
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      const xi = xOff + (t * B + b) * S, oi = outOff + (t * B + b) * S, n = Math.min(S, Math.max(0, lengths[lOff + b]));
      let mx = -Infinity;
      for (let s = 0; s < n; s++) mx = Math.max(mx, x[xi + s]);
      let sum = 0;
      for (let s = 0; s < n; s++) { const e = Math.exp(x[xi + s] - mx); out[oi + s] = e; sum += e; }
      for (let s = 0; s < n; s++) out[oi + s] /= sum;
      for (let s = n; s < S; s++) out[oi + s] = 0;
    }
  }

  additiveScore(T: number, B: number, S: number, A: number, q: Buf, qOff: number, k: Buf, kOff: number, v: Buf, vOff: number,
    out: Buf, outOff: number): void {
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
      const qi = qOff + (t * B + b) * A, ki = kOff + (s * B + b) * A;
      let sum = 0;
      for (let a = 0; a < A; a++) sum += v[vOff + a] * Math.tanh(q[qi + a] + k[ki + a]);
      out[outOff + (t * B + b) * S + s] = sum;
    }
  }

  additiveScoreBackward(T: number, B: number, S: number, A: number, q: Buf, qOff: number, k: Buf, kOff: number, v: Buf, vOff: number,
    dout: Buf, dOff: number, dq: Buf, dqOff: number, dk: Buf, dkOff: number, dv: Buf, dvOff: number): void {
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
      const qi = (t * B + b) * A, ki = (s * B + b) * A, d = dout[dOff + (t * B + b) * S + s];
      for (let a = 0; a < A; a++) {
        const e = Math.tanh(q[qOff + qi + a] + k[kOff + ki + a]), g = d * v[vOff + a] * (1 - e * e);
        dq[dqOff + qi + a] += g;
        dk[dkOff + ki + a] += g;
        dv[dvOff + a] += d * e;
      }
    }
  }

  // GRU with the reset gate before the recurrent product (table.ts: gruReset*).
  gruResetGates(B: number, H: number, xg: Buf, xgOff: number, hrz: Buf, hrzOff: number, hPrev: Buf, hPrevOff: number,
    cache: Buf, cacheOff: number, rh: Buf, rhOff: number): void {
    for (let b = 0; b < B; b++) {
      const k = cacheOff + b * 3 * H, x = xgOff + b * 3 * H, hr = hrzOff + b * 2 * H, hp = hPrevOff + b * H;
      for (let j = 0; j < H; j++) {
        cache[k + j] = sigmoid(xg[x + j] + hrz[hr + j]);
        cache[k + H + j] = sigmoid(xg[x + H + j] + hrz[hr + H + j]);
        rh[rhOff + b * H + j] = cache[k + j] * hPrev[hp + j];
      }
    }
  }

  gruResetUpdate(B: number, H: number, xg: Buf, xgOff: number, hn: Buf, hnOff: number, hPrev: Buf, hPrevOff: number,
    h: Buf, hOff: number, cache: Buf, cacheOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const k = cacheOff + b * 3 * H, x = xgOff + b * 3 * H + 2 * H, o = b * H;
      const held = mask !== null && mask[maskOff + b] === 0;
      for (let j = 0; j < H; j++) {
        const z = cache[k + H + j], n = Math.tanh(xg[x + j] + hn[hnOff + o + j]), p = hPrev[hPrevOff + o + j];
        cache[k + 2 * H + j] = n;
        h[hOff + o + j] = held ? p : (1 - z) * n + z * p;
      }
    }
  }

  gruResetUpdateBackward(B: number, H: number, hPrev: Buf, hPrevOff: number, cache: Buf, cacheOff: number, dh: Buf, dhOff: number,
    dxg: Buf, dxgOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const x = dxgOff + b * 3 * H, hp = hPrevOff + b * H, k = cacheOff + b * 3 * H, d = dhOff + b * H, dp = dhPrevOff + b * H;
      const held = mask !== null && mask[maskOff + b] === 0;
      for (let j = 0; j < H; j++) {
        const g = dh[d + j];
        if (held) { dhPrev[dp + j] += g; dxg[x + j] = 0; dxg[x + H + j] = 0; dxg[x + 2 * H + j] = 0; continue; }
        const z = cache[k + H + j], n = cache[k + 2 * H + j];
        dxg[x + H + j] = g * (hPrev[hp + j] - n) * z * (1 - z);
        dxg[x + 2 * H + j] = g * (1 - z) * (1 - n * n);
        dhPrev[dp + j] += g * z;
      }
    }
  }

  gruResetGatesBackward(B: number, H: number, hPrev: Buf, hPrevOff: number, cache: Buf, cacheOff: number, drh: Buf, drhOff: number,
    dxg: Buf, dxgOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    for (let b = 0; b < B; b++) {
      const x = dxgOff + b * 3 * H;
      if (mask !== null && mask[maskOff + b] === 0) { dxg.fill(0, x, x + H); continue; }
      for (let j = 0; j < H; j++) {
        const r = cache[cacheOff + b * 3 * H + j], g = drh[drhOff + b * H + j];
        dxg[x + j] = g * hPrev[hPrevOff + b * H + j] * r * (1 - r);
        dhPrev[dhPrevOff + b * H + j] += g * r;
      }
    }
  }

}
