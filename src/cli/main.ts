#!/usr/bin/env node
/**
 * The `recur` command: one subcommand per file, each registering itself on the program.
 */
import { Command } from 'commander';
import { register as registerTrain } from './train.js';
import { register as registerSample } from './sample.js';
import { register as registerEval } from './eval.js';
import { register as registerLab } from './lab.js';
import { register as registerClassify } from './classify.js';
import { register as registerForecast } from './forecast.js';
import { register as registerPlay } from './play.js';
import { register as registerBench } from './bench.js';
import { VERSION } from '../version.js';

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

for (const register of [registerTrain, registerSample, registerEval, registerLab, registerClassify, registerForecast, registerPlay, registerBench]) {
  register(program);
}

await program.parseAsync(process.argv);
