/**
 * What the JS side and the wasm module agree on: the exports' signatures (the kernels' are generated from the
 * kernel table: byte addresses and element counts; the trailing `part, nparts` of the kernels that threads share),
 * and the control block through which the calling thread hands a kernel call to the workers. Both the backend and the worker loop import this file, so the names
 * and slot numbers cannot drift apart.
 */

import { SHARED_KERNELS, type KernelExports } from './exports.generated.js';

export { SHARED_KERNELS, type SharedKernel } from './exports.generated.js';

type Fn = (...args: number[]) => number | void;

/** The module's exports: the table's kernels (exports.generated.ts) and the helpers around them. */
export interface WasmExports extends KernelExports {
  heapBase(): number;
  gemmScratchBytes(): number;
  sumSquaresBlock(): number;
  sumF64(x: number, n: number): number;
  expInto(n: number, x: number, y: number): void;
  tanhInto(n: number, x: number, y: number): void;
  sigmoidInto(n: number, x: number, y: number): void;
}

export function kernelTable(ex: WasmExports): Fn[] {
  return SHARED_KERNELS.map((name) => ex[name] as Fn);
}

// Control block: Int32 slots; the calling thread writes SEQ and the task, workers write DONE (another cache line) and
// JOIN (a third). After the arguments, one cache line per thread holds its cursor for kernels that hand out chunks
// (gemm: a thread claims its own chunks, then the others'); the calling thread zeroes them before every call.
//
// Joining a call: the caller opens it (JOIN = 0) after writing it; a worker takes part JOIN + 1 by compare-and-swap
// while the call is open and parts are left. When the caller has done part 0 it closes the call (JOIN |= CLOSED),
// runs the parts nobody took itself, and waits only for the workers that joined, which are running. So a worker
// that the OS has not scheduled yet (a busy or slower core) delays nothing.
export const CTL = {
  SEQ: 0, KERNEL: 1, NARGS: 2, NPARTS: 3, QUIT: 4,
  DONE: 16, ERROR: 17,
  /** byte offset of the Float64 arguments */
  ARGS_BYTE: 128,
  MAX_ARGS: 24,
  /** the join word, on its own cache line after the arguments */
  JOIN: 80,
  BYTES: 384,
  /** byte offset of the cursors, and bytes between two of them (CURSOR_STRIDE in assembly/gemm.ts) */
  CURSORS_BYTE: 384,
  CURSOR_STRIDE: 64,
} as const;

/** JOIN flag: the call is closed; the low bits count the workers that joined it. */
export const JOIN_CLOSED = 1 << 30;

/** Bytes of a control block for `parts` threads (the calling one included). */
export const ctlBytes = (parts: number): number => CTL.CURSORS_BYTE + parts * CTL.CURSOR_STRIDE;

/** Message that starts a worker: it instantiates `module` over `memory` and joins calls through the block at `ctl`. */
export interface WorkerInit {
  type: 'init';
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: number;
}
export type WorkerReply = { type: 'ready' } | { type: 'error'; message: string };
