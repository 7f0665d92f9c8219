import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOneLineError } from './lm-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'recur-lab-'));

function recur(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'lab', ...args], {
    cwd: root, encoding: 'utf8', timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: independent error cases run side by side (each is mostly start-up time). */
function recurAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'lab', ...args], { cwd: root, timeout: 60_000 });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (out: string): Record<string, unknown>[] => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

const model = join(dir, 'adding.safetensors');

test('lab adding --json: step lines with loss, gradient norm and spectral radius; a result line with test_mse and baseline_mse', () => {
  const svg = join(dir, 'loss.svg');
  const r = recur('adding', '--cell', 'gru', '--length', '8', '--hidden', '6', '--batch', '8', '--steps', '12', '--log-every', '4',
    '--test-size', '40', '--json', '--backend', 'js', '--seed', '3', '--save', model, '--svg', svg);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  const steps = lines.slice(0, -1), last = lines[lines.length - 1];
  assert.deepEqual(steps.map((l) => l.step), [1, 4, 8, 12]);
  for (const l of steps) for (const k of ['loss', 'grad_norm', 'spectral_radius']) assert.ok(typeof l[k] === 'number' && Number.isFinite(l[k]), `${k} in ${JSON.stringify(l)}`);
  assert.equal(last.cell, 'gru');
  assert.equal(last.length, 8);
  assert.ok(typeof last.test_mse === 'number' && last.test_mse > 0);
  assert.ok(Math.abs((last.baseline_mse as number) - 1 / 6) < 1e-12);
  assert.equal(last.steps, 12);
  assert.ok(existsSync(model));
  assert.match(readFileSync(svg, 'utf8'), /^<svg/);
});

test('lab copy --json: the result line has delay, test_ce and the memoryless baseline', () => {
  const r = recur('copy', '--cell', 'irnn', '--delay', '4', '--hidden', '5', '--batch', '4', '--steps', '3', '--test-size', '8', '--json', '--backend', 'js');
  assert.equal(r.code, 0, r.stderr);
  const last = jsonLines(r.stdout).pop()!;
  assert.equal(last.cell, 'irnn');
  assert.equal(last.delay, 4);
  assert.ok(typeof last.test_ce === 'number' && last.test_ce > 0);
  assert.ok(Math.abs((last.baseline_ce as number) - (10 * Math.log(8)) / 24) < 1e-12);
  assert.ok(typeof last.recall_accuracy === 'number');
});

test('lab gradflow: on a saved lab model (its own task data) and on a fresh model from task flags', () => {
  const r = recur('gradflow', '--model', model, '--json', '--backend', 'js');
  assert.equal(r.code, 0, r.stderr);
  const g = jsonLines(r.stdout)[0];
  const norms = g.grad_norms as number[];
  assert.equal(norms.length, 8); // the saved length
  assert.ok(norms.every((v) => v > 0 && Number.isFinite(v)));
  assert.ok(Math.abs((g.ratio as number) - norms[7] / norms[0]) < 1e-12 * (g.ratio as number));

  const png = join(dir, 'gradflow.png');
  const f = recur('gradflow', '--cell', 'elman', '--length', '15', '--hidden', '8', '--batch', '4', '--json', '--backend', 'js', '--png', png);
  assert.equal(f.code, 0, f.stderr);
  assert.equal((jsonLines(f.stdout)[0].grad_norms as number[]).length, 15);
  assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

test('lab spectrum --json: all eigenvalues as [re, im] pairs, spectral radius and singular values of W_hh', () => {
  const r = recur('spectrum', '--model', model, '--json', '--powers', '5', '--backend', 'js');
  assert.equal(r.code, 0, r.stderr);
  const s = jsonLines(r.stdout)[0];
  const eigs = s.eigenvalues as [number, number][], sv = s.singular_values as number[];
  assert.equal(eigs.length, 6);
  assert.ok(eigs.every((e) => e.length === 2));
  assert.ok(Math.abs((s.spectral_radius as number) - Math.max(...eigs.map(([a, b]) => Math.hypot(a, b)))) < 1e-12);
  assert.equal(sv.length, 6);
  assert.deepEqual(sv, [...sv].sort((a, b) => b - a));
  assert.equal((s.power_norms as number[]).length, 5);
  assert.equal(s.gate, 'n'); // a GRU's candidate block by default

  const svg = join(dir, 'eigs.svg');
  const irnn = recur('spectrum', '--cell', 'irnn', '--hidden', '3', '--json', '--h0', '1,2,2', '--powers', '2', '--svg', svg);
  assert.equal(irnn.code, 0, irnn.stderr);
  const i = jsonLines(irnn.stdout)[0];
  assert.deepEqual(i.eigenvalues, [[1, 0], [1, 0], [1, 0]]);
  assert.deepEqual((i.power_norms as number[]).map((v) => Math.round(v * 1e9) / 1e9), [3, 3]); // ‖I^t (1,2,2)‖ = 3
  assert.match(readFileSync(svg, 'utf8'), /^<svg/);
});

test('lab report: a Markdown page with its pictures next to it, and a self-contained HTML page', () => {
  const md = join(dir, 'lab.md');
  const r = recur('report', '--out', md, '--cells', 'elman,lstm', '--lengths', '4', '--clip-norms', '1,0', '--hidden', '4', '--batch', '4',
    '--steps', '3', '--log-every', '1', '--test-size', '8', '--backend', 'js');
  assert.equal(r.code, 0, r.stderr);
  const page = readFileSync(md, 'utf8');
  assert.match(page, /\| cell \| T \| clip norm \|/);
  assert.equal((page.match(/^\| (elman|lstm) \|/gm) ?? []).length, 4); // 2 cells × 2 clipping settings
  const images = [...page.matchAll(/!\[[^\]]*\]\(<([^>]+)>\)/g)].map((m) => m[1]);
  assert.ok(images.length >= 3, page);
  for (const img of images) assert.ok(existsSync(join(dir, img)), `missing ${img}`);

  const html = join(dir, 'lab.html');
  const h = recur('report', '--out', html, '--cells', 'irnn', '--lengths', '3', '--hidden', '3', '--batch', '2', '--steps', '2', '--test-size', '4', '--backend', 'js');
  assert.equal(h.code, 0, h.stderr);
  const doc = readFileSync(html, 'utf8');
  assert.match(doc, /^<!DOCTYPE html>/);
  assert.ok((doc.match(/<svg/g) ?? []).length >= 3);
  assert.doesNotMatch(doc, /<img|src=/); // nothing to fetch
  assert.ok(readdirSync(dir).every((f) => !f.startsWith('lab-') || f.endsWith('.svg'))); // HTML wrote no side files
});

test('lab: bad input is one line on stderr and a non-zero exit', async () => {
  const before = readFileSync(model);
  const [cell, missing, gate, ext, layer, save] = await Promise.all([
    recurAsync('adding', '--cell', 'vanilla', '--length', '5'),
    recurAsync('gradflow', '--model', join(dir, 'missing.safetensors')),
    recurAsync('spectrum', '--model', model, '--gate', 'g'),
    recurAsync('report', '--out', join(dir, 'r.txt')),
    recurAsync('gradflow', '--model', model, '--layer', '3'),
    recurAsync('adding', '--cell', 'elman', '--length', '3', '--steps', '1', '--save', join(dir, 'no-such-dir', 'x.safetensors')),
  ]);
  assertOneLineError(cell, 2, /expected one of elman, lstm, gru, irnn/);
  assertOneLineError(missing, 1, /cannot read model file .*no such file/);
  assertOneLineError(gate, 2, /no gate 'g'/);
  assertOneLineError(ext, 2, /\.html or \.md/);
  assertOneLineError(layer, 1, /layer 3 does not exist/);
  assertOneLineError(save, 2, /--save .*no-such-dir.*: no such directory$/); // refused before training
  // The model file is only ever read: after all of that it is byte for byte what it was.
  assert.deepEqual(readFileSync(model), before);
});
