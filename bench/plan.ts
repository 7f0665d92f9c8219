/**
 * Which cells one benchmark run measures: every selected workload × every runnable configuration of
 * every selected peer (recur per backend and thread count, PyTorch at 1 and 2 threads, ...), each
 * with its measurement window and time limit. Pure data, so the plan can be printed and tested.
 */
import { FULL_WINDOW, GEMM_WINDOW, QUALITY_SECONDS, QUALITY_WORKLOADS, QUICK_WINDOW, SAMPLE_WINDOW, WORKLOADS, type Window, type WorkloadId } from './workloads.js';

/**
 * W6 (LSTM 1024×2 over 8k words) takes seconds per step on native, most of a minute on wasm with two
 * cores: its children get room for start-up and one step even in --quick (then the figure is that step).
 */
const WIDE_MIN_SECONDS = 300;
const isWide = (id: WorkloadId): boolean => { const s = WORKLOADS[id]; return s.kind === 'train' && !!s.words; };

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
  /**
   * The user named the workloads (--only) or peers (--peers): run every pairing asked for. Without
   * it, pairings that cost minutes and tell nothing new are skipped (and say so), to keep the
   * default run within ~40 minutes.
   */
  explicit: boolean;
}

/** recur's JS backend runs on one thread whatever it is given: measuring it at 2 would repeat the 1-thread figure. */
export const SINGLE_THREADED_RECUR = new Set(['js']);

/** brain.js works one sequence at a time: a short window says all there is to say about it. */
const BRAIN_WINDOW: Window = { warmupSeconds: 5, warmupSteps: 2, measureSeconds: 10, capSeconds: 30 };

export function planCells(o: PlanOptions): Cell[] {
  const cells: Cell[] = [];
  const base = o.quick ? QUICK_WINDOW : FULL_WINDOW;
  // A child gets both phases at their cap, plus process start-up (tsx, torch import, tfjs init).
  const limit = (w: Window): number => (o.quick ? 25 : 2 * w.capSeconds + 120);
  const trim = (why: string): string | undefined => (o.explicit ? undefined : `skipped in the default run: ${why}`);
  const add = (c: Omit<Cell, 'timeoutSeconds' | 'quality'> & { quality?: boolean }): void => {
    const unavailable = o.unavailable[c.peer];
    const seconds = c.quality ? QUALITY_SECONDS + 240 : limit(c.window);
    cells.push({
      quality: false, ...c, timeoutSeconds: c.workload !== 'G1' && isWide(c.workload) ? Math.max(seconds, WIDE_MIN_SECONDS) : seconds,
      ...(unavailable && !c.skip ? { skip: unavailable } : {}),
    });
  };
  const recurConfigs = o.recurBackends.flatMap((b) => (SINGLE_THREADED_RECUR.has(b) ? [[b, 1] as const] : o.threads.map((t) => [b, t] as const)));
  const has = (p: PeerId): boolean => o.peers.includes(p);

  if (o.gemm) {
    const w = o.quick ? QUICK_WINDOW : GEMM_WINDOW;
    for (const [b, t] of recurConfigs) if (has('recur')) add({ peer: 'recur', workload: 'G1', threads: t, backend: b, window: w });
    if (has('torch')) for (const t of o.threads) add({ peer: 'torch', workload: 'G1', threads: t, backend: 'cpu', window: w });
  }
  for (const id of o.workloads) {
    const spec = WORKLOADS[id];
    const w = spec.kind === 'sample' && !o.quick ? SAMPLE_WINDOW : base;
    // The JS reference would take most of an hour per W6 step.
    const jsSkip = isWide(id) ? trim('the JS backend takes many minutes per W6 step; --only W6 --backends js runs it') : undefined;
    if (has('recur')) for (const [b, t] of recurConfigs) add({ peer: 'recur', workload: id, threads: t, backend: b, window: w, skip: b === 'js' ? jsSkip : undefined });
    if (has('torch')) for (const t of o.threads) add({ peer: 'torch', workload: id, threads: t, backend: 'cpu', window: w });
    // min-char-rnn's products are 100×83 matrix-vector ones, which OpenBLAS never splits across threads.
    if (has('numpy') && id === 'W1') add({ peer: 'numpy', workload: id, threads: 1, backend: 'min-char-rnn', window: w });
    // W6 is measured against PyTorch: the char-level JS peers have no word-level, embedded model.
    if (isWide(id)) continue;
    if (has('tfjs')) {
      for (const b of ['cpu', 'wasm']) {
        // tfjs-cpu is plain JavaScript: a W2 step takes ~40 s, W5 many minutes; W2 shows where it stands.
        const skip = b === 'cpu' && ['W3', 'W4', 'W5'].includes(id)
          ? trim('tfjs cpu takes minutes per step on these (W2 shows where it stands); --only W3,W4,W5 --peers tfjs runs them') : undefined;
        add({ peer: 'tfjs', workload: id, threads: 1, backend: b, window: w, skip });
      }
    }
    if (has('brain')) {
      const skip = id === 'W5' ? trim('brain.js trains one sequence at a time, so W5 at batch 1 adds nothing to W2; --only W5 --peers brain runs it') : undefined;
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
