/**
 * The training Web Worker: owns the Session, trains in slices of a few tens of milliseconds (so that
 * pause, settings and requests are handled between slices) and sends the page what to draw. The
 * probes (sample, validation, spectrum, gradient flow, inspector) run on their own timers, each
 * spaced by at least several times its own cost so that training keeps most of the time.
 */
import { mobyDick, names } from 'virtual:recur-corpora';
import type { Backend } from '../../src/kernels/backend.js';
import { pickBackend, releaseBackend, threadsOf } from './backend.js';
import { customText, namesText } from './corpus.js';
import type { BackendChoice, CorpusChoice, FromWorker, Sampling, Settings, StepPoint, ToWorker, TrainSettings } from './protocol.js';
import { TrainingDiverged } from '../../src/train/loop.js';
import { Session } from './session.js';

const scope = self as unknown as {
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};
const post = (msg: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(msg, transfer);
/** One line, whatever was thrown. */
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

const SLICE_MS = 40;
/** Characters of a corpus the first screen shows. */
const PREVIEW_CHARS = 600;

interface Probe { period: number; next: number; run: () => void }

let choice: BackendChoice = 'auto';
/** A backend made ahead for the next model (at startup, so that the page can say which it is), and the current model's. */
let spare: Backend | null = null;
let backend: Backend | null = null;
let session: Session | null = null;
let corpusKey = '';
let running = false;
let sampling: Sampling = { temperature: 0.8, prime: '', length: 400, topK: 0 };
let inspectReq: { text: string | null; layer: number } = { text: null, layer: 0 };
let spectrumMatrix = '';
let stepsAtMark = 0;
let markTime = 0;

function corpusText(c: CorpusChoice, seed: number): { text: string; source: string } {
  if (c.id === 'moby') return { text: mobyDick, source: 'playground: Moby Dick excerpt' };
  if (c.id === 'names') return { text: namesText(names, seed), source: 'playground: first names' };
  return { text: customText(c.text ?? ''), source: 'playground: your text' };
}

const key = (c: CorpusChoice): string => (c.id === 'custom' ? `custom:${c.text ?? ''}` : c.id);

// ------------------------------------------------------------------------------------------ probes
function sendSample(): void {
  if (!session) return;
  const { temperature, prime, length, topK } = sampling;
  let text: string;
  try {
    text = session.sample(temperature, length, { prime, topK });
  } catch (e) {
    if (!prime) throw e;
    throw new Error(`the prime cannot be used: ${message(e)}`);
  }
  // a lines model repeats the prime at the start of every line it returns
  post({ type: 'sample', text, prime: session.task.mode === 'lines' ? '' : prime, temperature, step: session.step });
}
function sendVal(): void {
  if (!session) return;
  const bits = session.validate();
  if (bits !== null) post({ type: 'val', step: session.step, bits });
}
function sendSpectrum(): void {
  if (!session) return;
  const s = session.spectrum(spectrumMatrix);
  post({ type: 'spectrum', step: session.step, matrix: spectrumMatrix, label: s.label, eigs: s.eigs, radius: s.radius, weights: s.weights, size: session.model.config.hidden },
    [s.weights.buffer]);
}
function sendGradFlow(): void {
  const g = session?.gradFlow();
  if (g && session) post({ type: 'gradflow', step: session.step, norms: g.norms, perStep: g.perStep, layer: g.layer });
}
function sendInspect(): void {
  if (!session) return;
  const data = session.inspect(inspectReq.text, inspectReq.layer);
  post({ type: 'inspect', data }, [data.acts.buffer, data.topProbs.buffer, ...(data.gates ? [data.gates.values.buffer] : [])]);
}

const probes: Probe[] = [
  { period: 700, next: 0, run: sendSample },
  { period: 1500, next: 0, run: sendVal },
  { period: 600, next: 0, run: sendSpectrum },
  { period: 1200, next: 0, run: sendGradFlow },
  { period: 2500, next: 0, run: sendInspect },
];

function runProbes(now: number, all: boolean): void {
  for (const p of probes) {
    if (!all && now < p.next) continue;
    const t0 = performance.now();
    p.run();
    const cost = performance.now() - t0;
    // At least 8× its own cost apart, so a big model does not spend its time on diagnostics.
    p.next = performance.now() + Math.max(p.period, 8 * cost);
  }
}

/** Everything at once (after load, pause, or a new model), each guarded so one failure does not hide the rest. */
function refreshAll(): void {
  for (const p of probes) {
    try { p.run(); } catch (e) { post({ type: 'error', message: message(e) }); }
  }
}

// -------------------------------------------------------------------------------------- training
function loop(): void {
  if (!running || !session) return;
  const t0 = performance.now();
  const points: StepPoint[] = [];
  try {
    do points.push(session.trainStep()); while (performance.now() - t0 < SLICE_MS);
    const now = performance.now();
    const rate = (session.step - stepsAtMark) / Math.max(1e-3, (now - markTime) / 1000);
    if (now - markTime > 2000) { stepsAtMark = session.step; markTime = now; }
    post({ type: 'progress', points, stepsPerSec: rate, epoch: session.epoch });
    runProbes(now, false);
  } catch (e) {
    if (points.length) post({ type: 'progress', points, stepsPerSec: 0, epoch: session.epoch });
    running = false;
    post({ type: 'state', running, step: session.step });
    if (e instanceof TrainingDiverged) {
      const t = session.trainSettings;
      post({ type: 'diverged', message: message(e), step: e.step, keptStep: e.keptStep, lr: t.lr, clipNorm: t.clipNorm });
      refreshAll(); // the probes show the model that was kept
    } else post({ type: 'error', message: `training stopped: ${message(e)}` });
    return;
  }
  setTimeout(loop, 0);
}

/** Tell the page about the model; its settings are the page's, overridden by what the model itself is. */
function announce(page: Settings, loaded?: { name: string; resumed: boolean; trainable: boolean }): void {
  const s = session!, info = s.info(), c = s.model.config;
  if (!info.matrices.some((m) => m.id === spectrumMatrix)) spectrumMatrix = info.matrices[0]?.id ?? '';
  const settings: Settings = {
    ...page, ...s.trainSettings, cell: c.cell, hidden: c.hidden, layers: c.layers, h0: c.h0,
    activation: (['tanh', 'relu', 'sigmoid'].includes(c.activation) ? c.activation : page.activation) as Settings['activation'],
  };
  post({ type: 'model', info, settings, ...(loaded ? { loaded } : {}) });
}

/** Make the spare backend and tell the page what it is. */
async function prepare(): Promise<void> {
  const { backend: be, note } = await pickBackend(choice);
  releaseBackend(spare);
  spare = be;
  post({ type: 'ready', backend: be.name, threads: threadsOf(be), isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, note });
}

/** A backend for a new model: the spare one, or a new one when that is taken. */
async function takeBackend(): Promise<Backend> {
  if (!spare) await prepare();
  const be = spare!;
  spare = null;
  return be;
}

/** Drop the current model and its backend. */
function discard(): void {
  running = false;
  session = null;
  corpusKey = '';
  releaseBackend(backend);
  backend = null;
}

async function start(corpus: CorpusChoice, settings: Settings): Promise<void> {
  const k = key(corpus);
  if (!session) {
    const { text, source } = corpusText(corpus, settings.seed);
    const be = await takeBackend();
    try {
      session = Session.create(text, source, settings, be);
    } catch (e) {
      spare = be; // unused: keep it for the next try
      throw e;
    }
    backend = be;
    corpusKey = k;
    announce(settings);
  } else if (!session.hasCorpus || corpusKey !== k) {
    // A loaded model trains on the chosen corpus if it can read every character of it (and continues
    // its recorded run exactly when that was on this very text).
    if (session.attach(corpusText(corpus, settings.seed).text)) announce(settings);
    else session.setTrainSettings(settings);
    corpusKey = k;
  }
  running = true;
  stepsAtMark = session.step;
  markTime = performance.now();
  for (const p of probes) p.next = performance.now() + (p.run === sendSample ? 300 : p.period / 2);
  post({ type: 'state', running, step: session.step });
  setTimeout(loop, 0);
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'backend':
      discard();
      choice = msg.choice;
      post({ type: 'cleared' });
      post({ type: 'state', running, step: 0 });
      await prepare();
      return;
    case 'start':
      if (!running) await start(msg.corpus, msg.settings);
      return;
    case 'pause':
      running = false;
      if (session) { post({ type: 'state', running, step: session.step }); refreshAll(); }
      return;
    case 'reset':
      discard();
      post({ type: 'cleared' });
      post({ type: 'state', running, step: 0 });
      return;
    case 'train-settings':
      session?.setTrainSettings(msg.settings as TrainSettings);
      return;
    case 'sample':
      sampling = { ...msg.sampling };
      sendSample();
      return;
    case 'inspect':
      inspectReq = { text: msg.text, layer: msg.layer };
      sendInspect();
      return;
    case 'preview': {
      const { text } = corpusText(msg.corpus, 1);
      post({ type: 'preview', text: text.slice(0, PREVIEW_CHARS), chars: text.length });
      return;
    }
    case 'spectrum':
      spectrumMatrix = msg.matrix;
      sendSpectrum();
      return;
    case 'download': {
      if (!session) throw new Error('there is no model to download yet: train one or load a file');
      const bytes = session.encode();
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      post({ type: 'file', bytes: buf, name: `recur-${session.model.config.cell.replace('+', '-')}-h${session.model.config.hidden}-step${session.step}.safetensors` }, [buf]);
      return;
    }
    case 'load': {
      // Validate and build first: a bad file leaves the current model untouched.
      const be = await takeBackend();
      let loaded: Session;
      try {
        loaded = Session.load(new Uint8Array(msg.bytes), be, msg.settings, msg.settings.seed);
      } catch (e) {
        spare = be;
        throw new Error(`${msg.name}: ${message(e)}`);
      }
      discard();
      session = loaded;
      backend = be;
      let resumed = false, trainable = false;
      try {
        resumed = loaded.attach(corpusText(msg.corpus, msg.settings.seed).text);
        trainable = true;
        corpusKey = key(msg.corpus);
      } catch { /* the model's vocabulary does not cover this corpus: it can still sample and be inspected */ }
      announce(msg.settings, { name: msg.name, resumed, trainable });
      post({ type: 'state', running, step: loaded.step });
      refreshAll();
      return;
    }
  }
}

// Messages are handled one at a time, in order, even when one has to wait (for a backend to start).
let queue: Promise<void> = prepare().catch((e) => post({ type: 'error', message: message(e) }));
scope.onmessage = (e) => {
  queue = queue.then(() => handle(e.data)).catch((err) => post({ type: 'error', message: message(err) }));
};
