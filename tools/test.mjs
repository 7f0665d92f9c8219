#!/usr/bin/env node
// `npm test`: Node 20's test runner does not expand globs, so list test/**/*.test.ts here and hand the
// files to `node --import tsx --test`. Extra arguments (files or --test-name-pattern=...) pass through.
//
// Nothing may hang CI: every test has a time limit (--test-timeout), and the whole run has one too
// (RECUR_TEST_LIMIT_S, default 25 min; the suite takes ~3 min). The runner starts in its own process group, so
// when the limit is hit everything it started (test files, CLI children, Chromium) is killed with it.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const find = (dir) => readdirSync(dir).sort().flatMap((name) => {
  const p = join(dir, name);
  return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.ts') ? [p] : [];
});
const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-')) ? [] : find('test');
const limitS = Number(process.env.RECUR_TEST_LIMIT_S ?? 1500);
if (!(limitS > 0)) { console.error(`npm test: RECUR_TEST_LIMIT_S must be a positive number of seconds`); process.exit(2); }

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...args, ...files],
  { stdio: 'inherit', detached: true });
const killGroup = (signal) => { try { process.kill(-child.pid, signal); } catch { /* already gone */ } };

// One way to stop early (the limit, or ^C / SIGTERM to npm test): SIGTERM first, because playwright-core starts
// Chromium in a process group of its own and kills it on SIGTERM; SIGKILL what is left 5 s later, then exit 1.
let stopping = false;
function stop(message) {
  if (stopping) return;
  stopping = true;
  if (message) console.error(message);
  killGroup('SIGTERM');
  setTimeout(() => { killGroup('SIGKILL'); process.exit(1); }, 5000);
}
const timer = setTimeout(() => stop(`npm test: not finished after ${limitS} s; killing the test run and everything it started`), limitS * 1000);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stop());
child.on('exit', (code) => {
  if (stopping) return;  // stop() exits once its grace period is over
  clearTimeout(timer);
  // Leave nothing behind: a test that forgot a child (a browser, a CLI run) must not outlive the suite.
  killGroup('SIGKILL');
  process.exit(code ?? 1);
});
