/**
 * Two more views over the inspector's activations (acts[t·H + j]: unit j after reading character t):
 *  - a heatmap of every hidden unit over the text (one row per unit, one column per character), where
 *    units that switch at line breaks, inside quotes or on spaces show as vertical stripes;
 *  - the search for the units that best track a pattern of the text (Karpathy's quote and line-length
 *    cells): the Pearson correlation of each unit's activation with the pattern's signal, best first.
 * The pattern signals and the correlation are plain functions of the text (tested in Node); only
 * drawHeatmap touches the DOM.
 */
import { activationRgba } from './inspector.js';

export interface Pattern { label: string; signal: (chars: readonly string[]) => Float32Array }

const VOWELS = new Set('aeiouyAEIOUYàâäéèêëîïôöùûüÀÂÄÉÈÊËÎÏÔÖÙÛÜ');
const OPEN = new Set(['"', '“', '«']);
const CLOSE = new Set(['"', '”', '»']);

/** 1 where the test holds, 0 elsewhere. */
const indicator = (test: (ch: string) => boolean) => (chars: readonly string[]): Float32Array => Float32Array.from(chars, (ch) => (test(ch) ? 1 : 0));

export const PATTERNS: Record<string, Pattern> = {
  quotes: {
    label: 'inside quotes',
    // A straight quote opens when outside and closes when inside; the marks themselves count as inside.
    signal: (chars) => {
      const out = new Float32Array(chars.length);
      let inside = false;
      chars.forEach((ch, t) => {
        if (!inside && OPEN.has(ch)) inside = true;
        else if (inside && CLOSE.has(ch)) { out[t] = 1; inside = false; return; }
        out[t] = inside ? 1 : 0;
      });
      return out;
    },
  },
  'line-position': {
    label: 'position in the line',
    signal: (chars) => {
      const out = new Float32Array(chars.length);
      let k = 0;
      chars.forEach((ch, t) => { out[t] = k; k = ch === '\n' ? 0 : k + 1; });
      return out;
    },
  },
  vowels: { label: 'vowels', signal: indicator((ch) => VOWELS.has(ch)) },
  spaces: { label: 'spaces', signal: indicator((ch) => ch === ' ') },
  capitals: { label: 'capital letters', signal: indicator((ch) => ch !== ch.toLowerCase()) },
};

/** Pearson correlation of each unit's activation over t with `signal` (0 for a constant unit or signal). */
export function correlations(acts: Float32Array, T: number, H: number, signal: Float32Array): Float32Array {
  let ms = 0;
  for (let t = 0; t < T; t++) ms += signal[t];
  ms /= T;
  let vs = 0;
  for (let t = 0; t < T; t++) vs += (signal[t] - ms) ** 2;
  const r = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let ma = 0;
    for (let t = 0; t < T; t++) ma += acts[t * H + j];
    ma /= T;
    let va = 0, cov = 0;
    for (let t = 0; t < T; t++) { const a = acts[t * H + j] - ma; va += a * a; cov += a * (signal[t] - ms); }
    r[j] = va > 0 && vs > 0 ? cov / Math.sqrt(va * vs) : 0;
  }
  return r;
}

/** The k units with the largest |r|, best first. */
export function bestUnits(r: Float32Array, k: number): { unit: number; r: number }[] {
  return Array.from(r, (v, unit) => ({ unit, r: v })).sort((a, b) => Math.abs(b.r) - Math.abs(a.r)).slice(0, k);
}

/** Every unit over the text on a canvas, one pixel per (character, unit), each unit scaled to its own largest |activation|. */
export function drawHeatmap(canvas: HTMLCanvasElement, acts: Float32Array, T: number, H: number): void {
  const scale = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let m = 0;
    for (let t = 0; t < T; t++) m = Math.max(m, Math.abs(acts[t * H + j]));
    scale[j] = m > 1 ? m : 1; // bounded units as they are, ReLU ones scaled
  }
  paint(canvas, T, H, (t, j) => acts[t * H + j] / scale[j]);
}

/** A matrix (row-major, rows × cols) on a canvas, one pixel per entry, scaled by its largest |entry|. */
export function drawMatrix(canvas: HTMLCanvasElement, w: Float32Array, rows: number, cols: number): void {
  let m = 0;
  for (let k = 0; k < rows * cols; k++) m = Math.max(m, Math.abs(w[k]));
  paint(canvas, cols, rows, (x, y) => (m > 0 ? w[y * cols + x] / m : 0));
}

/** A width × height picture of value(x, y) in [−1, 1], in the text view's colours over white. */
function paint(canvas: HTMLCanvasElement, width: number, height: number, value: (x: number, y: number) => number): void {
  canvas.width = Math.max(1, width);
  canvas.height = Math.max(1, height);
  const ctx = canvas.getContext('2d');
  if (!ctx || width === 0 || height === 0) return;
  const img = ctx.createImageData(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const [r, g, b, a] = activationRgba(value(x, y)), p = 4 * (y * width + x);
    img.data[p] = Math.round(255 + (r - 255) * a);
    img.data[p + 1] = Math.round(255 + (g - 255) * a);
    img.data[p + 2] = Math.round(255 + (b - 255) * a);
    img.data[p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
