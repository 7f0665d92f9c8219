/**
 * The timing loop every TypeScript child shares (bench/peers/*.py have the same loop in Python):
 * warm up, then time whole steps, so every framework is measured by the same rule (see Window).
 */
import { performance } from 'node:perf_hooks';
import type { Window } from './workloads.js';

export interface Timing {
  /** Units (training chars, or generated chars) per second over the measured steps. */
  charsPerSec: number;
  steps: number;
  seconds: number;
  warmupSteps: number;
  warmupSeconds: number;
  /** Mean of the step results over the measured steps (training loss; NaN where steps return none). */
  meanLoss: number;
  /** True when the only step was also the warm-up (see timeSteps). */
  cold: boolean;
}

/**
 * Runs `step` (one training step or one generation; returns its loss or NaN) through a warm-up and a
 * measured phase. Steps may be async (tfjs backends that initialise lazily).
 */
export async function timeSteps(step: () => number | Promise<number>, charsPerStep: number, w: Window): Promise<Timing> {
  const progress = progressReporter();
  const phase = async (minSeconds: number, minSteps: number): Promise<{ steps: number; seconds: number; loss: number }> => {
    const t0 = performance.now();
    let steps = 0, loss = 0, elapsed = 0;
    // At least one step even past the cap: a workload slower than the cap still gets a figure.
    do {
      loss += await step();
      steps++;
      elapsed = (performance.now() - t0) / 1000;
      progress();
    } while (elapsed < w.capSeconds && (elapsed < minSeconds || steps < minSteps));
    return { steps, seconds: elapsed, loss: loss / steps };
  };
  const warm = await phase(w.warmupSeconds, w.warmupSteps);
  // A first step that alone outlasts the cap is timed by itself: a second one would double a cell that
  // already takes minutes, and JIT or allocation warm-up is noise next to a step that long.
  const cold = warm.steps === 1 && warm.seconds >= w.capSeconds;
  const run = cold ? warm : await phase(w.measureSeconds, 1);
  return {
    charsPerSec: (run.steps * charsPerStep) / run.seconds, steps: run.steps, seconds: run.seconds,
    warmupSteps: cold ? 0 : warm.steps, warmupSeconds: cold ? 0 : warm.seconds, meanLoss: run.loss, cold,
  };
}

/**
 * Progress on stderr, at most once a second: `@bench <steps> <seconds>` counted from the first step's
 * start (and `@bench 0 0` then). When the driver has to kill a child that ran out of time, these
 * lines still say how far it got: a partial figure, or a bound when not even one step finished.
 */
export function progressReporter(): () => void {
  const t0 = performance.now();
  let steps = 0, last = t0;
  process.stderr.write('@bench 0 0\n');
  return () => {
    steps++;
    const now = performance.now();
    if (now - last < 1000) return;
    last = now;
    process.stderr.write(`@bench ${steps} ${((now - t0) / 1000).toFixed(3)}\n`);
  };
}

/** The timing fields of a child's result line. */
export const timingFields = (t: Timing) => ({
  charsPerSec: t.charsPerSec, steps: t.steps, seconds: t.seconds, warmupSteps: t.warmupSteps, warmupSeconds: t.warmupSeconds,
  ...(t.cold ? { cold: true } : {}),
});

/** Peak resident memory of this process, in MB (what `/usr/bin/time -v` calls maximum resident set size). */
export const peakRssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
