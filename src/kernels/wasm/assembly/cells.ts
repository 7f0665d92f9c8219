/**
 * Fused per-time-step cell kernels (Elman, LSTM, GRU), forward and backward, for a [B×H] batch.
 *
 * Each works row by row over the batch, vectorised along H (the ragged end of a row runs through the same vector
 * code on zero-padded lanes), so the multi-threaded split is by batch rows: part p of n gets rows
 * [partStart(p), partStart(p+1)) and every element is computed the same way whatever the split.
 * Masked rows (mask[b] == 0) hold their state exactly as the reference backend does.
 */
import { ld, st, splat, held, at, partStart } from './simd';
import { tanh4, sigmoid4, relu4 } from './math';

const TANH = 0;
const SIGMOID = 1;
const RELU = 2;

@inline function activate(act: i32, x: v128): v128 {
  if (act == TANH) return tanh4(x);
  if (act == SIGMOID) return sigmoid4(x);
  if (act == RELU) return relu4(x);
  return x;
}

/** act'(x) written in terms of y = act(x). */
@inline function derivative(act: i32, y: v128): v128 {
  if (act == TANH) return f32x4.sub(splat(1), f32x4.mul(y, y));
  if (act == SIGMOID) return f32x4.mul(y, f32x4.sub(splat(1), y));
  if (act == RELU) return v128.and(splat(1), f32x4.gt(y, splat(0)));
  return splat(1);
}

function copyRow(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** dst[0:n] += src[0:n] */
function addRow(dst: usize, src: usize, n: i32): void {
  for (let j = 0; j < n; j += 4) {
    const r = n - j;
    st(at(dst, j), f32x4.add(ld(at(dst, j), r), ld(at(src, j), r)), r);
  }
}

function zeroRow(dst: usize, n: i32): void {
  memory.fill(dst, 0, <usize>n << 2);
}

// ------------------------------------------------------------------ Elman

export function elmanForward(act: i32, B: i32, H: i32, pre: usize, hPrev: usize, h: usize, mask: usize,
  part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const o = b * H;
    if (held(mask, b)) { copyRow(at(h, o), at(hPrev, o), H); continue; }
    const x = at(pre, o), y = at(h, o);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      st(at(y, j), activate(act, ld(at(x, j), r)), r);
    }
  }
}

export function elmanBackward(act: i32, B: i32, H: i32, h: usize, dh: usize, dpre: usize, dhPrev: usize, mask: usize,
  part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const o = b * H;
    if (held(mask, b)) { zeroRow(at(dpre, o), H); addRow(at(dhPrev, o), at(dh, o), H); continue; }
    const y = at(h, o), g = at(dh, o), d = at(dpre, o);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      st(at(d, j), f32x4.mul(derivative(act, ld(at(y, j), r)), ld(at(g, j), r)), r);
    }
  }
}

// ------------------------------------------------------------------ LSTM (gate order i, f, g, o)

/** A masked LSTM row's backward (row offset o, dgates row dg): the held state passes its gradients through. */
export function holdLstmRow(H: i32, o: i32, dh: usize, dc: usize, dg: usize, dcPrev: usize, dhPrev: usize): void {
  addRow(at(dhPrev, o), at(dh, o), H);
  copyRow(at(dcPrev, o), at(dc, o), H);
  zeroRow(dg, 4 * H);
}

export function lstmForward(B: i32, H: i32, gates: usize, cPrev: usize, c: usize, hPrev: usize, h: usize, mask: usize,
  part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const g = at(gates, b * 4 * H), o = b * H;
    const hold = held(mask, b);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const pi = at(g, j), pf = at(g, H + j), pg = at(g, 2 * H + j), po = at(g, 3 * H + j);
      const i = sigmoid4(ld(pi, r)), f = sigmoid4(ld(pf, r)), gg = tanh4(ld(pg, r)), og = sigmoid4(ld(po, r));
      st(pi, i, r); st(pf, f, r); st(pg, gg, r); st(po, og, r);
      if (hold) continue;
      const cn = f32x4.add(f32x4.mul(f, ld(at(cPrev, o + j), r)), f32x4.mul(i, gg));
      st(at(c, o + j), cn, r);
      st(at(h, o + j), f32x4.mul(og, tanh4(cn)), r);
    }
    if (hold) { copyRow(at(c, o), at(cPrev, o), H); copyRow(at(h, o), at(hPrev, o), H); }
  }
}

export function lstmBackward(B: i32, H: i32, gates: usize, cPrev: usize, c: usize, dh: usize, dc: usize,
  dgates: usize, dcPrev: usize, dhPrev: usize, mask: usize, part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const g = at(gates, b * 4 * H), dg = at(dgates, b * 4 * H), o = b * H;
    if (held(mask, b)) { holdLstmRow(H, o, dh, dc, dg, dcPrev, dhPrev); continue; }
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const i = ld(at(g, j), r), f = ld(at(g, H + j), r), gg = ld(at(g, 2 * H + j), r), og = ld(at(g, 3 * H + j), r);
      const tc = tanh4(ld(at(c, o + j), r));
      const dhj = ld(at(dh, o + j), r);
      const one = splat(1);
      // h = o·tanh(c): the total gradient on c adds dh·o·(1 − tanh²c) to the one from the future
      const dct = f32x4.add(ld(at(dc, o + j), r), f32x4.mul(f32x4.mul(dhj, og), f32x4.sub(one, f32x4.mul(tc, tc))));
      st(at(dg, j), f32x4.mul(f32x4.mul(f32x4.mul(dct, gg), i), f32x4.sub(one, i)), r);
      st(at(dg, H + j), f32x4.mul(f32x4.mul(f32x4.mul(dct, ld(at(cPrev, o + j), r)), f), f32x4.sub(one, f)), r);
      st(at(dg, 2 * H + j), f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(gg, gg))), r);
      st(at(dg, 3 * H + j), f32x4.mul(f32x4.mul(f32x4.mul(dhj, tc), og), f32x4.sub(one, og)), r);
      st(at(dcPrev, o + j), f32x4.mul(dct, f), r);
    }
  }
}

// ------------------------------------------------------------------ GRU (PyTorch r, z, n)

export function gruForward(B: i32, H: i32, xg: usize, hg: usize, hPrev: usize, h: usize, cache: usize, mask: usize,
  part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const x = at(xg, b * 3 * H), hh = at(hg, b * 3 * H), k = at(cache, b * 4 * H), o = b * H;
    const hold = held(mask, b);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const rg = sigmoid4(f32x4.add(ld(at(x, j), r), ld(at(hh, j), r)));
      const z = sigmoid4(f32x4.add(ld(at(x, H + j), r), ld(at(hh, H + j), r)));
      const hn = ld(at(hh, 2 * H + j), r);
      const n = tanh4(f32x4.add(ld(at(x, 2 * H + j), r), f32x4.mul(rg, hn)));
      st(at(k, j), rg, r); st(at(k, H + j), z, r); st(at(k, 2 * H + j), n, r); st(at(k, 3 * H + j), hn, r);
      const hp = ld(at(hPrev, o + j), r);
      st(at(h, o + j), hold ? hp : f32x4.add(f32x4.mul(f32x4.sub(splat(1), z), n), f32x4.mul(z, hp)), r);
    }
  }
}

export function gruBackward(B: i32, H: i32, hPrev: usize, cache: usize, dh: usize, dxg: usize, dhg: usize,
  dhPrev: usize, mask: usize, part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const x = at(dxg, b * 3 * H), hh = at(dhg, b * 3 * H), k = at(cache, b * 4 * H), o = b * H;
    if (held(mask, b)) {
      addRow(at(dhPrev, o), at(dh, o), H);
      zeroRow(x, 3 * H); zeroRow(hh, 3 * H);
      continue;
    }
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const rg = ld(at(k, j), r), z = ld(at(k, H + j), r), n = ld(at(k, 2 * H + j), r), hn = ld(at(k, 3 * H + j), r);
      const g = ld(at(dh, o + j), r);
      const one = splat(1);
      const dn = f32x4.mul(f32x4.mul(g, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dz = f32x4.mul(f32x4.mul(f32x4.mul(g, f32x4.sub(ld(at(hPrev, o + j), r), n)), z), f32x4.sub(one, z));
      const dr = f32x4.mul(f32x4.mul(f32x4.mul(dn, hn), rg), f32x4.sub(one, rg));
      st(at(x, j), dr, r); st(at(x, H + j), dz, r); st(at(x, 2 * H + j), dn, r);
      st(at(hh, j), dr, r); st(at(hh, H + j), dz, r); st(at(hh, 2 * H + j), f32x4.mul(dn, rg), r);
      const pp = at(dhPrev, o + j);
      st(pp, f32x4.add(ld(pp, r), f32x4.mul(g, z)), r); // accumulates: dhPrev += z ⊙ dh
    }
  }
}
