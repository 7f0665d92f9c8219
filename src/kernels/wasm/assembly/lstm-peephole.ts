/**
 * LSTM with peepholes (ONNX LSTM's input P) for a [B×H] batch: the step forward and backward, and the peephole
 * gradients summed over all rows after the time loop (table.ts). peep [3H] holds p_i, p_f, p_o.
 * Same split and masking rules as cells.ts: rows of the batch per thread, vectorised along H.
 */
import { ld, st, splat, held, at, partStart } from './simd';
import { tanh4, sigmoid4 } from './math';
import { holdLstmRow } from './cells';

export function lstmPeepholeForward(B: i32, H: i32, gates: usize, peep: usize, cPrev: usize, c: usize, hPrev: usize, h: usize,
  mask: usize, part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    const g = at(gates, b * 4 * H), o = b * H, hold = held(mask, b);
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const xi = at(g, j), xf = at(g, H + j), xg = at(g, 2 * H + j), xo = at(g, 3 * H + j);
      const cp = ld(at(cPrev, o + j), r);
      const i = sigmoid4(f32x4.add(ld(xi, r), f32x4.mul(ld(at(peep, j), r), cp)));
      const f = sigmoid4(f32x4.add(ld(xf, r), f32x4.mul(ld(at(peep, H + j), r), cp)));
      const gg = tanh4(ld(xg, r));
      const cn = f32x4.add(f32x4.mul(f, cp), f32x4.mul(i, gg));
      const og = sigmoid4(f32x4.add(ld(xo, r), f32x4.mul(ld(at(peep, 2 * H + j), r), cn)));
      st(xi, i, r); st(xf, f, r); st(xg, gg, r); st(xo, og, r);
      st(at(h, o + j), hold ? ld(at(hPrev, o + j), r) : f32x4.mul(og, tanh4(cn)), r);
      st(at(c, o + j), hold ? cp : cn, r);
    }
  }
}

export function lstmPeepholeBackward(B: i32, H: i32, gates: usize, peep: usize, cPrev: usize, c: usize, dh: usize, dc: usize,
  dgates: usize, dcPrev: usize, dhPrev: usize, mask: usize, part: i32, nparts: i32): void {
  const b1 = partStart(B, part + 1, nparts, 1), one = splat(1);
  for (let b = partStart(B, part, nparts, 1); b < b1; b++) {
    if (held(mask, b)) { holdLstmRow(H, b * H, dh, dc, at(dgates, b * 4 * H), dcPrev, dhPrev); continue; }
    const g = at(gates, b * 4 * H), dg = at(dgates, b * 4 * H), o = b * H;
    for (let j = 0; j < H; j += 4) {
      const r = H - j;
      const i = ld(at(g, j), r), f = ld(at(g, H + j), r), gg = ld(at(g, 2 * H + j), r), og = ld(at(g, 3 * H + j), r);
      const tc = tanh4(ld(at(c, o + j), r)), dhj = ld(at(dh, o + j), r), cp = ld(at(cPrev, o + j), r);
      // o reads c_t through its peephole: c's total gradient gains do'·p_o besides h's and the future's
      const dO = f32x4.mul(f32x4.mul(f32x4.mul(dhj, tc), og), f32x4.sub(one, og));
      const fromH = f32x4.mul(f32x4.mul(dhj, og), f32x4.sub(one, f32x4.mul(tc, tc)));
      const dct = f32x4.add(f32x4.add(ld(at(dc, o + j), r), fromH), f32x4.mul(dO, ld(at(peep, 2 * H + j), r)));
      const dI = f32x4.mul(f32x4.mul(f32x4.mul(dct, gg), i), f32x4.sub(one, i));
      const dF = f32x4.mul(f32x4.mul(f32x4.mul(dct, cp), f), f32x4.sub(one, f));
      st(at(dg, j), dI, r);
      st(at(dg, H + j), dF, r);
      st(at(dg, 2 * H + j), f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(gg, gg))), r);
      st(at(dg, 3 * H + j), dO, r);
      // c_{t−1} enters c_t through f and i, f through their peepholes
      const viaGates = f32x4.add(f32x4.mul(dI, ld(at(peep, j), r)), f32x4.mul(dF, ld(at(peep, H + j), r)));
      st(at(dcPrev, o + j), f32x4.add(f32x4.mul(dct, f), viaGates), r);
    }
  }
}

export function lstmPeepholeGrads(rows: i32, H: i32, dgates: usize, cPrev: usize, c: usize, dpeep: usize): void {
  for (let j = 0; j < H; j += 4) {
    const r = H - j;
    let si = ld(at(dpeep, j), r), sf = ld(at(dpeep, H + j), r), so = ld(at(dpeep, 2 * H + j), r);
    for (let t = 0; t < rows; t++) {
      const dg = at(dgates, t * 4 * H), cp = ld(at(cPrev, t * H + j), r);
      si = f32x4.add(si, f32x4.mul(ld(at(dg, j), r), cp));
      sf = f32x4.add(sf, f32x4.mul(ld(at(dg, H + j), r), cp));
      so = f32x4.add(so, f32x4.mul(ld(at(dg, 3 * H + j), r), ld(at(c, t * H + j), r)));
    }
    st(at(dpeep, j), si, r); st(at(dpeep, H + j), sf, r); st(at(dpeep, 2 * H + j), so, r);
  }
}
