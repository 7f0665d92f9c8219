/**
 * The protocol between the driver (bench/run.ts) and a TypeScript child (bench/recur.ts,
 * bench/peers/tfjs.ts, bench/peers/brain.ts): flags in, exactly one JSON line out on stdout, then
 * exit. Diagnostics go to stderr. A failure is still one JSON line (with `error`) and exit code 1, so
 * the driver can put the reason in the table.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildResult, Spec, Window, WorkloadId } from './workloads.js';

export interface ChildArgs {
  spec: Spec;
  threads: number;
  window: Window;
  /** Seconds of training before the validation loss is read (0 = no quality run). */
  quality: number;
  /** Variant inside the peer (recur: js|wasm|native|auto; tfjs: cpu|wasm). */
  backend: string;
  seed: number;
}

function parseJson<T>(text: string | undefined, what: string): T {
  if (text === undefined) throw new Error(`missing --${what}`);
  try { return JSON.parse(text) as T; } catch { throw new Error(`--${what} is not valid JSON`); }
}

export function parseChildArgs(argv = process.argv.slice(2)): ChildArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      spec: { type: 'string' }, threads: { type: 'string', default: '1' }, window: { type: 'string' },
      quality: { type: 'string', default: '0' }, backend: { type: 'string', default: '' }, seed: { type: 'string', default: '1' },
    },
    strict: true,
  });
  const threads = Number(values.threads), quality = Number(values.quality), seed = Number(values.seed);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be a positive integer, got ${values.threads}`);
  if (!(quality >= 0)) throw new Error(`--quality must be a number of seconds ≥ 0, got ${values.quality}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  return {
    spec: parseJson<Spec>(values.spec, 'spec'), window: parseJson<Window>(values.window, 'window'),
    threads, quality, backend: values.backend ?? '', seed,
  };
}

/** Print the result line and exit (worker threads of a backend would otherwise keep the process alive). */
export function emit(result: ChildResult | Record<string, unknown>, code = 0): never {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(code));
  // Wait for the write callback; the return type says the caller never continues.
  return undefined as never;
}

/** Run a child's main: any failure becomes a JSON line with `error` (one line, no stack) and exit 1. */
export async function childMain(peer: string, body: (args: ChildArgs) => Promise<ChildResult>): Promise<void> {
  let workload: WorkloadId | 'G1' = 'W1', threads = 1;
  try {
    const args = parseChildArgs();
    workload = args.spec.id; threads = args.threads;
    emit(await body(args));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`${peer}: ${msg.split('\n')[0]}\n`);
    if (process.env.RECUR_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    emit({ peer, workload, threads, error: msg.split('\n')[0] }, 1);
  }
}

/** True when this module file is the process's entry point (not imported by a test). */
export const isMain = (metaUrl: string): boolean =>
  process.argv[1] !== undefined && fileURLToPath(metaUrl) === resolve(process.argv[1]);
