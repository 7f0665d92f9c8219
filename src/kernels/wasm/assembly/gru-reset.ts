/**
 * GRU with the reset gate before the recurrent product (Cho et al. 2014; ONNX linear_before_reset = 0), for a
 * [B×H] batch: a step is two kernels around the product W_hn (r ⊙ h), forward and backward (table.ts).
 * Same split and masking rules as cells.ts: rows of the batch per thread, vectorised along H.
 */
import { ld, st, splat, held, at, partStart } from './simd';
import { tanh4, sigmoid4 } from './math';

export function gruResetGates(B: i32, H: i32, xg: usize, hrz: usize, hPrev: usize, cache: usize, rh: usize,
  part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const k = at(cache, b * 3 * H), x = at(xg, b * 3 * H), hr = at(hrz, b * 2 * H), o = b * H;
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const rg = sigmoid4(f32x4.add(ld(at(x, j), r), ld(at(hr, j), r)));
      st(at(k, H + j), sigmoid4(f32x4.add(ld(at(x, H + j), r), ld(at(hr, H + j), r))), r);
      st(at(k, j), rg, r);
      st(at(rh, o + j), f32x4.mul(rg, ld(at(hPrev, o + j), r)), r);
    }
  }
}

export function gruResetUpdate(B: i32, H: i32, xg: usize, hn: usize, hPrev: usize, h: usize, cache: usize, mask: usize,
  part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const k = at(cache, b * 3 * H), x = at(xg, b * 3 * H + 2 * H), o = b * H, hold = held(mask, b);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const n = tanh4(f32x4.add(ld(at(x, j), r), ld(at(hn, o + j), r))), z = ld(at(k, H + j), r), hp = ld(at(hPrev, o + j), r);
      st(at(k, 2 * H + j), n, r);
      st(at(h, o + j), hold ? hp : f32x4.add(f32x4.mul(f32x4.sub(splat(1), z), n), f32x4.mul(z, hp)), r);
    }
  }
}

export function gruResetUpdateBackward(B: i32, H: i32, hPrev: usize, cache: usize, dh: usize, dxg: usize, dhPrev: usize,
  mask: usize, part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const x = at(dxg, b * 3 * H), k = at(cache, b * 3 * H), o = b * H;
    const hold = held(mask, b), one = splat(1);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const g = ld(at(dh, o + j), r), pp = at(dhPrev, o + j);
      if (hold) {
        st(pp, f32x4.add(ld(pp, r), g), r);
        st(at(x, j), splat(0), r); st(at(x, H + j), splat(0), r); st(at(x, 2 * H + j), splat(0), r);
        continue;
      }
      const z = ld(at(k, H + j), r), n = ld(at(k, 2 * H + j), r);
      st(at(x, H + j), f32x4.mul(f32x4.mul(f32x4.mul(g, f32x4.sub(ld(at(hPrev, o + j), r), n)), z), f32x4.sub(one, z)), r);
      st(at(x, 2 * H + j), f32x4.mul(f32x4.mul(g, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n))), r);
      st(pp, f32x4.add(ld(pp, r), f32x4.mul(g, z)), r);
    }
  }
}

export function gruResetGatesBackward(B: i32, H: i32, hPrev: usize, cache: usize, drh: usize, dxg: usize, dhPrev: usize,
  mask: usize, part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const x = at(dxg, b * 3 * H), k = at(cache, b * 3 * H), o = b * H;
    if (held(mask, b)) { memory.fill(x, 0, <usize>H << 2); continue; }
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const rg = ld(at(k, j), r), g = ld(at(drh, o + j), r), pp = at(dhPrev, o + j);
      st(at(x, j), f32x4.mul(f32x4.mul(f32x4.mul(g, ld(at(hPrev, o + j), r)), rg), f32x4.sub(splat(1), rg)), r);
      st(pp, f32x4.add(ld(pp, r), f32x4.mul(g, rg)), r);
    }
  }
}
