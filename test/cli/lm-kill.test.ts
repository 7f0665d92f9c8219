/**
 * Killing a training run (SIGKILL) at random moments (after a random number of saved steps): after each kill the model file either does not
 * exist yet or loads, and `--resume` carries on; the run that was killed and resumed several times
 * ends with exactly the weights of a run that was never interrupted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { Rng } from '../../src/util/rng.js';
import { collect, recur, smallText, startRecur, tempDir, writeText } from './lm-helpers.js';

const be = new JsBackend('f32');
const KILLS = 3;

test(`SIGKILL at ${KILLS} random moments: the file always loads, and resuming ends where an uninterrupted run does`, async () => {
  const dir = tempDir();
  const data = writeText(dir, 'text.txt', smallText(400));
  const common = ['--data', data, '--backend', 'js', '--json', '--log-every', '0', '--val-every', '0', '--sample-length', '0', '--save-every', '1'];
  const fresh = [...common, '--hidden', '12', '--embed', '8', '--batch', '4', '--seq', '16', '--steps', '150', '--dropout', '0.1', '--layers', '2', '--seed', '9'];
  const straight = join(dir, 'straight.safetensors'), killed = join(dir, 'killed.safetensors');

  const ref = await recur(['train', ...fresh, '--out', straight], { timeoutMs: 120_000 });
  assert.equal(ref.code, 0, ref.stderr);

  const rng = new Rng(0xdead);
  let lastStep = -1;
  for (let k = 0; k < KILLS; k++) {
    const resume = existsSync(killed);
    const child = startRecur(['train', ...(resume ? ['--resume', ...common] : fresh), '--out', killed]);
    const done = collect(child, 120_000);
    // Let this run save a random number (1 … 30) of new steps, then kill it a random moment later.
    const target = lastStep + 1 + rng.int(30);
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000 && child.exitCode === null) {
      if (existsSync(killed) && (decodeLm(readFileSync(killed), be).checkpoint.training!.step as number) >= target) break;
      await sleep(5);
    }
    await sleep(rng.int(40));
    child.kill('SIGKILL');
    const r = await done;
    if (r.code === 0) break; // it finished before the kill
    assert.equal(r.signal, 'SIGKILL');
    if (!existsSync(killed)) continue;
    const m = decodeLm(readFileSync(killed), be); // loads: never a torn file
    const step = m.checkpoint.training!.step as number;
    assert.ok(step >= lastStep, `the saved step never goes back (${step} after ${lastStep})`);
    lastStep = step;
  }
  assert.ok(lastStep > 0, 'at least one kill landed after a save');
  const fin = await recur(['train', '--resume', ...common, '--out', killed], { timeoutMs: 120_000 });
  assert.equal(fin.code, 0, fin.stderr);

  const A = decodeLm(readFileSync(straight), be).checkpoint, B = decodeLm(readFileSync(killed), be).checkpoint;
  assert.equal(B.training!.step, 150);
  for (const [name, t] of [...A.tensors, ...A.optim]) {
    const u = A.tensors.has(name) ? B.tensors.get(name)! : B.optim.get(name)!;
    assert.deepEqual(new Uint8Array(u.data.buffer), new Uint8Array(t.data.buffer), `${name} matches the uninterrupted run`);
  }
  // Temporary files of killed saves may remain; they never replace the model.
  for (const f of readdirSync(dir)) assert.ok(f === 'text.txt' || f.endsWith('.safetensors') || /^\.killed\.safetensors\..*\.tmp$/.test(f), f);
});
