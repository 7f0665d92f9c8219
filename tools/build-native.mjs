#!/usr/bin/env node
/**
 * Builds the native kernel backend (native/ → build/Release/recur_native.node) with node-gyp.
 * Run at install (package.json "install") and by `npm run build:native`.
 *
 *   node tools/build-native.mjs [DIR MODULE]   DIR: another node-gyp project (default: the package's
 *                                              own), MODULE: its build/Release/MODULE.node
 * `npm run bench:gemm` builds the bench-only OpenBLAS addon this way (bench/blas recur_blas).
 *
 * Installing never fails because of it: without a compiler, make, Python or Node's headers, on a
 * CPU other than x86-64, or on any build error, it prints one line saying why and exits 0, and
 * recur uses the WASM (or JS) backend. The full node-gyp output goes to build/native-build.log.
 *
 * It runs `node-gyp configure` and `build`, not `rebuild`: rebuild starts by deleting all of
 * build/, which also holds the WASM kernels (build/wasm/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, process.argv[2] ?? '.');
const moduleName = process.argv[3] ?? 'recur_native';
const log = join(root, 'build', 'native-build.log');

function skip(reason) {
  console.log(moduleName === 'recur_native' ? `recur: native backend not built (${reason}); using wasm/js` : `recur: ${moduleName} not built (${reason})`);
  process.exit(0);
}

/** node-gyp's entry script: npm's own (set for install scripts), the project's, or the one bundled with npm. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try { candidates.push(createRequire(join(pkg, 'package.json')).resolve('node-gyp/bin/node-gyp.js')); } catch { /* not installed */ }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c));
}

/** Node's own headers next to the binary (Debian's nodejs-dev, official tarballs), so nothing is downloaded. */
function localNodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined;
}

/** A short reason from node-gyp's output. */
function reasonOf(out) {
  const checks = [
    [/spawn make ENOENT|make: (command )?not found/i, 'make is not installed'],
    [/\b(g\+\+|c\+\+|gcc|cc)\b[^\n]*(not found|No such file or directory)|\.o\] Error 127/i, 'no C++ compiler (g++ or clang++)'],
    [/gyp ERR! find Python|Could not find any Python/i, 'no Python for node-gyp'],
    [/common\.gypi not found|node_api\.h: No such file/i, "Node's headers not found (set npm_config_nodedir)"],
    [/getaddrinfo|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|connectivity/i, "Node's headers are not installed and cannot be downloaded"],
    [/unrecognized command[- ]line option|immintrin\.h/i, 'the compiler lacks AVX-512/AVX2 support'],
  ];
  for (const [re, why] of checks) if (re.test(out)) return why;
  const err = out.split('\n').find((l) => /\berror\b/i.test(l) && !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
  return err ? `build error: ${err.replace(/^.*?error:?\s*/i, '').trim().slice(0, 120)}` : 'build error';
}

if (process.env.RECUR_SKIP_NATIVE) skip('RECUR_SKIP_NATIVE is set');
if (process.arch !== 'x64') skip(`no native kernels for ${process.arch} CPUs`);
if (process.platform === 'win32') skip('Windows builds are not supported (GCC or Clang needed)');
const gyp = findNodeGyp();
if (!gyp) skip('node-gyp not found');

const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const dir = localNodeDir();
  if (dir) env.npm_config_nodedir = dir;
}
mkdirSync(join(root, 'build'), { recursive: true });
let output = '';
for (const args of [['configure'], ['build', '--jobs', 'max']]) {
  const r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, env, encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 64 << 20 });
  output += `$ node-gyp ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}\n`;
  if (r.error || r.status !== 0) {
    writeFileSync(log, output);
    skip(r.error ? (r.error.code === 'ETIMEDOUT' ? 'the build timed out' : r.error.message) : reasonOf(output));
  }
}
writeFileSync(log, output);

// A module that builds but does not load (a toolchain/glibc mismatch) is as good as none.
const probe = moduleName === 'recur_native' ? '.isas().join(\', \')' : ' && \'loads\'';
const check = spawnSync(process.execPath, ['-e', `console.log(require('./build/Release/${moduleName}.node')${probe})`],
  { cwd: root, encoding: 'utf8' });
if (check.status !== 0) skip(`the built module does not load: ${(check.stderr || '').trim().split('\n')[0].slice(0, 120)}`);
console.log(`recur: ${moduleName === 'recur_native' ? 'native backend' : moduleName} built (${check.stdout.trim()})`);
