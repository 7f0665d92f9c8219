/** Scores for classifiers and forecasters. Platform-free. */

export interface ClassificationMetrics {
  accuracy: number;
  /** Of the positive class (two classes) or macro-averaged over classes (more). */
  precision: number;
  recall: number;
  f1: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** The class precision/recall/F1 are about (two classes), or null when they are macro averages. */
  positive: number | null;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/**
 * Accuracy, precision, recall, F1 and the confusion matrix. With two classes the scores are those of
 * class `positive` (default 1: e.g. spam among ham and spam), the usual report for a detector; with
 * more, each class's scores averaged with equal weight (macro), so a rare class counts as much as a
 * common one.
 */
export function classificationMetrics(truth: ArrayLike<number>, pred: ArrayLike<number>, classes: number, positive = 1): ClassificationMetrics {
  if (truth.length !== pred.length) throw new Error(`${truth.length} labels but ${pred.length} predictions`);
  if (truth.length === 0) throw new Error('no examples to score');
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let right = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][pred[i]]++;
    if (truth[i] === pred[i]) right++;
  }
  const scores = (k: number) => {
    let col = 0, row = 0;
    for (let j = 0; j < classes; j++) { col += confusion[j][k]; row += confusion[k][j]; }
    const p = ratio(confusion[k][k], col), r = ratio(confusion[k][k], row);
    return { p, r, f: ratio(2 * p * r, p + r) };
  };
  const accuracy = right / truth.length;
  if (classes === 2) {
    const s = scores(positive);
    return { accuracy, precision: s.p, recall: s.r, f1: s.f, confusion, positive };
  }
  let p = 0, r = 0, f = 0;
  for (let k = 0; k < classes; k++) { const s = scores(k); p += s.p; r += s.r; f += s.f; }
  return { accuracy, precision: p / classes, recall: r / classes, f1: f / classes, confusion, positive: null };
}

export interface ErrorMetrics { mae: number; rmse: number; count: number }

/** Mean absolute and root-mean-square error over the pairs where both values are finite. */
export function errorMetrics(truth: ArrayLike<number>, pred: ArrayLike<number>): ErrorMetrics {
  if (truth.length !== pred.length) throw new Error(`${truth.length} values but ${pred.length} predictions`);
  let abs = 0, sq = 0, n = 0;
  for (let i = 0; i < truth.length; i++) {
    const e = pred[i] - truth[i];
    if (!Number.isFinite(e)) continue;
    abs += Math.abs(e); sq += e * e; n++;
  }
  if (n === 0) throw new Error('no forecasts to score');
  return { mae: abs / n, rmse: Math.sqrt(sq / n), count: n };
}
