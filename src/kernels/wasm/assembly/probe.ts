/** Elementwise exp/tanh/sigmoid over arrays, so tests can measure the vector approximations against Math. */
import { ld, st, at } from './simd';
import { exp4, tanh4, sigmoid4 } from './math';

export function expInto(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i += 4) st(at(y, i), exp4(ld(at(x, i), n - i)), n - i);
}
export function tanhInto(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i += 4) st(at(y, i), tanh4(ld(at(x, i), n - i)), n - i);
}
export function sigmoidInto(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i += 4) st(at(y, i), sigmoid4(ld(at(x, i), n - i)), n - i);
}
