/**
 * Running the `recur` command in tests (a child process through tsx, with a timeout) and the small
 * texts the language-model tests train on.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Start `recur ...args` (the caller may kill it). */
export function startRecur(args: string[], opts: { input?: string | Uint8Array } = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, RECUR_DEBUG: '', FORCE_COLOR: '0' },
  });
  child.stdin!.on('error', () => {}); // a command that fails early may close stdin first
  child.stdin!.end(opts.input ?? '');
  return child;
}

export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<RunResult> {
  let stdout = '', stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`recur timed out after ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** Run `recur ...args` to the end. Tests pass `--backend js` so that results do not depend on what is built. */
export function recur(args: string[], opts: { input?: string | Uint8Array; timeoutMs?: number } = {}): Promise<RunResult> {
  return collect(startRecur(args, opts), opts.timeoutMs);
}

/** Run async jobs at most `n` at a time (the test machine has two cores). */
export async function pool<T>(jobs: (() => Promise<T>)[], n = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i](); }
  }));
  return out;
}

export const tempDir = (prefix = 'recur-lm-'): string => mkdtempSync(join(tmpdir(), prefix));

/** A few kilobytes of a small-vocabulary text, reproducible. */
export function smallText(words = 600): string {
  const w = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'park', 'while', 'birds', 'sang'];
  let s = 0x2545f491, out = '';
  for (let i = 0; i < words; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out += w[(s >>> 16) % w.length] + (i % 12 === 11 ? '.\n' : ' ');
  }
  return out;
}

export function writeText(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A tiny, fast model configuration for CLI runs. */
export const TINY = ['--backend', 'js', '--hidden', '8', '--embed', '6', '--batch', '4', '--seq', '16', '--log-every', '0', '--val-every', '0', '--sample-length', '40'];

/** A failure is one line on stderr starting "recur: ", matching `pattern`, no stack trace, and the given exit code. */
export function assertOneLineError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^recur: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}
