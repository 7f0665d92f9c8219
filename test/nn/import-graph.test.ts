/**
 * The import graph of src/: no cycle (type-only imports included: a cycle of types still ties two
 * files into one), and the platform-free core never imports src/node/ or the faces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return p.endsWith(join('wasm', 'assembly')) ? [] : files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of a file, resolved to the .ts files they name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8'), out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)) {
    out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  }
  return out;
}

const graph = new Map(files(src).map((f) => [f, importsOf(f)]));
const name = (f: string): string => relative(src, f);

test('src/ has no import cycle', () => {
  const state = new Map<string, 'open' | 'done'>(), path: string[] = [];
  const visit = (f: string): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') assert.fail(`import cycle: ${[...path.slice(path.indexOf(f)), f].map(name).join(' → ')}`);
    state.set(f, 'open');
    path.push(f);
    for (const g of graph.get(f) ?? []) visit(g);
    path.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f);
  assert.ok(graph.size > 50, `found only ${graph.size} files under src/`);
});

test('the core imports neither src/node/ nor the faces', () => {
  const core = ['kernels', 'nn', 'train', 'io', 'data', 'tasks', 'analysis', 'util'];
  for (const [f, deps] of graph) {
    if (!core.includes(name(f).split(/[\\/]/)[0])) continue;
    for (const d of deps) {
      const top = name(d).split(/[\\/]/)[0];
      assert.ok(top !== 'node' && top !== 'cli', `${name(f)} imports ${name(d)}`);
    }
  }
});

test('the graph sees the imports it checks', () => {
  // A check that parses nothing passes vacuously: the model's known imports must be found.
  const model = graph.get(join(src, 'nn', 'model.ts'))!.map(name);
  for (const dep of ['nn/state.ts', 'nn/stack.ts', 'kernels/backend.ts']) assert.ok(model.includes(dep), `model.ts → ${dep} not found`);
});
