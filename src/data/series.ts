/**
 * Data for forecasting: scaling, chronological splits, forecast windows and a strict CSV parser
 * whose errors name the offending line. Platform-free.
 */

/**
 * Standardization (x - mean) / std. Fit on the training part only: statistics taken over validation
 * or test values would leak the future into training.
 */
export class Scaler {
  constructor(readonly mean: number, readonly std: number) {
    if (!Number.isFinite(mean) || !(std > 0) || !Number.isFinite(std)) throw new Error(`bad scaler mean ${mean} / std ${std}`);
  }

  static fit(values: ArrayLike<number>): Scaler {
    const n = values.length;
    if (n === 0) throw new Error('cannot fit a scaler on no values');
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i];
    const mean = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
    const std = Math.sqrt(ss / n);
    // A constant series has std 0; scaling by 1 keeps it finite (it just gets centred).
    return new Scaler(mean, std > 0 ? std : 1);
  }

  transform(values: ArrayLike<number>): Float64Array {
    return Float64Array.from(values, (v) => (v - this.mean) / this.std);
  }
  inverse(values: ArrayLike<number>): Float64Array {
    return Float64Array.from(values, (v) => v * this.std + this.mean);
  }
  toJSON(): { mean: number; std: number } { return { mean: this.mean, std: this.std }; }
  static fromJSON(j: { mean: number; std: number }): Scaler { return new Scaler(j.mean, j.std); }
}

export interface ChronoSplit {
  train: Float64Array;
  val: Float64Array;
  test: Float64Array;
  /** Index of the first validation value (= train length) and of the first test value. */
  valStart: number;
  testStart: number;
}

/** Train, then validation, then test, in time order: never shuffle a series before splitting. */
export function chronologicalSplit(values: ArrayLike<number>, fractions: { valFraction: number; testFraction: number }): ChronoSplit {
  const { valFraction, testFraction } = fractions;
  for (const [k, f] of [['valFraction', valFraction], ['testFraction', testFraction]] as const) {
    if (!(f >= 0 && f < 1)) throw new Error(`${k} must be in [0, 1), got ${f}`);
  }
  if (valFraction + testFraction >= 1) throw new Error('valFraction + testFraction must be below 1');
  const all = Float64Array.from(values);
  const n = all.length;
  const nTest = Math.round(n * testFraction);
  const nVal = Math.round(n * valFraction);
  const valStart = n - nTest - nVal;
  const testStart = n - nTest;
  if (valStart < 1) throw new Error(`series of ${n} values leaves no training data`);
  return { train: all.subarray(0, valStart), val: all.subarray(valStart, testStart), test: all.subarray(testStart), valStart, testStart };
}

export interface WindowOptions {
  /** Input length (past values seen by the model). */
  window: number;
  /** Number of future values to predict: 1 = one-step-ahead; H = the next H values. */
  horizon?: number;
  /** Distance between consecutive windows. */
  stride?: number;
  /**
   * Range of indices allowed as the FIRST target (default [window, n - horizon + 1)). To evaluate a
   * validation part without losing its first `window` points, pass the whole series with
   * targetStart = valStart: inputs then reach back into the (known) training past, targets never do.
   */
  targetStart?: number;
  targetEnd?: number;
}

export interface Windows {
  /** [count * window], row-major: inputs[k * window + t] = series[first_k - window + t]. */
  inputs: Float64Array;
  /** [count * horizon]: targets[k * horizon + h] = series[first_k + h]. */
  targets: Float64Array;
  count: number;
  window: number;
  horizon: number;
}

/** (input window, target) pairs for one-step-ahead (horizon 1) or horizon-H forecasting. */
export function makeWindows(series: ArrayLike<number>, opts: WindowOptions): Windows {
  const { window } = opts;
  const horizon = opts.horizon ?? 1;
  const stride = opts.stride ?? 1;
  for (const [k, v] of [['window', window], ['horizon', horizon], ['stride', stride]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
  }
  const n = series.length;
  const first = opts.targetStart ?? window;
  const end = opts.targetEnd ?? n - horizon + 1; // exclusive bound on the first target index
  if (first < window) throw new Error(`targetStart ${first} leaves less than window ${window} values of input`);
  if (end > n - horizon + 1) throw new Error(`targetEnd ${end} runs past the series (length ${n}, horizon ${horizon})`);
  const count = end > first ? Math.ceil((end - first) / stride) : 0;
  if (count === 0) throw new Error(`series of ${n} values is too short for window ${window} + horizon ${horizon}`);
  const inputs = new Float64Array(count * window);
  const targets = new Float64Array(count * horizon);
  for (let k = 0; k < count; k++) {
    const t0 = first + k * stride;
    for (let t = 0; t < window; t++) inputs[k * window + t] = series[t0 - window + t];
    for (let h = 0; h < horizon; h++) targets[k * horizon + h] = series[t0 + h];
  }
  return { inputs, targets, count, window, horizon };
}

// A plain decimal number; Number() would also accept '', '0x1f', 'Infinity' and whitespace.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Splits one CSV line into fields (double quotes group commas; "" is an escaped quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur.trim()); cur = ''; }
    else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/**
 * One numeric column of a CSV text. A first line with any non-numeric field is a header. `column` is
 * a header name or a 0-based index; by default the last column (the usual "date,...,value" layout).
 * Blank lines are skipped; every other problem is an Error naming its 1-based line.
 */
export function parseCsv(text: string, column?: string | number): Float64Array {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows = lines.map((l, i) => ({ line: i + 1, text: l })).filter((r) => r.text.trim() !== '');
  if (rows.length === 0) throw new Error('CSV is empty');
  const first = csvFields(rows[0].text);
  const header = first.some((f) => !NUMBER.test(f)) ? first : null;
  if (header) rows.shift();
  let col: number;
  if (typeof column === 'string') {
    if (!header) throw new Error(`column '${column}' requested but the CSV has no header (line ${rows[0].line})`);
    col = header.indexOf(column);
    if (col < 0) throw new Error(`column '${column}' not in the header on line 1 (${header.join(', ')})`);
  } else if (typeof column === 'number') {
    if (!Number.isInteger(column) || column < 0) throw new Error(`column index must be a non-negative integer, got ${column}`);
    col = column;
  } else {
    col = first.length - 1;
  }
  if (rows.length === 0) throw new Error('CSV has a header but no data rows');
  const name = header?.[col] !== undefined ? `'${header[col]}'` : `${col}`;
  const out = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    const fields = csvFields(r.text);
    if (col >= fields.length) throw new Error(`line ${r.line}: missing column ${name} (row has ${fields.length} fields)`);
    const f = fields[col];
    if (!NUMBER.test(f)) throw new Error(`line ${r.line}: ${f === '' ? 'empty value' : `'${f}' is not a number`} in column ${name}`);
    out[i] = Number(f);
  });
  return out;
}
