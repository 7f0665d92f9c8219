/**
 * `recur lab …`: the long-term dependency lab. Train on the adding and copy-memory problems and watch
 * the gradient vanish or explode: gradient norms per step back in time, eigenvalues and singular
 * values of W_hh, and a one-page report that puts Elman, LSTM, GRU and IRNN side by side.
 */
import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { gradFlow, type GradFlow } from '../analysis/gradflow.js';
import { eigenPlot } from '../analysis/plots.js';
import { htmlReport, markdownReport, type Report } from '../analysis/report.js';
import { analyzeMatrix } from '../analysis/spectrum.js';
import { decodeModel, encodeModel } from '../io/model-file.js';
import type { Backend } from '../kernels/backend.js';
import { isSimpleCell } from '../nn/config.js';
import { Model, type Batch } from '../nn/model.js';
import { BACKEND_NAMES, createBackend, type BackendName } from '../node/backend.js';
import { atomicWriteFile } from '../node/files.js';
import { svgToPng } from '../node/png.js';
import {
  DEFAULT_GATE, GATE_NAMES, LAB_CELLS, LAB_DEFAULTS, labModelConfig, recurrentBlock, trainLab, type LabCell, type LabResult, type LabTask,
} from '../tasks/lab.js';
import { probeBatch, ProbeError, type ProbeModel } from '../tasks/lab-probe.js';
import { buildReport, fmt, gradChart, lossChart, LR_TEXT, ratioText, runLabReport } from '../tasks/lab-report.js';
import { OPTIMIZERS, type OptimizerName } from '../train/optim.js';
import { Rng } from '../util/rng.js';
import { checkOutputs, overflowError } from '../tasks/finite.js';
import { checkOutputPath, choiceArg, intArg, jsonLine, numArg, run, UsageError } from './common.js';
import { readModelFile } from './lm-io.js';
import { registerAttention } from './lab-attention.js';

interface CommonOpts { seed: number; threads?: number; backend: BackendName; json?: boolean }

/** Flags every lab command takes. */
function common(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'random seed (weights, data, test set)', intArg(0, 2 ** 32 - 1), 1)
    .option('--threads <n>', 'kernel threads (default: all cores)', intArg(1, 1024))
    .addOption(new Option('--backend <name>', 'kernel backend').argParser(choiceArg(BACKEND_NAMES)).default('auto'))
    .option('--json', 'print JSON lines instead of text');
}

/** --svg and --png: where a command writes its picture. */
function pictureFlags(cmd: Command, what: string): Command {
  return cmd.option('--svg <file>', `write ${what} as SVG`).option('--png <file>', `write ${what} as PNG`);
}

/** --model (a saved model) or --cell (a fresh lab model instead): what gradflow and spectrum look at. */
function modelFlags(cmd: Command, model: string): Command {
  return cmd.option('--model <file>', model)
    .option('--cell <cell>', `a freshly initialised lab model instead: ${LAB_CELLS.join(', ')}`, choiceArg(LAB_CELLS));
}
const FRESH_HIDDEN = 'hidden units of a fresh model';

const backendOf = (o: CommonOpts): Promise<Backend> => createBackend({ backend: o.backend, threads: o.threads });

/** Replace a file atomically (the old one stays whole if anything fails); errors name the file. */
const save = (path: string, bytes: Uint8Array | string): void =>
  atomicWriteFile(path, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);

/** Refuse an output path before a long run rather than after it (lab commands read no files they could overwrite). */
function checkOutput(path: string | undefined, flag: string): void {
  if (path !== undefined) checkOutputPath(path, flag);
}

/** Refuse a gradient flow computed from overflowed numbers (weights of 1e30 gave a loss and norms of exactly 0). */
function checkFlow(model: Model, batch: Batch, g: GradFlow): void {
  const bad = [g.loss, ...g.grad_norms].find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw overflowError('the gradient flow', bad, model.params);
  const c = model.config;
  checkOutputs(model.logits, 0, (c.outputMode === 'last' ? 1 : batch.T) * batch.B * c.outputSize, model.params);
}

/** Write an SVG, and/or its PNG rendering. */
function writePicture(svg: string, svgPath?: string, pngPath?: string): void {
  if (svgPath) save(svgPath, svg);
  if (pngPath) save(pngPath, svgToPng(svg));
}

// ------------------------------------------------------------------------ adding / copy

interface TrainOpts extends CommonOpts {
  cell: LabCell; length?: number; delay?: number; hidden: number; batch: number; lr?: number; optimizer: OptimizerName;
  clipNorm: number; steps?: number; time?: number; logEvery: number; testSize: number; save?: string; svg?: string; png?: string;
}

function trainCommand(parent: Command, task: LabTask): void {
  const cmd = parent.command(task)
    .description(task === 'adding'
      ? 'the adding problem: sum the two marked numbers of a sequence of T (baseline MSE 0.167)'
      : 'the copy-memory problem: recall 10 symbols after a delay of T steps (baseline 10·ln 8/(T+20))')
    .requiredOption('--cell <cell>', `${LAB_CELLS.join(', ')} (irnn: ReLU Elman with W_hh = I)`, choiceArg(LAB_CELLS));
  if (task === 'adding') cmd.requiredOption('--length <T>', 'sequence length T', intArg(2, 100000));
  else cmd.requiredOption('--delay <T>', 'steps between the symbols and the recall', intArg(1, 100000));
  cmd
    .option('--hidden <n>', 'hidden units', intArg(1, 4096), LAB_DEFAULTS.hidden)
    .option('--batch <n>', 'sequences per update', intArg(1, 100000), LAB_DEFAULTS.batch)
    .option('--lr <x>', `learning rate (default: ${LR_TEXT})`, numArg(0, Infinity, { exclusiveMin: true }))
    .addOption(new Option('--optimizer <name>', 'optimizer').argParser(choiceArg(OPTIMIZERS)).default(LAB_DEFAULTS.optimizer))
    .option('--clip-norm <x>', 'clip the gradient to this global norm (0 = off)', numArg(0), LAB_DEFAULTS.clipNorm)
    .option('--steps <n>', 'stop after n updates', intArg(1))
    .option('--time <seconds>', `stop after this much training (default ${LAB_DEFAULTS.seconds} s unless --steps)`, numArg(0, Infinity, { exclusiveMin: true }))
    .option('--log-every <n>', 'log every n updates', intArg(1), LAB_DEFAULTS.logEvery)
    .option('--test-size <n>', 'test sequences', intArg(1, 1000000), LAB_DEFAULTS.testSize)
    .option('--save <file>', 'save the trained model (for lab gradflow/spectrum --model)');
  pictureFlags(cmd, 'the loss curve');
  common(cmd).action(run(async (o: TrainOpts) => {
    const length = task === 'adding' ? o.length! : o.delay!;
    checkOutput(o.save, '--save'); checkOutput(o.svg, '--svg'); checkOutput(o.png, '--png');
    const be = await backendOf(o);
    const { model, result } = trainLab({
      task, cell: o.cell, length, hidden: o.hidden, batch: o.batch, lr: o.lr, optimizer: o.optimizer, clipNorm: o.clipNorm,
      steps: o.steps ?? 0, seconds: o.time ?? (o.steps ? 0 : LAB_DEFAULTS.seconds), logEvery: o.logEvery, testSize: o.testSize, seed: o.seed,
    }, be, (log) => {
      if (o.json) jsonLine({ event: 'step', ...log });
      else process.stdout.write(`step ${log.step}  loss ${fmt(log.loss)}  |g| ${fmt(log.grad_norm, 3)}  ρ(W_hh) ${fmt(log.spectral_radius, 3)}  ${log.seconds.toFixed(1)} s\n`);
    });
    if (o.save) {
      save(o.save, encodeModel(model, {
        task: { name: 'lab', problem: task, length },
        training: { steps: result.steps, seconds: result.seconds, seed: o.seed, lr: result.lr, clip_norm: o.clipNorm },
      }));
    }
    if (o.svg || o.png) writePicture(await lossChart([result]), o.svg, o.png);
    const summary = resultLine(result, be.name, o.batch);
    if (o.json) jsonLine({ event: 'result', ...summary });
    else {
      const what = task === 'adding' ? 'MSE' : 'cross-entropy';
      process.stdout.write(`${o.cell} ${task} ${task === 'adding' ? 'T' : 'delay'}=${length}: test ${what} ${fmt(result.test_loss)} `
        + `(baseline ${fmt(result.baseline)}) after ${result.steps} steps in ${result.seconds.toFixed(1)} s on ${be.name}\n`);
      if (result.recall_accuracy !== undefined) process.stdout.write(`recall accuracy ${(100 * result.recall_accuracy).toFixed(1)}%\n`);
      process.stdout.write(`spectral radius of W_hh: ${fmt(result.spectral_radius_start, 3)} at the start, ${fmt(result.spectral_radius_end, 3)} at the end\n`);
    }
    // A diverged run still reports and saves its last good model, then fails (compare tabulates it instead).
    if (result.diverged) throw new Error(`${result.diverged}; ${o.save ? `the last good model is in ${o.save}` : 'the results are those of the last good model'}`);
  }));
}

/** The result object of --json (without the history, which was printed line by line). */
function resultLine(r: LabResult, backend: string, batch: number): Record<string, unknown> {
  const { history: _h, test_loss, baseline, length, task, ...rest } = r;
  const named = task === 'adding'
    ? { length, test_mse: test_loss, baseline_mse: baseline }
    : { delay: length, test_ce: test_loss, baseline_ce: baseline };
  return { task, ...named, ...rest, batch, backend };
}

// ------------------------------------------------------------------------------ models

interface ModelSource extends ProbeModel { label: string }

/** A saved model, or a fresh one from task flags (--cell, --task, --length, --hidden). */
async function loadOrBuild(o: { model?: string; cell?: LabCell; task: LabTask; length?: number; hidden: number; seed: number }, be: Backend): Promise<ModelSource> {
  if (o.model) {
    if (o.cell) throw new UsageError('give either --model or --cell, not both');
    const { model, checkpoint } = readModelFile(o.model, (bytes) => decodeModel(bytes, be));
    const t = checkpoint.task;
    const lab = t && t.name === 'lab' && (t.problem === 'adding' || t.problem === 'copy') ? t.problem as LabTask : null;
    return { model, task: lab, length: lab && Number.isInteger(t!.length) ? t!.length as number : null, vocab: checkpoint.vocab, label: o.model };
  }
  if (!o.cell) throw new UsageError('give a model file (--model FILE) or a fresh model (--cell CELL with --length T)');
  const model = new Model(labModelConfig(o.task, o.cell, o.hidden), be).init(new Rng(o.seed).fork());
  return { model, task: o.task, length: o.length ?? null, vocab: null, label: `fresh ${o.cell} (${o.task}, seed ${o.seed})` };
}

// ---------------------------------------------------------------------------- gradflow

/** A saved model or a fresh one, and the files of a picture (gradflow, spectrum). */
interface ProbeOpts extends CommonOpts { model?: string; cell?: LabCell; hidden: number; svg?: string; png?: string }

interface GradflowOpts extends ProbeOpts {
  task: LabTask; length?: number; batch: number; layer?: number; text?: string;
}

function registerGradflow(lab: Command): void {
  const cmd = lab.command('gradflow')
    .description('‖∂L/∂h_t‖ at every step t for a loss at the end of the sequence, and the ratio last/first');
  modelFlags(cmd, 'a saved recur model (lab models use their task\'s data; others random inputs or --text)')
    .addOption(new Option('--task <task>', 'task of a fresh model').argParser(choiceArg(['adding', 'copy'] as const)).default('adding'))
    .option('--length <T>', 'sequence length (copy task: the delay; default: the saved one, or 100)', intArg(2, 100000))
    .option('--hidden <n>', FRESH_HIDDEN, intArg(1, 4096), LAB_DEFAULTS.hidden)
    .option('--batch <n>', 'sequences (the norm is over the whole [batch×hidden] block)', intArg(1, 100000), 20)
    .option('--layer <k>', 'layer to read, from 0 (default: the top one)', intArg(0))
    .option('--text <string>', 'for a character model: feed this text; its last character is the target');
  pictureFlags(cmd, 'the chart (log scale)');
  common(cmd).action(run(async (o: GradflowOpts) => {
    checkOutput(o.svg, '--svg'); checkOutput(o.png, '--png');
    const be = await backendOf(o);
    const src = await loadOrBuild(o, be);
    const rng = new Rng(o.seed);
    let batch: Batch;
    try { batch = probeBatch(src, o, rng); } catch (e) { throw e instanceof ProbeError ? new UsageError(e.message) : e; }
    const g = gradFlow(src.model, batch, { layer: o.layer, rng: rng.fork() });
    checkFlow(src.model, batch, g);
    if (o.svg || o.png) writePicture(await gradChart([{ name: src.label, g }]), o.svg, o.png);
    if (o.json) { jsonLine({ event: 'gradflow', model: src.label, T: batch.T, B: batch.B, ...g }); return; }
    const T = batch.T, stride = Math.max(1, Math.ceil(T / 25));
    process.stdout.write(`${src.label}: loss ${fmt(g.loss)} at step ${T - 1}, layer ${g.layer}, ${batch.B} sequence${batch.B > 1 ? 's' : ''}\n`);
    process.stdout.write('     t  ‖∂L/∂h_t‖\n');
    for (let t = 0; t < T; t++) if (t % stride === 0 || t === T - 1) process.stdout.write(`${String(t).padStart(6)}  ${fmt(g.grad_norms[t])}\n`);
    process.stdout.write(`ratio last/first ${ratioText(g)}; per step back in time the gradient is multiplied by ${fmt(g.per_step)} on average `
      + `(${g.per_step < 1 ? 'vanishing' : g.per_step > 1 ? 'exploding' : 'steady'})\n`);
  }));
}

// ---------------------------------------------------------------------------- spectrum

interface SpectrumOpts extends ProbeOpts {
  layer: number; gate?: string; reverse?: boolean; powers: number; h0?: string;
}

function registerSpectrum(lab: Command): void {
  const cmd = lab.command('spectrum')
    .description('eigenvalues, spectral radius and singular values of W_hh, and ‖W^t h0‖ for t = 1..T');
  modelFlags(cmd, 'a saved recur model')
    .option('--hidden <n>', FRESH_HIDDEN, intArg(1, 4096), LAB_DEFAULTS.hidden)
    .option('--layer <k>', 'layer, from 0', intArg(0), 0)
    .option('--gate <g>', 'gate block of W_hh: LSTM i, f, g (default), o; GRU r, z, n (default)')
    .option('--reverse', 'the reverse direction of a bidirectional layer')
    .option('--powers <T>', 'compute ‖W^t h0‖ for t = 1..T', intArg(0, 1000000), 50)
    .option('--h0 <values>', 'comma-separated start vector for the powers (default: a random unit vector)');
  pictureFlags(cmd, 'the eigenvalue plot (with the unit circle)');
  common(cmd).action(run(async (o: SpectrumOpts) => {
    checkOutput(o.svg, '--svg'); checkOutput(o.png, '--png');
    const be = await backendOf(o);
    const src = await loadOrBuild({ ...o, task: 'adding' }, be);
    const c = src.model.config;
    if (o.gate !== undefined && !GATE_NAMES[c.cell].includes(o.gate)) {
      throw new UsageError(`a ${c.cell} cell has no gate '${o.gate}' (its W_hh blocks are ${GATE_NAMES[c.cell].join(', ')})`);
    }
    const block = recurrentBlock(src.model, { layer: o.layer, gate: o.gate, reverse: o.reverse });
    let h0: number[] | null = null;
    if (o.h0 !== undefined) {
      h0 = o.h0.split(',').map((s) => {
        const v = Number(s);
        if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--h0: '${s}' is not a number`);
        return v;
      });
      if (h0.length !== block.H) throw new UsageError(`--h0 has ${h0.length} values; W_hh is ${block.H}×${block.H}`);
    }
    const a = analyzeMatrix(block.W, block.H, { T: o.powers, h0, rng: new Rng(o.seed) });
    const what = `${block.name}${isSimpleCell(c.cell) ? '' : ` [${block.gate} block]`}`;
    if (o.svg || o.png) writePicture(await eigenPlot(a.eigenvalues, `Eigenvalues of ${what}`), o.svg, o.png);
    if (o.json) {
      jsonLine({ event: 'spectrum', model: src.label, tensor: block.name, gate: block.gate, layer: o.layer, hidden: block.H, ...a });
      return;
    }
    const out: string[] = [
      `${src.label}: ${what}, ${block.H}×${block.H}${c.cell === 'lstm' || c.cell === 'gru' ? ` (default block: ${DEFAULT_GATE[c.cell]}; --gate picks another)` : ''}`,
      `spectral radius ${fmt(a.spectral_radius)}   largest singular value ${fmt(a.largest_singular_value)}   condition number ${fmt(a.condition_number, 2)}`,
      `eigenvalues (largest |λ| first): ${a.eigenvalues.slice(0, 10).map(([re, im]) => im === 0 ? fmt(re) : `${fmt(re)}${im < 0 ? '-' : '+'}${fmt(Math.abs(im))}i`).join(', ')}${a.eigenvalues.length > 10 ? ', …' : ''}`,
      `singular values: ${a.singular_values.slice(0, 10).map((s) => fmt(s)).join(', ')}${a.singular_values.length > 10 ? ', …' : ''}`,
    ];
    if (a.power_norms.length) {
      const T = a.power_norms.length, ts = [...new Set([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, T].filter((t) => t <= T))];
      out.push(`‖W^t h0‖ (${h0 ? 'given h0' : 'random unit h0'}): ${ts.map((t) => `t=${t}: ${fmt(a.power_norms[t - 1])}`).join('  ')}`);
    }
    process.stdout.write(out.join('\n') + '\n');
  }));
}

// ------------------------------------------------------------------------------ report

interface ReportOpts extends CommonOpts {
  out: string; cells: LabCell[]; lengths: number[]; clipNorms: number[]; hidden: number; batch: number; steps?: number; time?: number;
  logEvery: number; testSize: number; png?: boolean;
}

const listArg = <T>(parse: (s: string) => T) => (v: string): T[] => {
  const items = v.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError(`empty item in the list '${v}'`);
  return items.map(parse);
};

function registerReport(lab: Command): void {
  const cmd = lab.command('report')
    .description('run Elman, LSTM, GRU and IRNN on the adding problem at a few lengths and write one page (HTML or Markdown)')
    .option('--out <file>', 'report.html (self-contained) or report.md (pictures written next to it)', 'report.html')
    .option('--cells <list>', 'cells to compare', listArg(choiceArg(LAB_CELLS)), [...LAB_CELLS])
    .option('--lengths <list>', 'sequence lengths T', listArg(intArg(2, 100000)), [10, 25])
    .option('--clip-norms <list>', 'clipping thresholds to compare (0 = none)', listArg(numArg(0)), [1])
    .option('--hidden <n>', 'hidden units', intArg(1, 4096), 32)
    .option('--batch <n>', 'sequences per update', intArg(1, 100000), LAB_DEFAULTS.batch)
    .option('--steps <n>', 'budget per run in updates', intArg(1))
    .option('--time <seconds>', 'budget per run in seconds (default 10 unless --steps)', numArg(0, Infinity, { exclusiveMin: true }))
    .option('--log-every <n>', 'log every n updates', intArg(1), 25)
    .option('--test-size <n>', 'test sequences', intArg(1, 1000000), 500)
    .option('--png', 'Markdown: write PNG pictures instead of SVG');
  common(cmd).action(run(async (o: ReportOpts) => {
    const ext = extname(o.out).toLowerCase();
    if (ext !== '.html' && ext !== '.htm' && ext !== '.md') throw new UsageError(`--out must end in .html or .md, got '${o.out}'`);
    checkOutput(o.out, '--out');
    const be = await backendOf(o);
    const seconds = o.time ?? (o.steps ? 0 : 10);
    const budget = [o.steps ? `${o.steps} updates` : '', seconds ? `${seconds} s` : ''].filter(Boolean).join(' or ');
    const runs = await runLabReport({
      cells: o.cells, lengths: o.lengths, clipNorms: o.clipNorms, hidden: o.hidden, batch: o.batch, steps: o.steps ?? 0, seconds,
      logEvery: o.logEvery, testSize: o.testSize, seed: o.seed,
    }, be, (result) => {
      if (o.json) jsonLine({ event: 'run', ...resultLine(result, be.name, o.batch) });
      else process.stdout.write(`${result.cell} T=${result.length} clip=${result.clip_norm}: test MSE ${fmt(result.test_loss)} after ${result.steps} steps, ρ ${fmt(result.spectral_radius_start, 3)} → ${fmt(result.spectral_radius_end, 3)}\n`);
    });
    const report = await buildReport(runs, { budget, backend: be.name, hidden: o.hidden, batch: o.batch, seed: o.seed });
    await writeReport(report, o.out, ext === '.md', o.png ?? false);
    if (o.json) jsonLine({ event: 'report', out: o.out, runs: runs.results.length });
    else process.stdout.write(`wrote ${o.out}\n`);
  }));
}

/** HTML inlines the pictures; Markdown gets them as files next to it (<base>-<name>.svg or .png). */
async function writeReport(report: Report, out: string, markdown: boolean, png: boolean): Promise<void> {
  if (!markdown) { save(out, htmlReport(report)); return; }
  const base = out.slice(0, out.length - extname(out).length);
  const stem = base.split(/[\\/]/).pop()!;
  const sections = report.sections.map((s) => {
    if (!s.svg || !s.image) return { ...s, image: undefined };
    const file = `${stem}-${s.image}.${png ? 'png' : 'svg'}`;
    const path = `${base}-${s.image}.${png ? 'png' : 'svg'}`;
    save(path, png ? svgToPng(s.svg) : s.svg);
    return { ...s, image: file };
  });
  save(out, markdownReport({ ...report, sections }));
}

// ---------------------------------------------------------------------------- register

export function register(program: Command): void {
  const lab = program.command('lab')
    .description('the long-term dependency lab: adding and copy problems, gradient flow, spectra of W_hh');
  trainCommand(lab, 'adding');
  trainCommand(lab, 'copy');
  registerGradflow(lab);
  registerSpectrum(lab);
  registerReport(lab);
  registerAttention(lab);
}
