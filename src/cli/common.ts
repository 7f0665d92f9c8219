/**
 * What every command shares: flag parsing that refuses bad values in one sentence, and a runner that
 * turns any error into a one-line message and a non-zero exit (never a stack trace).
 */
import { statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { NetTrainingOptions } from '../tasks/net.js';
import { cannotCreateIn, removeStaleTemps } from '../node/files.js';

export class UsageError extends Error {}

/**
 * Standard output was closed by its reader (`recur sample | head -c5`): the command stops and exits
 * quietly with status 0, as `yes | head` does. Node reports the closed pipe as EPIPE on the stream
 * (main.ts) and marks the stream errored at once, which out() turns into this error so that a long
 * loop stops writing instead of running to its end.
 */
export class OutputClosed extends Error {}

/** Write to standard output; throws OutputClosed once its reader has gone. */
export function out(text: string): void {
  // A failed write marks the stream errored (and not writable) at once; 'error' is emitted later.
  if (process.stdout.errored || !process.stdout.writable) throw new OutputClosed('standard output is closed');
  process.stdout.write(text);
}

/** Longest error line printed: errors may quote what a file holds. */
const MAX_ERROR_CHARS = 400;

/** The one line an error becomes: its first line, cut to MAX_ERROR_CHARS. */
export function errorLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 1)}…` : line;
}

const statOf = (path: string): Stats | null => { try { return statSync(path); } catch { return null; } };

/**
 * Check an output path before any work is done, so that a long run cannot end in a file it may not
 * write: its folder exists and a file can be created there; it is not a folder, a FIFO or a device;
 * and it is not (through a symbolic or hard link, or under another name) any of the `inputs`, whose
 * data the save would replace. Then remove what killed saves of it left behind. Every command that
 * writes a file calls this.
 */
export function checkOutputPath(path: string, flag: string, inputs: Record<string, string | undefined> = {}): void {
  if (path.trim() === '') throw new UsageError(`${flag} needs a file name`);
  const dir = dirname(resolve(path));
  const dirStat = statOf(dir);
  if (!dirStat) throw new UsageError(`${flag} ${path}: the folder ${dir} does not exist: no such directory`);
  if (!dirStat.isDirectory()) throw new UsageError(`${flag} ${path}: ${dir} is not a folder`);
  const st = statOf(path);
  if (st?.isDirectory()) throw new UsageError(`${flag} ${path} is a directory`);
  if (st && !st.isFile()) throw new UsageError(`${flag} ${path} is not a regular file`);
  if (st) {
    for (const [inFlag, input] of Object.entries(inputs)) {
      if (input === undefined || input === '-') continue;
      const inStat = statOf(input);
      if (inStat && inStat.dev === st.dev && inStat.ino === st.ino) {
        throw new UsageError(`${flag} ${path} is the same file as ${inFlag} ${input}: saving would replace it`);
      }
    }
  }
  const why = cannotCreateIn(dir);
  if (why !== null) throw new UsageError(`${flag} ${path}: cannot create files in ${dir}: ${why}`);
  removeStaleTemps(path);
}

/** Wrap a command body: errors become `recur: <message>` on stderr and exit code 1 (2 for usage errors). */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof OutputClosed) return;
      process.stderr.write(`recur: ${errorLine(e)}\n`);
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

/** A decimal number as people write one: Number() alone would also take 0x10, 0b1, 0o7 and '  '. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export const numArg = (min: number, max = Infinity, opts: { exclusiveMin?: boolean } = {}) => (v: string): number => {
  const n = Number(v);
  if (!DECIMAL.test(v.trim()) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  if (n < min || (opts.exclusiveMin && n === min) || n > max) {
    throw new InvalidArgumentError(`expected a number ${opts.exclusiveMin ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}, got ${n}`);
  }
  return n;
};

export const choiceArg = <T extends string>(choices: readonly T[]) => (v: string): T => {
  if (!choices.includes(v as T)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
};

/**
 * Text from a file or a model (a class label, a snippet) made safe for a terminal: control characters
 * (C0, DEL, C1: escape sequences could recolour, retitle or rewrite the screen) shown as \\uXXXX.
 */
export const printable = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Print one JSON object per line (the --json protocol). */
export function jsonLine(obj: Record<string, unknown>): void {
  out(`${JSON.stringify(obj)}\n`);
}

/**
 * The flags of every command that trains a network with Adam under a time budget (classify, forecast), in one
 * order: --batch, --lr, --clip-norm, --time, the task's own budget flag, --seed.
 */
export function netTrainingFlags(cmd: Command, d: NetTrainingOptions, text: {
  batch: string; lr: string; seed: string; budget: { flag: string; what: string; max: number };
}): Command {
  const name = text.budget.flag.replace(/^--| <.*$/g, '');
  return cmd
    .option('--batch <n>', text.batch, intArg(1, 4096), d.batch)
    .option('--lr <x>', text.lr, numArg(0, 10, { exclusiveMin: true }), d.lr)
    .option('--clip-norm <x>', 'clip the gradient to this global norm (0 = off)', numArg(0), d.clipNorm)
    .option('--time <seconds>', `training time per model (default ${d.time} unless --${name})`, numArg(0, 1e7, { exclusiveMin: true }))
    .option(text.budget.flag, `${text.budget.what} (with --time: whichever comes first)`, intArg(1, text.budget.max))
    .option('--seed <n>', text.seed, intArg(0, 0xffffffff), d.seed);
}
