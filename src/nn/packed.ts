/**
 * Packed copies of weight matrices for products with one vector (sampling: one stream, one step).
 *
 * Read in place, W·x streams many rows of W at once and reduces every output across vector lanes;
 * a backend that offers `packMatvec` lays W out once so that the product is one contiguous stream
 * of multiply-adds (src/kernels/backend.ts). The copies follow the parameters: whenever
 * `params.version` moved since they were made, each is repacked before its next use, so a sampler
 * never reads stale weights after an optimizer step or a load.
 */
import type { Backend, Buf, PackedMatrix } from '../kernels/backend.js';
import type { Params } from './params.js';

interface Entry { P: PackedMatrix | null; version: number }

export class PackedWeights {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly be: Backend, readonly params: Params) {}

  /** Whether the backend has a packed path (otherwise callers use gemm). */
  static available(be: Backend): boolean { return !!(be.packMatvec && be.matvecPacked); }

  /** y[n] = W·x + beta·y for the parameter `name` of shape [n×k] (row stride k). */
  matvec(name: string, n: number, k: number, x: Buf, xOff: number, beta: number, y: Buf, yOff: number): void {
    const be = this.be, params = this.params;
    let e = this.entries.get(name);
    if (!e) this.entries.set(name, (e = { P: null, version: -1 }));
    if (e.version !== params.version) {
      // The backend reuses the old copy's memory; n and k come from the tensor's shape, never change.
      e.P = be.packMatvec!(n, k, params.data, params.offset(name), k, e.P);
      e.version = params.version;
    }
    be.matvecPacked!(e.P!, 1, x, xOff, beta, y, yOff);
  }
}
