/**
 * Which cells one benchmark run measures: every selected workload × every runnable configuration of
 * every selected peer (recur per backend and thread count, PyTorch at 1 and 2 threads, ...), each
 * with its measurement window and time limit. Pure data, so the plan can be printed and tested.
 */
import { FULL_WINDOW, QUALITY_SECONDS, QUALITY_WORKLOADS, QUICK_WINDOW, SAMPLE_WINDOW, WORKLOADS, type Window, type WorkloadId } from './workloads.js';

export type PeerId = 'recur' | 'torch' | 'numpy' | 'tfjs' | 'brain';
export const PEER_IDS: PeerId[] = ['recur', 'torch', 'numpy', 'tfjs', 'brain'];

export interface Cell {
  peer: PeerId;
  workload: WorkloadId | 'G1';
  threads: number;
  /** recur: js | wasm | native; tfjs: cpu | wasm; others: '' */
  backend: string;
  /** A --quality run (validation loss after QUALITY_SECONDS) instead of a throughput run. */
  quality: boolean;
  window: Window;
  /** Wall-clock limit for the child process, seconds. */
  timeoutSeconds: number;
  /** Why this cell is not run (shown in the table); absent when it runs. */
  skip?: string;
}

export interface PlanOptions {
  workloads: WorkloadId[];
  peers: PeerId[];
  /** recur backends that load on this machine (from bench/recur.ts --probe). */
  recurBackends: string[];
  threads: number[];
  quick: boolean;
  quality: boolean;
  /** GEMM 512³ kernel figure for each recur backend (and torch.mm for reference). */
  gemm: boolean;
  /** Peers that cannot start here, with the reason. */
  unavailable: Partial<Record<PeerId, string>>;
}

/** recur's JS backend runs on one thread whatever it is given: measuring it at 2 would repeat the 1-thread figure. */
export const SINGLE_THREADED_RECUR = new Set(['js']);

/** brain.js works one sequence at a time: a short window says all there is to say about it. */
const BRAIN_WINDOW: Window = { warmupSeconds: 5, warmupSteps: 2, measureSeconds: 10, capSeconds: 30 };

export function planCells(o: PlanOptions): Cell[] {
  const cells: Cell[] = [];
  const base = o.quick ? QUICK_WINDOW : FULL_WINDOW;
  // A child gets both phases at their cap, plus process start-up (tsx, torch import, tfjs init).
  const limit = (w: Window): number => (o.quick ? 30 : 2 * w.capSeconds + 120);
  const add = (c: Omit<Cell, 'timeoutSeconds' | 'quality'> & { quality?: boolean }): void => {
    const unavailable = o.unavailable[c.peer];
    cells.push({
      quality: false, ...c, timeoutSeconds: c.quality ? QUALITY_SECONDS + 240 : limit(c.window),
      ...(unavailable && !c.skip ? { skip: unavailable } : {}),
    });
  };
  const recurConfigs = o.recurBackends.flatMap((b) => (SINGLE_THREADED_RECUR.has(b) ? [[b, 1] as const] : o.threads.map((t) => [b, t] as const)));
  const has = (p: PeerId): boolean => o.peers.includes(p);

  if (o.gemm) {
    for (const [b, t] of recurConfigs) if (has('recur')) add({ peer: 'recur', workload: 'G1', threads: t, backend: b, window: o.quick ? QUICK_WINDOW : SAMPLE_WINDOW });
    if (has('torch')) for (const t of o.threads) add({ peer: 'torch', workload: 'G1', threads: t, backend: 'cpu', window: o.quick ? QUICK_WINDOW : SAMPLE_WINDOW });
  }
  for (const id of o.workloads) {
    const spec = WORKLOADS[id];
    const w = spec.kind === 'sample' && !o.quick ? SAMPLE_WINDOW : base;
    if (has('recur')) for (const [b, t] of recurConfigs) add({ peer: 'recur', workload: id, threads: t, backend: b, window: w });
    if (has('torch')) for (const t of o.threads) add({ peer: 'torch', workload: id, threads: t, backend: 'cpu', window: w });
    // min-char-rnn's products are 100×83 matrix-vector ones, which OpenBLAS never splits across threads.
    if (has('numpy') && id === 'W1') add({ peer: 'numpy', workload: id, threads: 1, backend: 'min-char-rnn', window: w });
    if (has('tfjs')) {
      for (const b of ['cpu', 'wasm']) {
        const skip = id === 'W5' && b === 'cpu' && !o.quick
          ? 'skipped: one step of W5 on the tfjs cpu backend takes many minutes (W2 already takes ~40 s); --only W5 --peers tfjs runs it'
          : undefined;
        add({ peer: 'tfjs', workload: id, threads: 1, backend: b, window: w, skip });
      }
    }
    if (has('brain')) {
      const skip = id === 'W5' ? 'skipped: brain.js trains one sequence at a time; W5 at batch 1 adds nothing to W2' : undefined;
      add({ peer: 'brain', workload: id, threads: 1, backend: 'js', window: o.quick ? QUICK_WINDOW : BRAIN_WINDOW, skip });
    }
  }
  if (o.quality) {
    const t = Math.max(...o.threads);
    const best = ['native', 'wasm', 'js'].find((b) => o.recurBackends.includes(b));
    for (const id of QUALITY_WORKLOADS) {
      if (!o.workloads.includes(id)) continue;
      if (has('recur') && best) add({ peer: 'recur', workload: id, threads: SINGLE_THREADED_RECUR.has(best) ? 1 : t, backend: best, window: base, quality: true });
      if (has('torch')) add({ peer: 'torch', workload: id, threads: t, backend: 'cpu', window: base, quality: true });
      if (has('numpy') && id === 'W1') add({ peer: 'numpy', workload: id, threads: 1, backend: 'min-char-rnn', window: base, quality: true });
    }
  }
  return cells;
}
