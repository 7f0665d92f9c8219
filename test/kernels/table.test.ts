/**
 * The kernel table holds together: the committed generated files are what the generator writes now, the
 * JS reference and the compiled wasm module have every kernel with the table's number of arguments, and every
 * wrapper of every built backend refuses an offset that puts an operand past its buffer's end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import { KERNELS } from '../../src/kernels/table.js';
import type { WasmBackend } from '../../src/kernels/wasm/index.js';
import { SHARED_KERNELS } from '../../src/kernels/wasm/protocol.js';
import { createNativeBackend, loadAddon } from '../../src/node/native.js';
import { createNodeWasmBackend, wasmBuilt } from '../../src/node/wasm.js';
import { staleFiles } from '../../tools/gen-kernels.js';
import { kernelCases, runCase } from './cases.js';

test('the committed generated files are up to date with the table', () => {
  assert.deepEqual(staleFiles(), [], 'run npm run gen:kernels');
});

test('kernel names are unique and the JS reference implements every one with the table\'s arity', () => {
  assert.equal(new Set(KERNELS.map((k) => k.name)).size, KERNELS.length);
  const js = new JsBackend('f32') as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const k of KERNELS) {
    const arity = k.operands.reduce((n, o) => n + (o.kind === 'ids' || (o.kind === 'buffer' && o.offset !== false) ? 2 : 1), 0);
    assert.equal(typeof js[k.name], 'function', k.name);
    assert.equal(js[k.name].length, arity, `${k.name}: the reference takes ${js[k.name].length} arguments, the table ${arity}`);
  }
});

test('the wasm module exports every kernel with the table\'s arguments (+ scratch, + part, nparts)', async (t) => {
  if (!(await wasmBuilt())) {
    t.skip('wasm backend not built: build/wasm/ is missing');
    return;
  }
  const be = await createNodeWasmBackend();
  const ex = (be as unknown as { ex: Record<string, (...a: number[]) => unknown> }).ex;
  for (const k of KERNELS) {
    const s = k.wasmScratch;
    const extra = (s?.kind === 'gemm' ? 2 : s ? 1 : 0) + (k.threads ? 2 : 0);
    assert.equal(ex[k.name]?.length, k.operands.length + extra, `export ${k.name}`);
    assert.equal(SHARED_KERNELS.includes(k.name as never), !!k.threads, `${k.name} in SHARED_KERNELS`);
  }
  await be.dispose();
});

/** Backends whose wrappers check extents (the JS reference trusts its callers). */
async function checkedBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  if (await wasmBuilt()) out.push(await createNodeWasmBackend());
  if (!(loadAddon() instanceof Error)) out.push(await createNativeBackend());
  return out;
}

test('every wrapper refuses an operand offset past its buffer with a RangeError', async (t) => {
  const backends = await checkedBackends();
  if (!backends.length) {
    t.skip('neither the wasm nor the native backend is built');
    return;
  }
  for (const be of backends) {
    for (const k of KERNELS) {
      // a case with every operand present and nothing empty
      const c = kernelCases(k).find((x) => !x.big && x.label.startsWith(k.name === 'gemm' ? 'm=3' : '') &&
        Object.values(x.buffers).every((b) => b.data) && !Object.values(x.scalars).includes(0))!;
      for (const o of k.operands) {
        if (o.kind === 'ids' || (o.kind === 'buffer' && o.offset !== false && o.extent !== 'whole')) {
          const bad = structuredClone(c);
          const slot = o.kind === 'ids' ? bad.ids[o.name] : bad.buffers[o.name];
          slot.off = slot.data!.length;  // the extent starts at the end: nothing of it fits
          assert.throws(() => runCase(be, k, bad), RangeError, `${be.name} ${k.name}: ${o.name} at its buffer's end`);
        }
      }
    }
    if (be.name === 'wasm') await (be as WasmBackend).dispose();
  }
});
