/**
 * What every command shares: flag parsing that refuses bad values in one sentence, and a runner that
 * turns any error into a one-line message and a non-zero exit (never a stack trace).
 */
import { InvalidArgumentError } from 'commander';

export class UsageError extends Error {}

/** Wrap a command body: errors become `recur: <message>` on stderr and exit code 1 (2 for usage errors). */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      process.stderr.write(`recur: ${msg.split('\n')[0]}\n`);
      if (process.env.RECUR_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    }
  };
}

/** commander argument parsers */
export const intArg = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: string): number => {
  if (!/^[+-]?\d+$/.test(v.trim())) throw new InvalidArgumentError(`expected an integer, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}…${max === Number.MAX_SAFE_INTEGER ? '∞' : max}, got ${n}`);
  return n;
};

export const numArg = (min: number, max = Infinity, opts: { exclusiveMin?: boolean } = {}) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  if (n < min || (opts.exclusiveMin && n === min) || n > max) {
    throw new InvalidArgumentError(`expected a number ${opts.exclusiveMin ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}, got ${n}`);
  }
  return n;
};

export const choiceArg = <T extends string>(choices: readonly T[]) => (v: string): T => {
  if (!choices.includes(v as T)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
};

/** Print one JSON object per line (the --json protocol). */
export function jsonLine(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
