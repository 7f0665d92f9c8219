#!/usr/bin/env node
/**
 * The `recur` command: one subcommand per file, each registering itself on the program.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { errorLine } from './common.js';

// Each command's module is imported only when it runs (some pull in plotting or the web server):
// `recur sample --help` starts in 0.22 s instead of 0.52 s. --version loads none; help and unknown
// commands load them all.
const COMMANDS: Record<string, () => Promise<{ register(program: Command): void }>> = {
  train: () => import('./train.js'),
  seq2seq: () => import('./seq2seq.js'),
  sample: () => import('./sample.js'),
  eval: () => import('./eval.js'),
  lab: () => import('./lab.js'),
  classify: () => import('./classify.js'),
  forecast: () => import('./forecast.js'),
  play: () => import('./play.js'),
  bench: () => import('./bench.js'),
  export: () => import('./export.js'),
  onnx: () => import('./onnx.js'),
  import: () => import('./import.js'),
};

// A reader that closes standard output early (`recur sample | head`) ends the command quietly, with
// the status it had so far (0), not with an unhandled EPIPE trace; other stream errors are one line.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') process.stderr.write(`recur: cannot write to standard output: ${e.code ?? e.message}\n`);
  process.exit(e.code === 'EPIPE' ? process.exitCode ?? 0 : 1);
});

const program = new Command();
program
  .name('recur')
  .description('Recurrent neural networks: train, sample, evaluate, and look inside Elman, Jordan, LSTM and GRU models.')
  .version(VERSION)
  .showHelpAfterError(false)
  .configureOutput({ outputError: (str, write) => write(`recur: ${str.replace(/^error: /, '').trim()}\n`) });
program.exitOverride((err) => {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
  process.exit(2);
});

const named = process.argv[2];
const wanted = named === '--version' || named === '-V' ? []
  : named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
for (const mod of await Promise.all(wanted.map((name) => COMMANDS[name]()))) mod.register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Commands catch their own errors (common.ts run()); this is what escapes them: still one line.
  process.stderr.write(`recur: ${errorLine(e)}\n`);
  if (process.env.RECUR_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
}
