/**
 * `npm run bench`: the workloads of ../shared/WORKLOADS.md for recur and, in the same run, for every
 * peer available on the machine (PyTorch CPU, numpy min-char-rnn, TensorFlow.js cpu/wasm, brain.js).
 * Each measurement runs in its own child process, one after another (never two at once: they would
 * share the cores), and prints one JSON line; this driver collects them, computes recur/peer ratios
 * from figures of this run only, prints a Markdown report and writes it to bench/results/latest.md,
 * with every raw figure in bench/results/<date>.json (--out elsewhere puts latest.md beside it).
 *
 *   node --import tsx bench/run.ts [--only W2,S1] [--peers recur,torch,...] [--backends js,wasm]
 *                                  [--threads 1,2] [--quick] [--quality] [--no-gemm] [--out file.json]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { atomicWriteFile } from '../src/node/files.js';
import { corpusPath } from './corpus.js';
import { PEER_IDS, planCells, type Cell, type PeerId } from './plan.js';
import { fmtRate, markdownReport, type CellResult, type RunInfo } from './report.js';
import { charsPerUnit, GEMM, QUALITY_SECONDS, WORKLOAD_IDS, WORKLOADS, type ChildResult, type SampleSpec, type TrainSpec, type WorkloadId } from './workloads.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const PYTHON = '/usr/bin/python3';
const require = createRequire(import.meta.url);

class UsageError extends Error {}

function listArg<T extends string>(v: string | undefined, all: readonly T[], what: string, flag: string): T[] {
  if (v === undefined) return [...all];
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const it of items) if (!all.includes(it as T)) throw new UsageError(`unknown ${what} '${it}' (expected ${all.join(', ')})`);
  if (!items.length) throw new UsageError(`--${flag} needs at least one ${what}`);
  return items as T[];
}

const FLAGS = {
  only: { type: 'string' }, peers: { type: 'string' }, backends: { type: 'string' }, threads: { type: 'string' },
  quick: { type: 'boolean', default: false }, quality: { type: 'boolean', default: false },
  'no-gemm': { type: 'boolean', default: false }, out: { type: 'string' },
  'openblas-coretype': { type: 'string', default: 'SkylakeX' }, 'omp-wait-policy': { type: 'string' }, report: { type: 'string' },
  pin: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

function parseFlags() {
  try {
    return parseArgs({ options: FLAGS, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function options() {
  const { values } = parseFlags();
  const threads = (values.threads ?? '1,2').split(',').map((s) => Number(s.trim()));
  for (const t of threads) if (!(Number.isInteger(t) && t >= 1 && t <= 256)) throw new UsageError(`--threads takes positive integers, got '${values.threads}'`);
  return {
    help: values.help!,
    workloads: listArg<WorkloadId>(values.only, WORKLOAD_IDS, 'workload', 'only'),
    peers: listArg<PeerId>(values.peers, PEER_IDS, 'peer', 'peers'),
    backends: values.backends === undefined ? undefined : listArg(values.backends, ['js', 'wasm', 'native'] as const, 'backend', 'backends'),
    threads: [...new Set(threads)].sort((a, b) => a - b),
    quick: values.quick!, quality: values.quality!, gemm: !values['no-gemm'],
    out: values.out, coretype: values['openblas-coretype']!, ompWait: ompWaitArg(values['omp-wait-policy']),
    explicit: values.only !== undefined || values.peers !== undefined, report: values.report,
    pin: pinArg(values.pin),
  };
}

/**
 * The CPU that 1-thread cells are pinned to (taskset), or null. On the development VM the two vCPUs
 * differ by up to 30 % (W4 on recur's wasm backend: ~70k chars/s on CPU 0, 53–64k on CPU 1), so an
 * unpinned 1-thread figure depends on where the scheduler put the process, and a ratio of two of
 * them compares two different cores. Default: CPU 0 where taskset exists (Linux); `--pin none` off.
 */
function pinArg(v: string | undefined): number | null {
  if (v === 'none') return null;
  if (v !== undefined) {
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 0)) throw new UsageError(`--pin takes a CPU number or none, got '${v}'`);
    return n;
  }
  return process.platform === 'linux' && spawnSync('taskset', ['-V']).status === 0 ? 0 : null;
}

function ompWaitArg(v: string | undefined): 'ACTIVE' | 'PASSIVE' | undefined {
  if (v === undefined) return undefined;
  const u = v.toUpperCase();
  if (u !== 'ACTIVE' && u !== 'PASSIVE') throw new UsageError(`--omp-wait-policy takes ACTIVE or PASSIVE, got '${v}'`);
  return u;
}

const USAGE = `usage: npm run bench -- [--only W1,W2,W3,W4,W5,W6,S1] [--peers recur,torch,numpy,tfjs,brain]
                      [--backends js,wasm,native] [--threads 1,2] [--quick] [--quality] [--no-gemm]
                      [--out bench/results/<date>.json] [--openblas-coretype SkylakeX]
                      [--omp-wait-policy ACTIVE|PASSIVE] [--pin <cpu>|none]
       npm run bench -- --report bench/results/<date>.json   (re-render a saved run's Markdown)`;

// ------------------------------------------------------------------ children
interface Spawned {
  code: number | null; stdout: string; stderr: string; timedOut: boolean; seconds: number;
  /** Seconds from spawn to the child's first `@bench 0 0` (its first timed step starting). */
  readyAt?: number;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutSeconds: number): Promise<Spawned> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false, readyAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      if (readyAt === undefined && text.includes('@bench 0 0')) readyAt = (Date.now() - t0) / 1000;
      stderr = (stderr + text).slice(-20000);
    });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.on('error', (e) => { stderr += `\n${e.message}`; });
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr, timedOut, seconds: (Date.now() - t0) / 1000, readyAt }); });
  });
}

/** The last line of stdout that parses as a JSON object (tfjs and others may print before it). */
function lastJson(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try { return JSON.parse(l) as Record<string, unknown>; } catch { /* not ours */ }
  }
  return undefined;
}

const lastLine = (s: string): string => s.trim().split('\n').filter((l) => l.trim() && !/^\s*at /.test(l) && !l.startsWith('@bench')).pop()?.slice(0, 300) ?? '';

/** The last `@bench <steps> <seconds>` progress line of a child's stderr. */
function lastProgress(stderr: string): { steps: number; seconds: number } | undefined {
  const m = [...stderr.matchAll(/^@bench (\d+) ([\d.]+)$/gm)].pop();
  return m ? { steps: Number(m[1]), seconds: Number(m[2]) } : undefined;
}

interface PeerEnv { coretype: string; ompWait?: 'ACTIVE' | 'PASSIVE' }

function command(cell: Cell, pe: PeerEnv): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const spec = cell.workload === 'G1' ? GEMM : WORKLOADS[cell.workload];
  const common = ['--spec', JSON.stringify(spec), '--window', JSON.stringify(cell.window), '--threads', String(cell.threads),
    '--backend', cell.backend, '--quality', String(cell.quality ? QUALITY_SECONDS : 0)];
  const t = String(cell.threads);
  // Every BLAS and OpenMP pool sized to the cell's thread count, so no peer oversubscribes the cores.
  const env = { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t };
  const node = (file: string) => ({ cmd: process.execPath, args: ['--import', 'tsx', join(HERE, file), ...common], env });
  switch (cell.peer) {
    case 'recur': return node('recur.ts');
    case 'tfjs': return node('peers/tfjs.ts');
    case 'brain': return node('peers/brain.ts');
    case 'torch': case 'numpy':
      // OpenBLAS 0.3.21 does not know recent CPUs; without the core type it may run SSE3 kernels.
      // OMP_WAIT_POLICY=PASSIVE keeps PyTorch's OpenMP threads from spinning, which on a shared
      // machine stalls them badly (left to PyTorch's default unless --omp-wait-policy is given).
      return {
        cmd: PYTHON, args: [join(HERE, 'peers', cell.peer === 'torch' ? 'torch_bench.py' : 'min_char_rnn.py'), ...common, '--corpus', corpusPath()],
        env: { ...env, OPENBLAS_CORETYPE: pe.coretype, ...(pe.ompWait ? { OMP_WAIT_POLICY: pe.ompWait } : {}) },
      };
  }
}

async function runCell(cell: Cell, pe: PeerEnv, pin: number | null): Promise<CellResult> {
  const load1 = Number(loadavg()[0].toFixed(2));
  if (cell.skip) return { ...cell, status: 'skipped', message: cell.skip, wallSeconds: 0, load1 };
  const { cmd, args, env } = command(cell, pe);
  const pinned = pin !== null && cell.threads === 1;
  const r = await runChild(pinned ? 'taskset' : cmd, pinned ? ['-c', String(pin), cmd, ...args] : args, env, cell.timeoutSeconds);
  const json = lastJson(r.stdout) as ChildResult | undefined;
  const base = { ...cell, wallSeconds: Number(r.seconds.toFixed(1)), load1 };
  if (r.timedOut) {
    const units = cell.workload === 'G1' ? 2 * GEMM.m * GEMM.n * GEMM.k / 1e9 : charsPerUnit(WORKLOADS[cell.workload] as TrainSpec | SampleSpec);
    // Messages name only the limit, so that the report's footnotes group the cells that hit it.
    const p = lastProgress(r.stderr), limit = `the ${cell.timeoutSeconds} s limit of a cell`;
    if (p && p.steps > 0) {
      return { ...base, status: 'timeout', partial: (p.steps * units) / p.seconds, message: `stopped at ${limit}; figure from its progress, warm-up included` };
    }
    if (r.readyAt !== undefined) {
      return { ...base, status: 'timeout', upperBound: units / (r.seconds - r.readyAt), message: `not one step finished before ${limit}` };
    }
    return { ...base, status: 'timeout', message: `did not get to its first step within ${limit}` };
  }
  if (json?.unsupported) return { ...base, status: 'unsupported', result: json, message: json.unsupported };
  if (json && !json.error && r.code === 0) return { ...base, status: 'ok', result: json };
  const why = json?.error ?? (lastLine(r.stderr) || `exit code ${r.code}`);
  return { ...base, status: 'error', result: json, message: classify(why) };
}

/** Out-of-memory failures say so in many ways; the table should say it plainly. */
function classify(msg: string): string {
  if (/out of memory|OOM|Cannot enlarge memory|Array buffer allocation failed|Aborted\(\)/i.test(msg)) return `out of memory (${msg})`;
  return msg;
}

// ------------------------------------------------------------------ machine and probes
function machine(): Record<string, string | number> {
  let cpu = cpus()[0]?.model ?? 'unknown', flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? cpu;
    const f = /flags\s*:\s*(.*)/.exec(info)?.[1].split(' ') ?? [];
    flags = ['avx2', 'fma', 'avx512f', 'avx512_bf16'].filter((x) => f.includes(x)).join(' ');
  } catch { /* not Linux */ }
  return {
    cpu, cores: availableParallelism(), flags, memoryGB: Math.round(totalmem() / 2 ** 30), kernel: release(),
    node: process.version, loadStart: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

async function probeRecur(): Promise<{ available: string[]; missing: Record<string, string> }> {
  const r = await runChild(process.execPath, ['--import', 'tsx', join(HERE, 'recur.ts'), '--probe'], process.env, 120);
  const j = lastJson(r.stdout) as { available?: string[]; missing?: Record<string, string> } | undefined;
  if (!j?.available) throw new Error(`bench/recur.ts --probe failed: ${lastLine(r.stderr) || 'no output'}`);
  // The probe's messages carry the loader's full path; the first clause is the reason.
  const missing = Object.fromEntries(Object.entries(j.missing ?? {}).map(([k, v]) => [k, v.replace(/^the \w+ backend is not available: /, '').replace(/ imported from .*/, '')]));
  return { available: j.available, missing };
}

async function probePeers(peers: PeerId[]): Promise<{ unavailable: Partial<Record<PeerId, string>>; versions: Record<string, string> }> {
  const unavailable: Partial<Record<PeerId, string>> = {}, versions: Record<string, string> = {};
  const py = async (mod: string): Promise<string | undefined> => {
    const r = await runChild(PYTHON, ['-c', `import ${mod}; print(${mod}.__version__)`], process.env, 120);
    if (r.code === 0) { versions[mod === 'torch' ? 'PyTorch' : mod] = r.stdout.trim(); return undefined; }
    return `${PYTHON} cannot import ${mod}: ${lastLine(r.stderr) || `exit ${r.code}`}`;
  };
  const js = (pkg: string, name: string): string | undefined => {
    try { versions[name] = (require(`${pkg}/package.json`) as { version: string }).version; return undefined; } catch { return `${pkg} is not installed`; }
  };
  if (peers.includes('torch')) { const e = await py('torch'); if (e) unavailable.torch = e; }
  if (peers.includes('numpy') || peers.includes('torch')) { const e = await py('numpy'); if (e) unavailable.numpy = e; }
  if (peers.includes('tfjs')) {
    const e = js('@tensorflow/tfjs', 'tfjs') ?? js('@tensorflow/tfjs-backend-wasm', 'tfjs-backend-wasm');
    if (e) unavailable.tfjs = e;
  }
  if (peers.includes('brain')) { const e = js('brain.js', 'brain.js'); if (e) unavailable.brain = e; }
  return { unavailable, versions };
}

// ------------------------------------------------------------------ main
function describe(c: Cell): string {
  return `${c.workload}${c.quality ? ' quality' : ''} ${c.peer}${c.backend ? ` ${c.backend}` : ''} ${c.threads}t`;
}

function summary(r: CellResult): string {
  if (r.status !== 'ok') return `${r.status}${r.message ? `: ${r.message}` : ''}`;
  const x = r.result!;
  if (x.valLoss !== undefined) return `val loss ${x.valLoss.toFixed(3)} after ${x.qualitySteps} steps`;
  if (x.gflops !== undefined) return `${x.gflops.toFixed(1)} GFLOP/s`;
  return `${fmtRate(x.charsPerSec ?? NaN)} chars/s (${x.steps} steps in ${x.seconds?.toFixed(1)} s${x.cold ? ', cold' : ''})`;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** --report: the Markdown of a saved run (e.g. after the report's layout changed), without measuring. */
function rerender(path: string): void {
  let saved: RunInfo & { results: CellResult[] };
  try { saved = JSON.parse(readFileSync(path, 'utf8')) as RunInfo & { results: CellResult[] }; } catch (e) {
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (!Array.isArray(saved.results) || typeof saved.machine !== 'object') throw new Error(`${path} is not a bench results file`);
  const md = markdownReport(saved, saved.results);
  atomicWriteFile(join(dirname(resolve(path)), 'latest.md'), utf8(md));
  process.stdout.write(md);
}

async function main(): Promise<void> {
  const o = options();
  if (o.help) { process.stdout.write(`${USAGE}\n`); return; }
  if (o.report) { rerender(o.report); return; }
  const t0 = Date.now();
  const info = machine();
  const probe = o.peers.includes('recur') ? await probeRecur() : { available: [], missing: {} };
  // Without --backends: every backend that loads, except the JS reference when a compiled one loads
  // (it is 10-50× slower and would take a third of the run; --backends js,wasm,native includes it).
  const compiled = probe.available.filter((b) => b !== 'js');
  const recurBackends = o.backends ? probe.available.filter((b) => o.backends!.includes(b as 'js')) : compiled.length ? compiled : probe.available;
  for (const b of o.backends ?? []) if (!probe.available.includes(b)) process.stderr.write(`bench: recur backend ${b} is not available here: ${probe.missing[b] ?? 'unknown reason'}\n`);
  const { unavailable, versions } = await probePeers(o.peers);
  const cells = planCells({ workloads: o.workloads, peers: o.peers, recurBackends, threads: o.threads, quick: o.quick, quality: o.quality, gemm: o.gemm, unavailable, explicit: o.explicit });
  const toRun = cells.filter((c) => !c.skip).length;
  process.stderr.write(`bench: ${toRun} measurements (${cells.length - toRun} skipped), recur backends: ${recurBackends.join(', ') || 'none'}\n`);

  const results: CellResult[] = [];
  let i = 0;
  for (const cell of cells) {
    if (!cell.skip) process.stderr.write(`[${++i}/${toRun}] ${describe(cell)} ... `);
    const r = await runCell(cell, { coretype: o.coretype, ompWait: o.ompWait }, o.pin);
    results.push(r);
    if (!cell.skip) process.stderr.write(`${summary(r)}  [${r.wallSeconds} s, load ${r.load1}]\n`);
  }

  // Versions the children reported (PyTorch's BLAS, tfjs-backend-wasm, ...) complete the probe's.
  for (const r of results) for (const [k, v] of Object.entries(r.result?.versions ?? {})) {
    const key = k === 'torch' ? 'PyTorch' : k;
    if (['python', 'blasLibraries', 'openblasConfig', 'openblasCore'].includes(k)) continue;
    versions[key] ??= v;
  }
  const openblas = results.find((r) => r.result?.versions?.openblasConfig)?.result?.versions;
  if (openblas) versions.OpenBLAS = `${openblas.openblasConfig} (core ${openblas.openblasCore}, OPENBLAS_CORETYPE=${o.coretype})`;
  versions.node = process.version;
  if (o.ompWait) versions.PyTorch += ` (OMP_WAIT_POLICY=${o.ompWait})`;
  info.loadMax = Math.max(0, ...results.map((r) => r.load1)).toFixed(2);

  const date = new Date().toISOString();
  const runInfo: RunInfo = {
    date, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), machine: info, versions,
    mode: (o.quick ? 'quick (short windows, rough figures)' : 'full (warm-up ≥ 20 s and ≥ 20 steps, measure ≥ 20 s, cap 90 s)')
      + (o.pin !== null ? `; 1-thread cells pinned to CPU ${o.pin}` : '; not pinned'),
    recurBackends: { available: probe.available, missing: probe.missing }, unavailablePeers: unavailable as Record<string, string>,
    minutes: (Date.now() - t0) / 60000,
  };
  const md = markdownReport(runInfo, results);
  // The Markdown goes next to the JSON: bench/results/latest.md by default.
  const out = o.out ? resolve(o.out) : join(HERE, 'results', `${date.slice(0, 16).replace(/[:T]/g, '-')}.json`);
  const resultsDir = dirname(out);
  mkdirSync(resultsDir, { recursive: true });
  atomicWriteFile(out, utf8(`${JSON.stringify({ ...runInfo, results }, null, 1)}\n`));
  atomicWriteFile(join(resultsDir, 'latest.md'), utf8(md));
  process.stdout.write(md);
  process.stderr.write(`bench: wrote ${out} and ${join(resultsDir, 'latest.md')}\n`);
}

main().catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`bench: ${msg.split('\n')[0]}\n`);
  if (e instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
