/**
 * The calling thread's side of multi-threading: persistent workers that share the wasm memory and wait on a
 * control block in it (Atomics.wait/notify), so handing over a kernel call costs a few atomic operations instead of
 * a postMessage round trip. The calling thread always runs part 0 itself, and every part that no worker joined
 * while the call was open (a worker the OS has not scheduled delays nothing; protocol.ts has the rules).
 *
 * Waiting spins briefly before sleeping, because the kernels of one time step follow each other within
 * microseconds. A browser main thread may not block (Atomics.wait throws there): it only spins.
 */
import { CTL, JOIN_CLOSED, kernelTable, SHARED_KERNELS, type SharedKernel, type WasmExports, type WorkerInit, type WorkerReply } from './protocol.js';

/** A worker as the platform starts it (Web Worker, worker_threads). */
export interface KernelWorker {
  postMessage(msg: WorkerInit): void;
  onMessage(handler: (msg: WorkerReply) => void): void;
  onError(handler: (err: unknown) => void): void;
  terminate(): unknown;
  /** Node: let the process exit while the worker lives. */
  unref?(): void;
}

const SPIN_MS = 0.2;
const SLICE_MS = 50;
const STALL_MS = 60_000;

const canBlock = (ctl: Int32Array): boolean => {
  try { Atomics.wait(ctl, CTL.ERROR, 1, 0); return true; } catch { return false; }
};

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  /** The threads' chunk cursors (one Int32 per cache line), zeroed before every call. */
  private readonly cursorSlots: Int32Array;
  /** Byte address of the cursors, for kernels that hand out chunks (gemm). */
  readonly cursors: number;
  private readonly fns: ReturnType<typeof kernelTable>;
  private readonly call: number[] = [];
  private readonly blocking: boolean;
  private disposed = false;
  /** Parts run by workers so far (diagnostics, tests). */
  workerParts = 0;

  private constructor(memory: WebAssembly.Memory, ctlPtr: number, ex: WasmExports,
    private readonly workers: KernelWorker[]) {
    this.ctl = new Int32Array(memory.buffer, ctlPtr, CTL.BYTES >> 2);
    this.args = new Float64Array(memory.buffer, ctlPtr + CTL.ARGS_BYTE, CTL.MAX_ARGS);
    this.cursors = ctlPtr + CTL.CURSORS_BYTE;
    this.cursorSlots = new Int32Array(memory.buffer, this.cursors, (workers.length + 1) * CTL.CURSOR_STRIDE >> 2);
    this.fns = kernelTable(ex);
    this.blocking = canBlock(this.ctl);
    Atomics.store(this.ctl, CTL.JOIN, JOIN_CLOSED);
  }

  /** Start `count` workers over `memory` and wait until each has instantiated the module. */
  static async start(count: number, start: () => KernelWorker, module: WebAssembly.Module, memory: WebAssembly.Memory,
    ctlPtr: number, ex: WasmExports): Promise<ThreadPool> {
    const workers: KernelWorker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(start());
      await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
        w.onMessage((msg) => (msg.type === 'ready' ? resolve() : reject(new Error(`wasm worker: ${msg.message}`))));
        w.onError(reject);
        w.postMessage({ type: 'init', module, memory, ctl: ctlPtr });
      })));
    } catch (err) {
      for (const w of workers) w.terminate();
      throw err;
    }
    for (const w of workers) w.unref?.();
    return new ThreadPool(memory, ctlPtr, ex, workers);
  }

  /** Number of parts a shared call is split into (workers + this thread). */
  get parts(): number { return this.workers.length + 1; }

  /**
   * Run `kernel(...args, part, nparts)` for every part, this thread doing part 0 and every part no worker joined in
   * time (see CTL in protocol.ts); returns when all are done.
   */
  run(kernel: SharedKernel, args: readonly number[]): void {
    if (this.disposed) throw new Error('wasm backend: used after dispose()');
    const { ctl } = this;
    const n = args.length, parts = this.parts;
    for (let i = 0; i < n; i++) this.args[i] = args[i];
    ctl[CTL.KERNEL] = SHARED_KERNELS.indexOf(kernel);
    ctl[CTL.NARGS] = n;
    ctl[CTL.NPARTS] = parts;
    for (let q = 0; q < parts; q++) this.cursorSlots[q * (CTL.CURSOR_STRIDE >> 2)] = 0;
    Atomics.store(ctl, CTL.DONE, 0);
    Atomics.store(ctl, CTL.ERROR, 0);
    Atomics.store(ctl, CTL.JOIN, 0);  // open: everything above is visible to a worker that sees this
    Atomics.add(ctl, CTL.SEQ, 1);
    Atomics.notify(ctl, CTL.SEQ);
    const call = this.call;
    call.length = 0;
    for (let i = 0; i < n; i++) call.push(args[i]);
    call.push(0, parts);
    const fn = this.fns[ctl[CTL.KERNEL]];
    let joined = 0;
    try {
      fn(...call);
    } finally {
      joined = Atomics.or(ctl, CTL.JOIN, JOIN_CLOSED) & ~JOIN_CLOSED;
      this.workerParts += joined;
      try {
        for (let q = joined + 1; q < parts; q++) { call[n] = q; fn(...call); }
      } finally {
        this.awaitWorkers(joined);
      }
    }
    if (Atomics.load(ctl, CTL.ERROR)) throw new Error(`wasm worker failed in ${kernel} (see the worker's console)`);
  }

  private awaitWorkers(count: number): void {
    const { ctl } = this;
    const spinUntil = performance.now() + SPIN_MS;
    let done: number;
    while ((done = Atomics.load(ctl, CTL.DONE)) < count && performance.now() < spinUntil);
    const stallAt = performance.now() + STALL_MS;
    while ((done = Atomics.load(ctl, CTL.DONE)) < count) {
      if (this.blocking) Atomics.wait(ctl, CTL.DONE, done, SLICE_MS);
      if (performance.now() > stallAt) throw new Error(`wasm backend: a worker did not finish its part of ${SHARED_KERNELS[ctl[CTL.KERNEL]]} within 60 s`);
    }
  }

  /** Stop the workers: they leave their loop, then are terminated. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl, CTL.QUIT, 1);
    Atomics.add(this.ctl, CTL.SEQ, 1);
    Atomics.notify(this.ctl, CTL.SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
