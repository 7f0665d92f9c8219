#!/usr/bin/env node
// `npm test`: Node 20's test runner does not expand globs, so list test/**/*.test.ts here and hand the
// files to `node --import tsx --test`. Extra arguments (files or --test-name-pattern=...) pass through.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const find = (dir) => readdirSync(dir).sort().flatMap((name) => {
  const p = join(dir, name);
  return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.ts') ? [p] : [];
});
const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-')) ? [] : find('test');
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
