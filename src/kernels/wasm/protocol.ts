/**
 * What the JS side and the wasm module agree on: the exports' signatures (byte addresses and element counts; the
 * trailing `part, nparts` of the kernels that threads share), and the control block through which the calling
 * thread hands a kernel call to the workers. Both the backend and the worker loop import this file, so the names
 * and slot numbers cannot drift apart.
 */

type Fn = (...args: number[]) => number | void;

export interface WasmExports {
  heapBase(): number;
  gemmScratchBytes(): number;
  sumSquaresBlock(): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, A: number, lda: number,
    B: number, ldb: number, beta: number, C: number, ldc: number, scratch: number, cursors: number, part: number, nparts: number): void;
  addRowVector(C: number, rows: number, cols: number, ldc: number, bias: number): void;
  sumRows(src: number, rows: number, cols: number, lds: number, dst: number): void;
  gatherRows(table: number, dim: number, ids: number, n: number, dst: number, ldd: number, beta: number): void;
  scatterAddRows(src: number, lds: number, ids: number, n: number, table: number, dim: number): void;
  gatherCols(W: number, rows: number, cols: number, ids: number, n: number, dst: number, ldd: number, beta: number, scratch: number): void;
  scatterAddCols(src: number, lds: number, ids: number, n: number, W: number, rows: number, cols: number, scratch: number): void;
  elmanForward(act: number, B: number, H: number, pre: number, hPrev: number, h: number, mask: number, part: number, nparts: number): void;
  elmanBackward(act: number, B: number, H: number, h: number, dh: number, dpre: number, dhPrev: number, mask: number, part: number, nparts: number): void;
  lstmForward(B: number, H: number, gates: number, cPrev: number, c: number, hPrev: number, h: number, mask: number, part: number, nparts: number): void;
  lstmBackward(B: number, H: number, gates: number, cPrev: number, c: number, dh: number, dc: number, dgates: number,
    dcPrev: number, dhPrev: number, mask: number, part: number, nparts: number): void;
  gruForward(B: number, H: number, xg: number, hg: number, hPrev: number, h: number, cache: number, mask: number, part: number, nparts: number): void;
  gruBackward(B: number, H: number, hPrev: number, cache: number, dh: number, dxg: number, dhg: number, dhPrev: number,
    mask: number, part: number, nparts: number): void;
  softmax(rows: number, cols: number, x: number, out: number, temperature: number, part: number, nparts: number): void;
  softmaxBackward(rows: number, cols: number, p: number, dp: number, dx: number, accumulate: number): void;
  softmaxCrossEntropy(rows: number, cols: number, logits: number, targets: number, dl: number, scale: number, loss: number,
    part: number, nparts: number): void;
  squaredError(n: number, pred: number, target: number, weight: number, dpred: number, scale: number): number;
  sumF64(x: number, n: number): number;
  fill(x: number, n: number, value: number): void;
  copy(n: number, src: number, dst: number): void;
  axpy(n: number, a: number, x: number, y: number): void;
  scale(n: number, a: number, x: number): void;
  mul(n: number, x: number, m: number, out: number): void;
  clampAbs(n: number, x: number, t: number): void;
  sumSquares(n: number, x: number, partials: number, part: number, nparts: number): void;
  sgdStep(n: number, p: number, g: number, v: number, lr: number, momentum: number, nesterov: number, wd: number,
    first: number, part: number, nparts: number): void;
  adagradStep(n: number, p: number, g: number, s: number, lr: number, eps: number, wd: number, part: number, nparts: number): void;
  rmspropStep(n: number, p: number, g: number, s: number, lr: number, alpha: number, eps: number, wd: number, part: number, nparts: number): void;
  adamStep(n: number, p: number, g: number, m: number, v: number, beta1: number, beta2: number, eps: number, decay: number,
    l2: number, stepSize: number, invSq: number, part: number, nparts: number): void;
  expInto(n: number, x: number, y: number): void;
  tanhInto(n: number, x: number, y: number): void;
  sigmoidInto(n: number, x: number, y: number): void;
}

/** Kernels that take `part, nparts` last and may be split across threads; the index is the id in the control block. */
export const SHARED_KERNELS = [
  'gemm', 'elmanForward', 'elmanBackward', 'lstmForward', 'lstmBackward', 'gruForward', 'gruBackward',
  'softmax', 'softmaxCrossEntropy', 'sumSquares', 'sgdStep', 'adagradStep', 'rmspropStep', 'adamStep',
] as const satisfies readonly (keyof WasmExports)[];
export type SharedKernel = (typeof SHARED_KERNELS)[number];

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
