/**
 * The worker's side: instantiate the same module over the shared memory, then serve parts of kernel calls forever,
 * driven by the control block (no messages after start-up, so a kernel call costs no event-loop turn).
 * Platform-free; the entry files (worker-browser.ts, src/node/wasm-worker.ts) only connect it to their port.
 */
import { CTL, JOIN_CLOSED, kernelTable, type WasmExports, type WorkerInit, type WorkerReply } from './protocol.js';

const SPIN_MS = 0.5;
const SLEEP_MS = 200;

export interface WorkerPort {
  postMessage(msg: WorkerReply): void;
}

/** Handle the init message: reply 'ready' (or 'error'), then loop until QUIT. */
export function serveKernels(init: WorkerInit, port: WorkerPort): void {
  let fns: ReturnType<typeof kernelTable>;
  try {
    const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort: abortHook } });
    fns = kernelTable(instance.exports as unknown as WasmExports);
  } catch (err) {
    port.postMessage({ type: 'error', message: String(err) });
    return;
  }
  const ctl = new Int32Array(init.memory.buffer, init.ctl, CTL.BYTES >> 2);
  // read the sequence number before saying ready: the first call may be issued the moment 'ready' arrives
  const seen = Atomics.load(ctl, CTL.SEQ);
  port.postMessage({ type: 'ready' });
  loop(init, ctl, seen, fns);
}

function abortHook(): never {
  throw new Error('wasm abort');
}

function loop(init: WorkerInit, ctl: Int32Array, seen: number, fns: ReturnType<typeof kernelTable>): void {
  const args = new Float64Array(init.memory.buffer, init.ctl + CTL.ARGS_BYTE, CTL.MAX_ARGS);
  const call: number[] = [];
  for (;;) {
    seen = awaitChange(ctl, seen);
    if (Atomics.load(ctl, CTL.QUIT)) return;
    const part = join(ctl);
    if (part === 0) continue;
    // Joined: the caller waits for this DONE before it writes another call, so the call read here is the one
    // joined, and the sequence number read now is its own.
    seen = Atomics.load(ctl, CTL.SEQ);
    const nparts = ctl[CTL.NPARTS];
    call.length = 0;
    for (let i = 0, n = ctl[CTL.NARGS]; i < n; i++) call.push(args[i]);
    call.push(part, nparts);
    try {
      fns[ctl[CTL.KERNEL]](...call);
    } catch (err) {
      console.error(`wasm worker ${part}:`, err);
      Atomics.store(ctl, CTL.ERROR, 1);
    }
    Atomics.add(ctl, CTL.DONE, 1);
    Atomics.notify(ctl, CTL.DONE);
  }
}

/** Take the next free part of the open call (1, 2, ...), or 0 when the call is closed or every part is taken. */
function join(ctl: Int32Array): number {
  for (;;) {
    const j = Atomics.load(ctl, CTL.JOIN);
    if (j & JOIN_CLOSED || j + 1 >= ctl[CTL.NPARTS]) return 0;
    if (Atomics.compareExchange(ctl, CTL.JOIN, j, j + 1) === j) return j + 1;
  }
}

/** Spin a little, then sleep in slices (so that terminate() is never stuck behind one long wait). */
function awaitChange(ctl: Int32Array, seen: number): number {
  const spinUntil = performance.now() + SPIN_MS;
  let seq: number;
  while ((seq = Atomics.load(ctl, CTL.SEQ)) === seen && performance.now() < spinUntil);
  while ((seq = Atomics.load(ctl, CTL.SEQ)) === seen) Atomics.wait(ctl, CTL.SEQ, seen, SLEEP_MS);
  return seq;
}
