/**
 * The long-term dependency floor (issue 5): with the defaults of `recur lab adding` (120 s of
 * training on this machine), an LSTM must solve the adding problem at T = 50 (test MSE < 0.01);
 * the aim is T = 100. Too slow for the test suite, so it lives here.
 *
 *   node --import tsx bench/lab-floor.ts [--lengths 50,100] [--backend auto|wasm|native|js] [--time S]
 *
 * Prints one JSON line per length and exits 1 when T = 50 (if run) misses the floor.
 */
import { createBackend, type BackendName } from '../src/node/backend.js';
import { LAB_DEFAULTS, trainLab } from '../src/tasks/lab.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const lengths = (flag('--lengths') ?? '50,100').split(',').map(Number);
const seconds = Number(flag('--time') ?? LAB_DEFAULTS.seconds);
const be = await createBackend({ backend: (flag('--backend') ?? 'auto') as BackendName });

const FLOOR = 0.01;
let failed = false;
for (const length of lengths) {
  const { result } = trainLab({ ...LAB_DEFAULTS, seconds, task: 'adding', cell: 'lstm', length }, be);
  const solved = result.test_loss < FLOOR;
  if (length === 50 && !solved) failed = true;
  const { history: _h, ...rest } = result;
  process.stdout.write(`${JSON.stringify({ ...rest, backend: be.name, solved, floor: FLOOR })}\n`);
}
process.exitCode = failed ? 1 : 0;
