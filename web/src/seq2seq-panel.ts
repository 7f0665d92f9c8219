/**
 * The seq2seq panel of the page: task and size controls, start/stop, the loss and held-out scores,
 * an input box, the greedy output and the attention heatmap (an SVG grid: input along x, output
 * along y, each cell's weight in data-weight). Training runs in its own worker (seq2seq-worker.ts).
 */
import type { FromSeq2SeqWorker, Seq2SeqSettingsMsg, ToSeq2SeqWorker } from './protocol.js';

const SVG = 'http://www.w3.org/2000/svg';
const CELL = 22, LABEL = 18;

function el<T extends Element>(id: string): T {
  const e = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!e) throw new Error(`the page lacks ${id}`);
  return e;
}

/** The heatmap of `attention` [output × input] into `host` (replacing what was there). */
export function drawAttention(host: Element, input: string[], output: string[], attention: Float32Array | null): void {
  host.replaceChildren();
  if (!attention || output.length === 0) return;
  const S = input.length, T = output.length;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(LABEL + S * CELL));
  svg.setAttribute('height', String(LABEL + T * CELL));
  svg.setAttribute('data-rows', String(T));
  svg.setAttribute('data-cols', String(S));
  const text = (x: number, y: number, s: string, cls: string): void => {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(x)); t.setAttribute('y', String(y));
    t.setAttribute('text-anchor', 'middle'); t.setAttribute('font-size', '12'); t.setAttribute('class', cls);
    t.textContent = s; // text nodes: user input is never parsed as markup
    svg.append(t);
  };
  input.forEach((c, s) => text(LABEL + s * CELL + CELL / 2, 13, c, 's2s-src-label'));
  output.forEach((c, t) => text(LABEL / 2, LABEL + t * CELL + CELL / 2 + 4, c, 's2s-out-label'));
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++) {
      const w = attention[t * S + s];
      const r = document.createElementNS(SVG, 'rect');
      r.setAttribute('x', String(LABEL + s * CELL)); r.setAttribute('y', String(LABEL + t * CELL));
      r.setAttribute('width', String(CELL - 1)); r.setAttribute('height', String(CELL - 1));
      r.setAttribute('fill', `rgba(37, 99, 235, ${Math.max(0.03, Math.min(1, w)).toFixed(3)})`);
      r.setAttribute('data-testid', 's2s-cell');
      r.setAttribute('data-row', String(t)); r.setAttribute('data-col', String(s)); r.setAttribute('data-weight', w.toFixed(5));
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${output[t]} ← ${input[s]}: ${w.toFixed(3)}`;
      r.append(title);
      svg.append(r);
    }
  }
  host.append(svg);
}

export function setupSeq2SeqPanel(): void {
  const ui = {
    task: el<HTMLSelectElement>('s2s-task'), length: el<HTMLInputElement>('s2s-length'), hidden: el<HTMLInputElement>('s2s-hidden'),
    train: el<HTMLButtonElement>('s2s-train'), reset: el<HTMLButtonElement>('s2s-reset'), step: el('s2s-step'), loss: el('s2s-loss'),
    exact: el('s2s-exact'), tokens: el('s2s-tokens'), error: el<HTMLElement>('s2s-error'), input: el<HTMLInputElement>('s2s-input'),
    output: el('s2s-output'), attention: el('s2s-attention'),
  };
  let worker: Worker | null = null, running = false, hasModel = false;
  const showError = (m: string | null): void => { ui.error.textContent = m ?? ''; ui.error.hidden = !m; };
  const sync = (): void => {
    ui.train.textContent = running ? 'Stop' : hasModel ? 'Resume' : 'Train';
    for (const c of [ui.task, ui.length, ui.hidden]) c.disabled = hasModel;
  };
  const send = (m: ToSeq2SeqWorker): void => { ensure().postMessage(m); };
  function ensure(): Worker {
    if (worker) return worker;
    worker = new Worker(new URL('./seq2seq-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromSeq2SeqWorker>) => {
      const m = e.data;
      switch (m.type) {
        case 'state': running = m.running; hasModel = m.step > 0 || m.running; ui.step.textContent = String(m.step); sync(); return;
        case 'progress': ui.step.textContent = String(m.step); ui.loss.textContent = m.loss.toFixed(3); return;
        case 'score': ui.exact.textContent = m.exact.toFixed(3); ui.tokens.textContent = m.tokenAccuracy.toFixed(3); return;
        case 'translation':
          showError(null);
          ui.output.textContent = m.output.join('');
          drawAttention(ui.attention, m.input, m.output, m.attention);
          return;
        case 'error': showError(m.message); return;
      }
    };
    worker.onerror = (e) => showError(`the seq2seq worker failed: ${e.message || 'unknown error'}`);
    return worker;
  }
  const settings = (): Seq2SeqSettingsMsg => ({
    task: ui.task.value, length: Number(ui.length.value), hidden: Number(ui.hidden.value), batch: 32, lr: 0.01, seed: 1,
  });
  const defaults: Record<string, string> = { reverse: 'abcde', sort: 'dbeca', addition: '12+34', dates: 'March 3, 2001' };
  ui.task.addEventListener('change', () => { ui.input.value = defaults[ui.task.value] ?? ''; });
  ui.train.addEventListener('click', () => {
    showError(null);
    if (running) send({ type: 'stop' });
    else { send({ type: 'translate', text: ui.input.value }); send({ type: 'start', settings: settings() }); }
  });
  ui.reset.addEventListener('click', () => {
    send({ type: 'reset' });
    hasModel = false; running = false;
    ui.step.textContent = '0'; ui.loss.textContent = ui.exact.textContent = ui.tokens.textContent = '–';
    ui.output.textContent = ''; ui.attention.replaceChildren();
    sync();
  });
  ui.input.addEventListener('input', () => { if (worker) send({ type: 'translate', text: ui.input.value }); });
  sync();
}
