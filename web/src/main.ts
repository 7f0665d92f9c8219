/**
 * The playground page: reads the controls, talks to the training worker, and draws what it reports.
 * The page never trains or parses model files itself, so it stays responsive whatever the worker does.
 */
import { drawEigenvalues, drawLines, fmt } from './charts.js';
import { Inspector } from './inspector.js';
import { bestUnits, correlations, drawHeatmap, drawMatrix, PATTERNS } from './unit-views.js';
import type { BackendChoice, CorpusChoice, CorpusId, FromWorker, Inspection, Sampling, Settings, ToWorker, TrainSettings } from './protocol.js';
import { decodeUtf8Strict } from '../../src/data/text.js';
import { setupSeq2SeqPanel } from './seq2seq-panel.js';

/** Model files larger than this are refused before reading (the playground's models are a few MB). */
const MAX_MODEL_BYTES = 256 * 1024 * 1024;
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!e) throw new Error(`the page lacks [data-testid=${id}]`);
  return e;
};

const ui = {
  backend: $('backend'), status: $('status'), error: $('error'),
  corpus: $<HTMLSelectElement>('corpus-select'), corpusInput: $<HTMLTextAreaElement>('corpus-input'), corpusFile: $<HTMLInputElement>('corpus-file'),
  cell: $<HTMLSelectElement>('cell-select'), activation: $<HTMLSelectElement>('activation'), hidden: $<HTMLInputElement>('hidden'),
  layers: $<HTMLInputElement>('layers'), h0: $<HTMLSelectElement>('h0'), seed: $<HTMLInputElement>('seed'),
  seq: $<HTMLInputElement>('seq-length'), batch: $<HTMLInputElement>('batch-size'), optimizer: $<HTMLSelectElement>('optimizer'),
  lr: $<HTMLInputElement>('lr'), clipNorm: $<HTMLInputElement>('clip-norm'), clipValue: $<HTMLInputElement>('clip-value'),
  backendSelect: $<HTMLSelectElement>('backend-select'),
  train: $<HTMLButtonElement>('train'), pause: $<HTMLButtonElement>('pause'), reset: $<HTMLButtonElement>('reset'),
  download: $<HTMLButtonElement>('download'), upload: $<HTMLInputElement>('upload'),
  step: $('step'), loss: $('loss'), gradNorm: $('grad-norm'), radius: $('spectral-radius'), speed: $('speed'), modelInfo: $('model-info'),
  lossChart: $('loss-chart'), gradChart: $('gradnorm-chart'), radiusChart: $('radius-chart'),
  temperature: $<HTMLInputElement>('temperature'), temperatureValue: $('temperature-value'), resample: $<HTMLButtonElement>('resample'),
  prime: $<HTMLInputElement>('prime'), sampleLength: $<HTMLInputElement>('sample-length'), topK: $<HTMLInputElement>('top-k'),
  sample: $('sample'), matrix: $<HTMLSelectElement>('spectrum-matrix'), spectrum: $('spectrum'),
  gradflow: $('gradflow'), gradflowSummary: $('gradflow-summary'),
  inspectInput: $<HTMLTextAreaElement>('inspect-input'), inspect: $<HTMLButtonElement>('inspect'),
  confirm: $('confirm'), confirmText: $('confirm-text'), confirmNew: $<HTMLButtonElement>('confirm-new'),
  confirmKeep: $<HTMLButtonElement>('confirm-keep'), confirmDownload: $<HTMLButtonElement>('confirm-download'),
  runs: $('runs'), clearRuns: $<HTMLButtonElement>('clear-runs'),
  presetNote: $('preset-note'), corpusPreview: $('corpus-preview'), corpusSize: $('corpus-size'),
};

const inspector = new Inspector({
  text: $('inspect-text'), grid: $('unit-grid'), unit: $<HTMLInputElement>('unit'), layer: $<HTMLSelectElement>('inspect-layer'), predictions: $('predictions'),
});

// The heatmap of all units and the search for units that track a pattern, over the inspected text.
const unitViews = { pattern: $<HTMLSelectElement>('pattern'), best: $('best-units'), heatmap: $<HTMLCanvasElement>('heatmap'), quantity: $<HTMLSelectElement>('inspect-quantity') };
unitViews.pattern.replaceChildren(...Object.entries(PATTERNS).map(([id, p]) => new Option(p.label, id)));
let inspected: Inspection | null = null;
const weightsHeatmap = $<HTMLCanvasElement>('weights-heatmap');
/** The worker's inspection: the hidden state and, for an LSTM or GRU, its gates. */
let inspection: Inspection | null = null;

/** Show the chosen quantity (h or a gate) in the text, the unit grid, the heatmap and the search. */
function showInspection(): void {
  const d = inspection;
  if (!d) return;
  const names = d.gates?.names ?? [];
  const want = unitViews.quantity.value;
  unitViews.quantity.replaceChildren(new Option('hidden state h', 'h'), ...names.map((n) => new Option(n, n)));
  unitViews.quantity.value = names.includes(want) ? want : 'h';
  const k = names.indexOf(unitViews.quantity.value), size = d.chars.length * d.H;
  inspected = k < 0 ? d : { ...d, acts: d.gates!.values.subarray(k * size, (k + 1) * size) };
  inspector.show(inspected);
  showUnitViews();
}
unitViews.quantity.addEventListener('change', showInspection);

function showUnitViews(): void {
  const d = inspected;
  if (!d) return;
  const T = d.chars.length;
  drawHeatmap(unitViews.heatmap, d.acts, T, d.H);
  unitViews.heatmap.dataset.units = String(d.H);
  const r = correlations(d.acts, T, d.H, PATTERNS[unitViews.pattern.value].signal(d.chars));
  unitViews.best.replaceChildren(...bestUnits(r, 5).map(({ unit, r: v }) => {
    const li = document.createElement('li'), b = document.createElement('button');
    b.textContent = `unit ${unit} (r = ${v.toFixed(2)})`;
    b.dataset.unit = String(unit);
    b.addEventListener('click', () => inspector.setUnit(unit));
    li.append(b);
    return li;
  }));
}
unitViews.pattern.addEventListener('change', showUnitViews);
unitViews.heatmap.addEventListener('click', (e) => {
  const H = inspected?.H ?? 0, h = unitViews.heatmap.clientHeight;
  if (H > 0 && h > 0) inspector.setUnit(Math.min(H - 1, Math.floor((e.offsetY / h) * H)));
});

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (msg: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(msg, transfer);

// ------------------------------------------------------------------------------------------ state
let ready = false;
let running = false;
/** What the status line says after a model file was loaded. */
let loadNote: string | null = null;
let hasModel = false;
/** The current model came from a file (it is worth keeping even before it trains here). */
let loadedModel = false;
/** Whether the model can train on the chosen corpus (a loaded model may lack some of its characters). */
let trainable = true;
/** "lstm 64, lr 0.005": names the current run in the prompt and, once kept, in the loss chart's legend. */
let runLabel = '';
/** A change that needs a new model, waiting for the user's answer. */
let pending: (() => void) | null = null;
/** Training history for the charts. */
const hist = { step: [] as number[], loss: [] as number[], smooth: [] as number[], grad: [] as number[] };
const val = { step: [] as number[], bits: [] as number[] };
const rho = { step: [] as number[], value: [] as number[] };
let gradflow: number[] = [];
let dirty = false;
/** Smoothing of the training loss curve (per step). */
const SMOOTH = 0.95;
let ema = 0;

// ---------------------------------------------------------------------------------------- settings
function num(input: HTMLInputElement, what: string, opts: { int?: boolean; min: number; max: number; exclusiveMin?: boolean }): number {
  const v = Number(input.value);
  const bad = input.value.trim() === '' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))
    || v < opts.min || v > opts.max || (opts.exclusiveMin && v === opts.min);
  if (bad) {
    const range = `${opts.exclusiveMin ? 'above' : 'at least'} ${opts.min}${opts.max < Infinity ? ` and at most ${opts.max}` : ''}`;
    throw new Error(`${what} must be ${opts.int ? 'a whole number' : 'a number'} ${range}, not "${input.value}"`);
  }
  return v;
}

function trainSettings(): TrainSettings {
  return {
    seq: num(ui.seq, 'sequence length', { int: true, min: 2, max: 500 }),
    batch: num(ui.batch, 'batch', { int: true, min: 1, max: 128 }),
    lr: num(ui.lr, 'learning rate', { min: 0, max: 10, exclusiveMin: true }),
    optimizer: ui.optimizer.value as TrainSettings['optimizer'],
    clipNorm: num(ui.clipNorm, 'gradient-norm clipping', { min: 0, max: Infinity }),
    clipValue: num(ui.clipValue, 'per-gradient clipping', { min: 0, max: Infinity }),
  };
}

function settings(): Settings {
  return {
    ...trainSettings(),
    cell: ui.cell.value as Settings['cell'],
    activation: ui.activation.value as Settings['activation'],
    hidden: num(ui.hidden, 'hidden units', { int: true, min: 1, max: 512 }),
    layers: num(ui.layers, 'layers', { int: true, min: 1, max: 4 }),
    h0: ui.h0.value as Settings['h0'],
    seed: num(ui.seed, 'seed', { int: true, min: 0, max: 4294967295 }),
  };
}

function sampling(): Sampling {
  return {
    temperature: Number(ui.temperature.value),
    prime: ui.prime.value,
    length: num(ui.sampleLength, 'sample length', { int: true, min: 1, max: 5000 }),
    topK: num(ui.topK, 'top-k', { int: true, min: 0, max: 1000 }),
  };
}

/** What to try after a diverged run, from the settings it diverged with. */
function divergenceHint(lr: number, clipNorm: number): string {
  const clip = clipNorm > 0 ? `clip the gradient norm harder (now ${clipNorm}; try ${fmt(clipNorm / 5)})` : 'clip the gradient norm (try 1)';
  return `Try a lower learning rate (now ${fmt(lr)}; try ${fmt(lr / 10)}) or ${clip}, then Resume.`;
}

function corpus(): CorpusChoice {
  const id = ui.corpus.value as CorpusId;
  return id === 'custom' ? { id, text: ui.corpusInput.value } : { id };
}

// ------------------------------------------------------------------------------------------ views
function showError(msg: string | null): void {
  ui.error.hidden = msg === null;
  ui.error.textContent = msg ?? '';
  delete ui.error.dataset.kind;
}

function setStatus(text: string): void { ui.status.textContent = text; }

function syncButtons(): void {
  ui.train.disabled = !ready || running || pending !== null || !trainable;
  ui.train.title = trainable ? '' : 'This model lacks some characters of the chosen text: choose text in its characters, or start a new model';
  ui.train.textContent = hasModel && !running ? 'Resume' : 'Train';
  if (!hasModel) ui.train.textContent = 'Train';
  ui.pause.disabled = !running;
  ui.download.disabled = !hasModel;
  ui.resample.disabled = !hasModel;
  ui.inspect.disabled = !hasModel;
  ui.activation.disabled = ui.cell.value === 'lstm' || ui.cell.value === 'gru';
  ui.corpusInput.classList.toggle('active', ui.corpus.value === 'custom');
}

function clearViews(): void {
  for (const a of [hist.step, hist.loss, hist.smooth, hist.grad, val.step, val.bits, rho.step, rho.value]) a.length = 0;
  gradflow = [];
  ema = 0;
  ui.step.textContent = '0';
  ui.loss.textContent = '–';
  for (const k of ['train', 'val', 'first', 'steps']) delete ui.loss.dataset[k];
  ui.gradNorm.textContent = '–';
  ui.radius.textContent = '–';
  ui.speed.textContent = '–';
  ui.sample.textContent = '';
  ui.gradflowSummary.textContent = '';
  ui.spectrum.replaceChildren();
  scheduleDraw();
}

/** At most this many points per line: the history is thinned evenly for drawing. */
function thin(x: number[], y: number[], max = 500): { x: number[]; y: number[] } {
  if (x.length <= max) return { x, y };
  const k = x.length / max, ox: number[] = [], oy: number[] = [];
  for (let i = 0; i < max; i++) { const j = Math.floor(i * k); ox.push(x[j]); oy.push(y[j]); }
  ox.push(x[x.length - 1]); oy.push(y[y.length - 1]);
  return { x: ox, y: oy };
}

function draw(): void {
  dirty = false;
  const raw = thin(hist.step, hist.loss), sm = thin(hist.step, hist.smooth), g = thin(hist.step, hist.grad);
  drawLines(ui.lossChart, [
    ...runs.map((r, k) => ({ name: r.label, x: r.step, y: r.smooth, color: RUN_COLORS[k % RUN_COLORS.length], width: 1.5, dash: true })),
    { name: 'train (raw)', x: raw.x, y: raw.y, color: '#9db8d9', width: 1, opacity: 0.6 },
    { name: 'train', x: sm.x, y: sm.y, color: '#1f5fa8', width: 2 },
    { name: 'validation', x: val.step, y: val.bits, color: '#d0632a', dots: true, width: 1.5 },
  ], { xLabel: 'step', yLabel: 'bits/char', height: 230 });
  const clip = Number(ui.clipNorm.value);
  drawLines(ui.gradChart, [{ name: '‖g‖', x: g.x, y: g.y, color: '#6b4fa8', width: 1.2 }],
    { xLabel: 'step', yLabel: '‖g‖', logY: true, ...(clip > 0 ? { refY: clip, refLabel: `clipped above ${fmt(clip)}` } : {}) });
  drawLines(ui.radiusChart, [{ name: 'ρ', x: rho.step, y: rho.value, color: '#2a8a57', width: 2, dots: rho.step.length < 40 }], { xLabel: 'step', yLabel: 'ρ', refY: 1, refLabel: 'ρ = 1' });
  drawLines(ui.gradflow, [{ name: '‖∂L/∂h_t‖', x: gradflow.map((_, t) => t), y: gradflow, color: '#b03a5b', width: 2 }], { xLabel: 't (the loss is at the last step)', yLabel: '‖∂L/∂h_t‖', logY: true });
}

// ------------------------------------------------------------------------------ earlier runs
/** Loss curves of earlier models, kept on the loss chart (dashed) until cleared, to compare cells and settings. */
interface Run { label: string; step: number[]; smooth: number[] }
const runs: Run[] = [];
const RUN_COLORS = ['#8a8f98', '#c77d2e', '#3c9a6e', '#a04a8f', '#b5a22c', '#4a8fb0'];

/** Keep the current curve (when it has one) before its model goes. */
function keepRun(): void {
  if (hist.step.length < 2) return;
  const t = thin(hist.step, hist.smooth, 300);
  runs.push({ label: `${runs.length + 1}: ${runLabel}`, step: [...t.x], smooth: [...t.y] });
  showRuns();
}

function showRuns(): void {
  ui.runs.textContent = runs.length ? `Earlier runs (dashed): ${runs.map((r) => r.label).join(' · ')}` : 'No earlier runs yet: a new model keeps this run\'s curve here to compare.';
  ui.runs.dataset.count = String(runs.length);
  ui.clearRuns.hidden = runs.length === 0;
  scheduleDraw();
}

/** Charts are redrawn at most a few times a second: progress arrives ~25 times a second. */
const DRAW_EVERY_MS = 250;
let lastDraw = 0;
function scheduleDraw(): void {
  if (dirty) return;
  dirty = true;
  const wait = Math.max(0, lastDraw + DRAW_EVERY_MS - performance.now());
  setTimeout(() => requestAnimationFrame(() => { lastDraw = performance.now(); draw(); }), wait);
}

function lossReadout(): void {
  const tr = hist.smooth[hist.smooth.length - 1], v = val.bits[val.bits.length - 1];
  if (tr === undefined) return;
  ui.loss.dataset.train = String(tr);
  ui.loss.dataset.first = String(hist.loss[0]);
  ui.loss.dataset.steps = String(hist.step[hist.step.length - 1]);
  if (v !== undefined) ui.loss.dataset.val = String(v);
  ui.loss.textContent = `train ${tr.toFixed(3)}${v !== undefined ? ` · val ${v.toFixed(3)}` : ''} bits/char`;
}

// ------------------------------------------------------------------------------------ from worker
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      ready = true;
      ui.backend.textContent = `kernels: ${m.backend}${m.threads > 1 ? ` × ${m.threads} threads` : ''}${m.isolated ? ' · cross-origin isolated' : ''}`;
      ui.backend.dataset.backend = m.backend;
      if (!hasModel) setStatus(m.note ?? 'Ready: choose a corpus and a cell, then press Train.');
      break;
    case 'model': {
      if (hasModel) keepRun();
      hasModel = true;
      clearViews();
      const i = m.info, s = m.settings;
      loadedModel = m.loaded !== undefined;
      trainable = m.loaded?.trainable ?? true;
      runLabel = `${i.cell} ${i.layers > 1 ? `${i.layers}×` : ''}${i.hidden}, lr ${fmt(s.lr)}${m.loaded ? ` (${m.loaded.name})` : ''}`;
      // A loaded model brings its own architecture (and a resumed run its training settings): show them
      // in the controls. Setting values fires no change event, so this does not start over.
      ui.cell.value = s.cell; ui.hidden.value = String(s.hidden); ui.layers.value = String(s.layers); ui.h0.value = s.h0;
      ui.activation.value = s.activation;
      ui.seq.value = String(s.seq); ui.batch.value = String(s.batch); ui.lr.value = String(s.lr); ui.optimizer.value = s.optimizer;
      ui.clipNorm.value = String(s.clipNorm); ui.clipValue.value = String(s.clipValue);
      ui.modelInfo.textContent = `${i.cell}, ${i.layers}×${i.hidden} units, ${i.vocab} characters, ${i.params.toLocaleString('en')} parameters`;
      ui.matrix.replaceChildren(...i.matrices.map((x) => new Option(x.label, x.id)));
      inspector.reset(i.layers);
      loadNote = m.loaded ? `Loaded ${m.loaded.name}: ${m.loaded.resumed ? 'its run continues exactly where it stopped (same text)'
        : m.loaded.trainable ? 'weights loaded; training on this corpus starts a fresh optimizer'
          : 'it writes samples and can be inspected, but it cannot train on this corpus (the text has characters it lacks): '
            + 'choose text in its characters to train it, or start a new model'}.` : null;
      commit();
      break;
    }
    case 'state':
      running = m.running;
      ui.step.textContent = String(m.step);
      setStatus(running ? 'Training…' : loadNote ?? (hasModel ? `Paused at step ${m.step}.` : 'Ready.'));
      loadNote = null;
      break;
    case 'progress':
      for (const p of m.points) {
        hist.step.push(p.step); hist.loss.push(p.loss); hist.grad.push(p.gradNorm);
        // Exponential smoothing, bias-corrected (as Adam's moments) so the first points are not pulled to 0.
        ema = SMOOTH * ema + (1 - SMOOTH) * p.loss;
        hist.smooth.push(ema / (1 - SMOOTH ** hist.loss.length));
      }
      if (m.points.length) {
        const last = m.points[m.points.length - 1];
        ui.step.textContent = String(last.step);
        ui.gradNorm.textContent = fmt(last.gradNorm);
        ui.speed.textContent = `${m.stepsPerSec.toFixed(1)} steps/s · epoch ${m.epoch}`;
        lossReadout();
      }
      scheduleDraw();
      break;
    case 'val':
      val.step.push(m.step); val.bits.push(m.bits);
      lossReadout();
      scheduleDraw();
      break;
    case 'sample':
      // textContent: a sample is text, whatever characters the model learned from.
      ui.sample.textContent = m.prime + m.text;
      ui.sample.dataset.step = String(m.step);
      break;
    case 'spectrum':
      if (ui.matrix.value !== m.matrix && m.matrix) ui.matrix.value = m.matrix;
      drawEigenvalues(ui.spectrum, m.eigs);
      drawMatrix(weightsHeatmap, m.weights, m.size, m.size);
      weightsHeatmap.dataset.size = String(m.size);
      weightsHeatmap.setAttribute('aria-label', `Heatmap of ${m.label}, ${m.size}×${m.size}`);
      ui.spectrum.dataset.count = String(m.eigs.length);
      ui.spectrum.dataset.radius = String(m.radius);
      ui.radius.textContent = `${m.radius.toFixed(3)} (${m.label.split(':')[0]})`;
      if (rho.step[rho.step.length - 1] !== m.step || rho.step.length === 0) { rho.step.push(m.step); rho.value.push(m.radius); }
      scheduleDraw();
      break;
    case 'gradflow':
      gradflow = m.norms;
      ui.gradflow.dataset.steps = String(m.norms.length);
      ui.gradflowSummary.textContent = `${m.norms.length} steps; going back one step multiplies the gradient by ${m.perStep.toFixed(3)} on average`
        + ` (${m.perStep < 1 ? 'vanishing' : 'growing'} backwards)`;
      scheduleDraw();
      break;
    case 'inspect':
      inspection = m.data;
      showInspection();
      break;
    case 'file': {
      const url = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = m.name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setStatus(`Downloaded ${m.name} (${(m.bytes.byteLength / 1024).toFixed(0)} KB).`);
      break;
    }
    case 'cleared':
      if (pending) closeConfirm(); // Reset answers the question too
      inspected = inspection = null;
      unitViews.best.replaceChildren();
      keepRun();
      hasModel = false;
      loadedModel = false;
      trainable = true;
      clearViews();
      commit();
      inspector.reset(1);
      ui.modelInfo.textContent = 'none yet';
      ui.matrix.replaceChildren();
      break;
    case 'error':
      showError(m.message);
      break;
    case 'preview':
      ui.corpusPreview.textContent = m.text;
      ui.corpusSize.textContent = `(${m.chars.toLocaleString('en')} characters; the first ${[...m.text].length} shown)`;
      break;
    case 'diverged':
      running = false;
      showError(`${m.message}. Training stopped; the model is back at the weights of step ${m.keptStep}, the last good ones. ${divergenceHint(m.lr, m.clipNorm)}`);
      ui.error.dataset.kind = 'diverged';
      setStatus(`Diverged at step ${m.step}: stopped, the model of step ${m.keptStep} kept.`);
      break;
  }
  syncButtons();
};

worker.onerror = (e) => { showError(`the training worker failed: ${e.message || 'unknown error'}`); };

// ------------------------------------------------------------------------------------ controls
function guard(fn: () => void): () => void {
  return () => {
    try { showError(null); fn(); } catch (err) { showError(err instanceof Error ? err.message : String(err)); }
  };
}

function startTraining(): void {
  const c = corpus();
  if (c.id === 'custom' && c.text!.trim() === '') throw new Error('the text box is empty: paste or drop some text to train on');
  const s = settings();
  send({ type: 'start', corpus: c, settings: s });
  send({ type: 'sample', sampling: sampling() });
  writeUrl(s, c);
}
ui.train.addEventListener('click', guard(startTraining));
ui.pause.addEventListener('click', guard(() => send({ type: 'pause' })));
ui.reset.addEventListener('click', guard(() => send({ type: 'reset' })));

// ------------------------------------------------------------------ changes that need a new model
/** The controls that define the model and its text, and their values when the current model was made. */
const modelControls: (HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement)[] = [ui.cell, ui.activation, ui.hidden, ui.layers, ui.h0, ui.seed, ui.corpus, ui.corpusInput];
let committed: string[] = [];
function commit(): void { committed = modelControls.map((c) => c.value); }

/** Whether dropping the current model would lose something: trained steps or a loaded file. */
const worthKeeping = (): boolean => hasModel && (loadedModel || hist.step.length > 0);

/**
 * Do `then` (which drops the current model) at once when there is nothing to lose; else ask first,
 * without a modal dialog: start a new model, keep the current one (the controls go back to its
 * values), or download it first.
 */
function askNewModel(what: string, then: () => void): void {
  syncButtons();
  if (!worthKeeping()) { then(); return; }
  if (pending) return; // already asking (typing goes on in the text box)
  pending = then;
  ui.confirmText.textContent = `${what} needs a new model. The current one (${runLabel}, step ${ui.step.textContent}) would be dropped; its loss curve stays on the chart to compare.`;
  ui.confirm.hidden = false;
  syncButtons();
  ui.confirmNew.focus();
}

function closeConfirm(): void {
  pending = null;
  ui.confirm.hidden = true;
  syncButtons();
}

ui.confirmNew.addEventListener('click', guard(() => { const then = pending; closeConfirm(); then?.(); }));
ui.confirmKeep.addEventListener('click', guard(() => {
  modelControls.forEach((c, k) => { c.value = committed[k] ?? c.value; });
  closeConfirm();
  setStatus('Kept the current model; the controls show its settings again.');
}));
ui.confirmDownload.addEventListener('click', guard(() => send({ type: 'download' })));
ui.clearRuns.addEventListener('click', () => { runs.length = 0; showRuns(); });

const startOver = (): void => {
  send({ type: 'reset' });
  setStatus('Settings changed: press Train for a new model.');
};

/** Changing what the model is, or what it reads, starts over (after asking); a loaded model may take new text as it is. */
function restart(what: 'model' | 'corpus'): void {
  syncButtons();
  if (!hasModel) return;
  if (what === 'corpus' && loadedModel && !pending) {
    trainable = true;
    syncButtons();
    setStatus('Press Train to go on training the loaded model on this text (it must use only characters the model knows).');
    return;
  }
  askNewModel(what === 'corpus' ? 'Training on other text' : 'This setting', startOver);
}
for (const input of [ui.cell, ui.activation, ui.hidden, ui.layers, ui.h0, ui.seed]) input.addEventListener('change', guard(() => restart('model')));
ui.corpus.addEventListener('change', guard(() => restart('corpus')));
for (const input of [ui.seq, ui.batch, ui.optimizer, ui.lr, ui.clipNorm, ui.clipValue]) {
  input.addEventListener('change', guard(() => { if (hasModel) send({ type: 'train-settings', settings: trainSettings() }); }));
}

// Typing or pasting into the text box means "train on this".
ui.corpusInput.addEventListener('input', () => {
  if (ui.corpus.value !== 'custom') ui.corpus.value = 'custom';
  restart('corpus');
});

async function readText(file: File): Promise<void> {
  if (file.size > MAX_TEXT_BYTES) throw new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the playground takes text files up to ${MAX_TEXT_BYTES / 1e6} MB`);
  const text = decodeUtf8Strict(new Uint8Array(await file.arrayBuffer()));
  ui.corpusInput.value = text;
  ui.corpus.value = 'custom';
  restart('corpus');
  requestPreview();
  if (!pending) setStatus(`Loaded ${file.name}: ${text.length.toLocaleString('en')} characters. Press Train.`);
}
const onTextFile = (file: File | undefined): void => {
  if (!file) return;
  showError(null);
  readText(file).catch((err: unknown) => showError(`${file.name}: ${err instanceof Error ? err.message : String(err)}`));
};
ui.corpusFile.addEventListener('change', () => { onTextFile(ui.corpusFile.files?.[0]); ui.corpusFile.value = ''; });
ui.corpusInput.addEventListener('dragover', (e) => { e.preventDefault(); ui.corpusInput.classList.add('drop'); });
ui.corpusInput.addEventListener('dragleave', () => ui.corpusInput.classList.remove('drop'));
ui.corpusInput.addEventListener('drop', (e) => {
  ui.corpusInput.classList.remove('drop');
  const f = e.dataTransfer?.files[0];
  if (f) { e.preventDefault(); onTextFile(f); }
});

ui.temperature.addEventListener('input', () => { ui.temperatureValue.textContent = Number(ui.temperature.value).toFixed(2); });
for (const input of [ui.temperature, ui.prime, ui.sampleLength, ui.topK]) {
  input.addEventListener('change', guard(() => { if (hasModel) send({ type: 'sample', sampling: sampling() }); }));
}
ui.resample.addEventListener('click', guard(() => send({ type: 'sample', sampling: sampling() })));
ui.matrix.addEventListener('change', guard(() => send({ type: 'spectrum', matrix: ui.matrix.value })));

const inspectRequest = (): ToWorker => ({ type: 'inspect', text: ui.inspectInput.value.trim() === '' ? null : ui.inspectInput.value, layer: inspector.layer });
ui.inspect.addEventListener('click', guard(() => send(inspectRequest())));
$<HTMLSelectElement>('inspect-layer').addEventListener('change', guard(() => { if (hasModel) send(inspectRequest()); }));

ui.backendSelect.addEventListener('change', guard(() => {
  ready = false;
  syncButtons();
  send({ type: 'backend', choice: ui.backendSelect.value as BackendChoice });
  setStatus('Starting the kernels…');
}));

ui.download.addEventListener('click', guard(() => send({ type: 'download' })));
ui.upload.addEventListener('change', () => {
  const file = ui.upload.files?.[0];
  ui.upload.value = '';
  if (!file) return;
  showError(null);
  if (file.size > MAX_MODEL_BYTES) { showError(`${file.name} is too large for a playground model`); return; }
  file.arrayBuffer().then((bytes) => {
    askNewModel(`Loading ${file.name}`, guard(() => {
      send({ type: 'load', bytes, name: file.name, corpus: corpus(), settings: settings() }, [bytes]);
      setStatus(`Loading ${file.name}…`);
    }));
  }).catch((err: unknown) => showError(`${file.name}: ${err instanceof Error ? err.message : String(err)}`));
});

// ------------------------------------------------------------------------ presets, the address bar
/** Settings in the URL's query, by control: a link reproduces a setup (a pasted text is not part of it). */
const urlControls: Record<string, HTMLInputElement | HTMLSelectElement> = {
  corpus: ui.corpus, cell: ui.cell, activation: ui.activation, hidden: ui.hidden, layers: ui.layers, h0: ui.h0, seed: ui.seed,
  seq: ui.seq, batch: ui.batch, optimizer: ui.optimizer, lr: ui.lr, clip: ui.clipNorm, clipValue: ui.clipValue,
};

function writeUrl(s: Settings, c: CorpusChoice): void {
  const q = new URLSearchParams({
    corpus: c.id === 'custom' ? 'moby' : c.id, cell: s.cell, activation: s.activation, hidden: String(s.hidden), layers: String(s.layers),
    h0: s.h0, seed: String(s.seed), seq: String(s.seq), batch: String(s.batch), optimizer: s.optimizer, lr: String(s.lr),
    clip: String(s.clipNorm), clipValue: String(s.clipValue),
  });
  if (c.id === 'custom') q.delete('corpus');
  history.replaceState(null, '', `?${q}`);
}

/** Control values from the URL; a value a select does not offer is ignored, a bad number is refused at Train. */
function readUrl(): void {
  const q = new URLSearchParams(location.search);
  for (const [k, el] of Object.entries(urlControls)) {
    const v = q.get(k);
    if (v === null || (k === 'corpus' && v === 'custom')) continue;
    if (el instanceof HTMLSelectElement && ![...el.options].some((o) => o.value === v)) continue;
    el.value = v;
  }
}

interface Preset { values: Partial<Record<keyof typeof urlControls, string>>; note: string }
/** What every preset sets unless it says otherwise: one layer, Adam, clipping at norm 5. */
const PRESET_BASE: Preset['values'] = { corpus: 'moby', activation: 'tanh', layers: '1', batch: '16', optimizer: 'adam', clip: '5', clipValue: '0' };
const PRESETS: Record<string, Preset> = {
  charrnn: {
    values: { cell: 'lstm', hidden: '128', seq: '50', lr: '0.005' },
    note: 'Karpathy\'s char-rnn: after a minute the samples have words, punctuation and line breaks. Hover the text in "Inside the network" to see what single units track.',
  },
  vanishing: {
    values: { cell: 'elman', hidden: '64', seq: '100', lr: '0.003' },
    note: 'An Elman network over 100-character chunks. Watch the gradient flow: ‖∂L/∂h_t‖ shrinks fast going back in time. Then press "…vs LSTM": this curve stays on the loss chart.',
  },
  'vanishing-lstm': {
    values: { cell: 'lstm', hidden: '64', seq: '100', lr: '0.003' },
    note: 'The same run with an LSTM: its gradient flow stays much flatter (the cell state carries it), and its loss falls lower than the dashed Elman curve.',
  },
  names: {
    values: { corpus: 'names', cell: 'gru', hidden: '64', seq: '25', lr: '0.005' },
    note: 'A GRU on 8 000 first names, one per line: within a minute the samples are new names that sound real.',
  },
  exploding: {
    values: { cell: 'elman', hidden: '64', seq: '50', optimizer: 'sgd', lr: '5', clip: '0' },
    note: 'Plain SGD at a large rate with no clipping: the gradient norm explodes and training diverges. The page stops it, keeps the last good model and says what to change.',
  },
};

function applyPreset(name: string): void {
  const p = PRESETS[name];
  if (!p) return;
  const go = guard(() => {
    for (const [k, v] of Object.entries({ ...PRESET_BASE, ...p.values })) urlControls[k].value = v ?? urlControls[k].value;
    if (hasModel) send({ type: 'reset' });
    requestPreview();
    ui.presetNote.textContent = p.note;
    startTraining();
  });
  askNewModel('This preset', go);
}
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.addEventListener('click', () => applyPreset(b.dataset.preset!));

// The first screen shows the text the model will read (pasted text: once typing pauses).
let previewTimer: ReturnType<typeof setTimeout> | undefined;
function requestPreview(): void {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => send({ type: 'preview', corpus: corpus() }), 250);
}
ui.corpus.addEventListener('change', requestPreview);
ui.corpusInput.addEventListener('input', requestPreview);

window.addEventListener('resize', scheduleDraw);
readUrl();
requestPreview();
commit();
syncButtons();
draw();
setupSeq2SeqPanel();
