/**
 * Parameters: one flat buffer per model with named views, in PyTorch `state_dict` names and shapes.
 * Optimizers, clipping, checkpoints, spectra and parity tests all read this one representation.
 */
import type { Backend, Buf } from '../kernels/backend.js';

export interface TensorSpec { name: string; shape: number[] }
export interface TensorView { name: string; shape: number[]; offset: number; size: number }

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export class Params {
  readonly views: TensorView[] = [];
  private readonly byName = new Map<string, TensorView>();
  readonly size: number;
  /** The flat storage (backend memory). */
  readonly data: Buf;
  /**
   * Bumped by every write the library makes to `data` (initialisation, set, optimizer steps, loads),
   * so that derived copies (packed weights for sampling) know when to refresh. Code that writes
   * `data` directly calls touch().
   */
  version = 0;

  constructor(specs: readonly TensorSpec[], backend: Backend) {
    let offset = 0;
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new Error(`duplicate tensor name ${s.name}`);
      const v: TensorView = { name: s.name, shape: [...s.shape], offset, size: sizeOf(s.shape) };
      this.views.push(v);
      this.byName.set(s.name, v);
      offset += v.size;
    }
    this.size = offset;
    this.data = backend.alloc(offset);
  }

  /**
   * Let `name` address the tensor `target` (tied weights, tying.ts): no storage of its own and not in
   * `views`, so optimizers, checkpoints and names() see the tensor once.
   */
  alias(name: string, target: string): void {
    if (this.byName.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.byName.set(name, this.view(target));
  }

  has(name: string): boolean { return this.byName.has(name); }
  view(name: string): TensorView {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no tensor named ${name}`);
    return v;
  }
  /** Offset of a tensor in `data` (for kernels, which address buffers by offset). */
  offset(name: string): number { return this.view(name).offset; }
  /** A subarray view (allocates: not for the time loop). */
  get(name: string): Buf { const v = this.view(name); return this.data.subarray(v.offset, v.offset + v.size); }
  set(name: string, values: ArrayLike<number>): void {
    const v = this.view(name);
    if (values.length !== v.size) throw new Error(`${name}: expected ${v.size} values, got ${values.length}`);
    for (let i = 0; i < v.size; i++) this.data[v.offset + i] = values[i];
    this.touch();
  }
  /** Say that `data` changed (see version). */
  touch(): void { this.version++; }
  names(): string[] { return this.views.map((v) => v.name); }
  specs(): TensorSpec[] { return this.views.map((v) => ({ name: v.name, shape: [...v.shape] })); }
}
