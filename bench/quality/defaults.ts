/**
 * Side-by-side runs of `recur train` for choosing defaults (tasks/lm-defaults.ts): every candidate
 * starts at the same moment, one thread each, so machine load falls on all of them alike. A budget
 * in steps compares candidates step for step (the choice); a budget in seconds compares them as a
 * user's --time would (the floors: defaults-floors.sh).
 *
 *   node --import tsx bench/quality/defaults.ts --corpus moby --budget steps=5400 \
 *     --run 'old=--hidden 256 --lr 5e-3' --run 'new=--hidden 256 --dropout-output 0.2 --average'
 *
 * Each run writes its model to --dir (default: a temporary folder) and prints one JSON line when it
 * ends; at the end a Markdown table: candidate, steps, seconds, train loss, validation loss (what
 * the file holds, with the step it comes from).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({ options: {
  corpus: { type: 'string', default: 'moby' }, budget: { type: 'string', default: 'steps=2000' },
  run: { type: 'string', multiple: true, default: [] }, dir: { type: 'string' }, threads: { type: 'string', default: '1' },
} });
const [kind, amount] = values.budget!.split('=');
if (!['steps', 'time'].includes(kind) || !(Number(amount) > 0)) throw new Error(`--budget steps=N or time=S, got ${values.budget}`);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'recur-defaults-'));
mkdirSync(dir, { recursive: true });

interface Summary { steps: number; elapsed: number; train_loss: number; val_loss: number; val_step: number }

function train(name: string, flags: string): Promise<{ name: string; flags: string; summary: Summary | null; error?: string }> {
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'train', '--corpus', values.corpus!, `--${kind}`, amount,
    '--threads', values.threads!, '--json', '--log-every', '0', '--sample-length', '0', '--out', join(dir, `${name}.safetensors`),
    ...flags.split(/\s+/).filter((f) => f !== '')];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  return new Promise((resolve) => child.on('close', (code) => {
    const last = out.trim().split('\n').pop() ?? '';
    const summary = code === 0 ? JSON.parse(last) as Summary : null;
    console.log(JSON.stringify({ name, flags, ...(summary ?? { error: err.trim() }) }));
    resolve({ name, flags, summary, ...(summary ? {} : { error: err.trim() }) });
  }));
}

const runs = values.run!.map((r) => { const i = r.indexOf('='); return [r.slice(0, i), r.slice(i + 1)] as const; });
const results = await Promise.all(runs.map(([name, flags]) => train(name, flags)));
const f = (v: number | undefined, d = 4): string => (v === undefined || v === null ? '-' : v.toFixed(d));
console.log(`\n${values.corpus}, ${kind} ${amount}, all runs side by side (models in ${dir})\n`);
console.log('| candidate | flags | steps | seconds | train loss | validation loss (step) |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  const s = r.summary;
  console.log(`| ${r.name} | \`${r.flags}\` | ${s?.steps ?? '-'} | ${f(s?.elapsed, 0)} | ${f(s?.train_loss)} | ${s ? `${f(s.val_loss)} (${s.val_step})` : r.error} |`);
}
