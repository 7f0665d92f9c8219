/**
 * The attention lab: exact match against input length for an encoder-decoder without attention, with
 * dot scores and with additive scores, on the reverse task, each run given the same time (or step)
 * budget and about the same number of parameters. Without attention the decoder must rebuild the
 * whole input from one final state, so its accuracy falls as the inputs grow; with attention it reads
 * the input back where it needs it. Platform-free.
 */
import { lineChart } from '../analysis/plots.js';
import type { Backend } from '../kernels/backend.js';
import { seq2seqSpecs, type AttentionKind } from '../nn/seq2seq/config.js';
import { syntheticSource } from './seq2seq/data.js';
import { seq2seqConfig, SEQ2SEQ_DEFAULTS, trainSeq2Seq, type Seq2SeqTrainOptions } from './seq2seq/train.js';

export const LAB_ATTENTION_KINDS: AttentionKind[] = ['none', 'dot', 'additive'];
export const LAB_ATTENTION_LENGTHS = [5, 10, 20, 40, 80];

export interface AttentionLabOptions {
  task: string;
  lengths: number[];
  kinds: AttentionKind[];
  /** Hidden width of the largest model (additive attention when it is compared); the others get as many parameters. */
  hidden: number;
  embed: number;
  cell: Seq2SeqTrainOptions['cell'];
  batch: number;
  lr: number;
  seed: number;
  steps: number | null;
  seconds: number | null;
  heldOut: number;
}

export interface AttentionLabRun {
  length: number; attention: AttentionKind; hidden: number; parameters: number;
  exact_match: number; token_accuracy: number; loss: number; steps: number; seconds: number;
}

/** Parameters of a model at this hidden width (vocabularies of the task). */
function parameterCount(o: AttentionLabOptions, kind: AttentionKind, hidden: number, src: number, tgt: number): number {
  const c = seq2seqConfig({ ...SEQ2SEQ_DEFAULTS, cell: o.cell, embed: o.embed, hidden, attention: kind }, src, tgt);
  return seq2seqSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * The hidden width of each kind whose parameter count is closest to that of the largest kind at
 * `o.hidden` (attention layers cost parameters, so the models without them get wider states).
 */
export function matchedWidths(o: AttentionLabOptions, src: number, tgt: number): Map<AttentionKind, number> {
  const target = Math.max(...o.kinds.map((k) => parameterCount(o, k, o.hidden, src, tgt)));
  const widths = new Map<AttentionKind, number>();
  for (const k of o.kinds) {
    let best = o.hidden, gap = Infinity;
    for (let h = o.hidden; h <= 4 * o.hidden; h++) {
      const g = Math.abs(parameterCount(o, k, h, src, tgt) - target);
      if (g < gap) { gap = g; best = h; }
      if (parameterCount(o, k, h, src, tgt) > target) break;
    }
    widths.set(k, best);
  }
  return widths;
}

/** Every (length, kind) run, in order; `onRun` sees each as it finishes. */
export function runAttentionLab(be: Backend, o: AttentionLabOptions, onRun?: (r: AttentionLabRun) => void): AttentionLabRun[] {
  const runs: AttentionLabRun[] = [];
  for (const length of o.lengths) {
    const probe = syntheticSource(o.task, length, o.seed, 1);
    const widths = matchedWidths(o, probe.srcVocab.size, probe.tgtVocab.size);
    for (const attention of o.kinds) {
      const source = syntheticSource(o.task, length, o.seed, o.heldOut);
      const hidden = widths.get(attention)!;
      const r = trainSeq2Seq(be, source, {
        cell: o.cell, hidden, embed: o.embed, attention, batch: o.batch, lr: o.lr, seed: o.seed,
        steps: o.steps, seconds: o.seconds, evalEvery: null,
      });
      const run: AttentionLabRun = {
        length, attention, hidden, parameters: r.model.params.size, exact_match: r.heldOut.exact,
        token_accuracy: r.heldOut.tokenAccuracy, loss: r.heldOut.loss, steps: r.steps, seconds: r.seconds,
      };
      r.model.free();
      runs.push(run);
      onRun?.(run);
    }
  }
  return runs;
}

/** Exact match against length, one line per attention kind. */
export function attentionLabChart(runs: readonly AttentionLabRun[], title: string): Promise<string> {
  const kinds = [...new Set(runs.map((r) => r.attention))];
  return lineChart({
    title, xLabel: 'input length (longest)', yLabel: 'exact match (held out)', points: true,
    series: kinds.map((k) => {
      const mine = runs.filter((r) => r.attention === k);
      return { name: k === 'none' ? 'no attention' : `${k} attention`, x: mine.map((r) => r.length), y: mine.map((r) => r.exact_match) };
    }),
  });
}
