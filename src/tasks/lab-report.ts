/**
 * The lab's comparison report: Elman, LSTM, GRU and IRNN trained on the adding problem at a few
 * lengths (and clipping thresholds), with the gradient flow before and after training and the
 * eigenvalues of W_hh, as one page (analysis/report.ts renders it as HTML or Markdown). Also the
 * charts `recur lab` draws for single runs. Platform-free: the pictures are SVG strings; writing
 * files (and PNG) is the CLI's part.
 */
import { gradFlow, type GradFlow } from '../analysis/gradflow.js';
import { eigenPlot, lineChart, type Series } from '../analysis/plots.js';
import type { Report, ReportSection } from '../analysis/report.js';
import { analyzeMatrix } from '../analysis/spectrum.js';
import type { Backend } from '../kernels/backend.js';
import { Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import {
  ADDING_BASELINE_MSE, DEFAULT_LR, LAB_CELLS, labBatch, labModelConfig, recurrentBlock, trainLab, type LabCell, type LabResult,
} from './lab.js';

/** The default learning rates, as text. */
export const LR_TEXT = LAB_CELLS.map((c) => `${c} ${DEFAULT_LR[c]}`).join(', ');

/** A number for a report line: fixed digits, or exponent form when very small or large. */
export const fmt = (x: number, digits = 4): string =>
  !Number.isFinite(x) ? String(x) : x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5) ? x.toExponential(2) : x.toFixed(digits);

/** Training loss of one or more runs on a log scale, with the task's baseline. */
export async function lossChart(results: LabResult[], title?: string): Promise<string> {
  const series: Series[] = results.map((r) => ({
    name: results.length > 1 ? `${r.cell}${r.clip_norm > 0 ? '' : ' (no clip)'}` : 'training loss',
    x: r.history.map((h) => h.step), y: r.history.map((h) => h.loss),
  }));
  const r0 = results[0], maxStep = Math.max(1, ...results.map((r) => r.steps));
  series.push({ name: 'baseline', x: [1, maxStep], y: [r0.baseline, r0.baseline] });
  return lineChart({
    series, logY: true, xLabel: 'update', yLabel: r0.task === 'adding' ? 'MSE' : 'cross-entropy',
    title: title ?? `${r0.task === 'adding' ? 'Adding problem, T' : 'Copy task, delay'} = ${r0.length}`,
  });
}

/** The ratio last/first; infinite when ‖∂L/∂h_0‖ fell below the smallest float (it vanished completely). */
export const ratioText = (g: GradFlow): string => (g.ratio === Infinity ? '∞ (‖∂L/∂h_0‖ underflowed to 0)' : fmt(g.ratio, 3));

/** ‖∂L/∂h_t‖ of one or more models on a log scale. */
export async function gradChart(list: { name: string; g: GradFlow }[], title = 'Gradient flow: ‖∂L/∂h_t‖, loss at the last step'): Promise<string> {
  return lineChart({
    title, xLabel: 't', yLabel: '‖∂L/∂h_t‖', logY: true,
    series: list.map(({ name, g }) => ({ name, x: g.grad_norms.map((_, t) => t), y: g.grad_norms })),
  });
}

export interface LabReportOptions {
  cells: LabCell[];
  lengths: number[];
  clipNorms: number[];
  hidden: number;
  batch: number;
  /** Budget per run: updates (0 = none) and seconds (0 = none). */
  steps: number;
  seconds: number;
  logEvery: number;
  testSize: number;
  seed: number;
}

export interface LabReportRuns {
  results: LabResult[];
  flows: { T: number; list: { name: string; g: GradFlow }[] }[];
  eigs: ReportSection[];
}

/**
 * Every run of the comparison (cells × lengths × clipping thresholds), each reported to `onRun` as
 * it ends; the gradient flow of the first threshold's models (fresh and trained, on one probe batch)
 * and, at the longest length, the eigenvalues of the trained Elman and IRNN matrices.
 */
export async function runLabReport(o: LabReportOptions, be: Backend, onRun?: (r: LabResult) => void): Promise<LabReportRuns> {
  const results: LabResult[] = [];
  const flows: LabReportRuns['flows'] = [];
  const eigs: ReportSection[] = [];
  for (const T of o.lengths) {
    const flowAt: { name: string; g: GradFlow }[] = [];
    for (const cell of o.cells) for (const clip of o.clipNorms) {
      const { model, result } = trainLab({
        task: 'adding', cell, length: T, hidden: o.hidden, batch: o.batch, optimizer: 'adam', clipNorm: clip,
        steps: o.steps, seconds: o.seconds, logEvery: o.logEvery, testSize: o.testSize, seed: o.seed,
      }, be);
      results.push(result);
      onRun?.(result);
      if (clip === o.clipNorms[0]) {
        // Gradient flow at the start (a fresh model of the same seed) and after training.
        const probe = labBatch('adding', T, 20, new Rng(o.seed + 7));
        const fresh = new Model(labModelConfig('adding', cell, o.hidden), be).init(new Rng(o.seed).fork());
        flowAt.push({ name: `${cell} (init)`, g: gradFlow(fresh, probe) }, { name: `${cell} (trained)`, g: gradFlow(model, probe) });
        if (T === o.lengths[o.lengths.length - 1] && (cell === 'elman' || cell === 'irnn')) {
          const block = recurrentBlock(model);
          const a = analyzeMatrix(block.W, block.H, { T: 0 });
          eigs.push({
            heading: `Eigenvalues of W_hh: ${cell}, T = ${T}, after training`,
            text: `Spectral radius ${fmt(a.spectral_radius, 3)} (at initialisation ${fmt(result.spectral_radius_start, 3)}); largest singular value ${fmt(a.largest_singular_value, 3)}.`,
            svg: await eigenPlot(a.eigenvalues, `${cell}, T = ${T}`),
          });
        }
      }
    }
    flows.push({ T, list: flowAt });
  }
  return { results, flows, eigs };
}

/** The page: setup, the results table, and the loss, gradient-flow and eigenvalue pictures. */
export async function buildReport({ results, flows, eigs }: LabReportRuns,
  info: { budget: string; backend: string; hidden: number; batch: number; seed: number }): Promise<Report> {
  const sections: ReportSection[] = [{
    heading: 'Setup',
    text: `The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015): two channels, numbers in [0, 1) and two markers, `
      + `one in each half of the sequence; the target is the sum of the two marked numbers, read at the last step. `
      + `Predicting the mean gives MSE ${fmt(ADDING_BASELINE_MSE, 3)}; a run "solves" the task below 0.01.\n\n`
      + `Every run: ${info.hidden} hidden units, batch ${info.batch}, Adam (lr: ${LR_TEXT}), budget ${info.budget} per run, `
      + `seed ${info.seed}, ${info.backend} backend. IRNN = ReLU Elman with W_hh = I (Le et al. 2015). `
      + `ρ is the spectral radius of W_hh (LSTM: its g block, GRU: its n block).`,
  }, {
    heading: 'Results',
    table: {
      columns: ['cell', 'T', 'clip norm', 'updates', 'seconds', 'test MSE', 'baseline', 'solved', 'ρ start', 'ρ end'],
      rows: results.map((r) => [r.cell, r.length, r.clip_norm > 0 ? r.clip_norm : 'none', r.steps, Number(r.seconds.toFixed(1)),
        r.test_loss, Number(r.baseline.toFixed(4)), r.diverged ? 'diverged' : r.test_loss < 0.01 ? 'yes' : 'no', r.spectral_radius_start, r.spectral_radius_end]),
    },
  }];
  for (const T of [...new Set(results.map((r) => r.length))]) {
    const rs = results.filter((r) => r.length === T);
    sections.push({ heading: `Training loss, T = ${T}`, svg: await lossChart(rs, `Adding problem, T = ${T}: training loss`), image: `loss-T${T}` });
  }
  for (const { T, list } of flows) {
    const ratios = list.map(({ name, g }) => `${name}: ${ratioText(g)}`).join('; ');
    sections.push({
      heading: `Gradient flow, T = ${T}`,
      text: `‖∂L/∂h_t‖ for a loss at the last step, over 20 test sequences, before and after training. Ratio last/first (large = vanishing): ${ratios}.`,
      svg: await gradChart(list, `‖∂L/∂h_t‖, T = ${T}`), image: `gradflow-T${T}`,
    });
  }
  eigs.forEach((s, i) => sections.push({ ...s, image: `eigenvalues-${i}` }));
  return { title: 'recur lab: long-term dependencies on the adding problem', sections };
}
