/**
 * The hidden-unit inspector, after Karpathy's "The Unreasonable Effectiveness of Recurrent Neural
 * Networks": a text with every character's background coloured by one hidden unit's activation after
 * reading it, a grid of all units (coloured by their activation at the character under the pointer),
 * and the model's top guesses for the next character at any position.
 *
 * Every character of user text goes into the page through textContent, one span per character: a
 * corpus or a sample can never become markup.
 */
import type { Inspection } from './protocol.js';

/** How a character is shown where whitespace would be invisible. */
export function visible(ch: string): string {
  if (ch === ' ') return '␣';
  if (ch === '\n') return '↵';
  if (ch === '\t') return '⇥';
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return ch;
}

const POSITIVE = [214, 70, 50] as const, NEGATIVE = [40, 120, 200] as const;

/** Diverging colour as numbers: red for positive, blue for negative, and its opacity (0 at 0). */
export function activationRgba(a: number): readonly [number, number, number, number] {
  const v = Math.max(-1, Math.min(1, a)), c = v >= 0 ? POSITIVE : NEGATIVE;
  return [c[0], c[1], c[2], Math.abs(v) * 0.85];
}

/** Diverging colour: blue for negative, red for positive, transparent at 0. */
export function activationColor(a: number): string {
  const [r, g, b, alpha] = activationRgba(a);
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
}

export interface InspectorElements {
  text: HTMLElement;
  grid: HTMLElement;
  unit: HTMLInputElement;
  layer: HTMLSelectElement;
  predictions: HTMLElement;
}

export class Inspector {
  private data: Inspection | null = null;
  private unit = 0;
  /** The unit under the pointer in the grid (previewed), or null. */
  private preview: number | null = null;
  /** Position whose predictions and unit grid are shown: the hovered character, else the clicked one. */
  private hover: number | null = null;
  private pinned: number | null = null;
  private chose = false;
  private spans: HTMLSpanElement[] = [];
  private cells: HTMLDivElement[] = [];
  /** Per unit: the scale that maps its activations into [−1, 1] (1 for bounded cells). */
  private scale = new Float32Array(0);

  constructor(private readonly el: InspectorElements) {
    el.text.addEventListener('mouseover', (e) => { const t = this.posOf(e.target); if (t !== null) { this.hover = t; this.refreshPosition(); } });
    el.text.addEventListener('mouseleave', () => { this.hover = null; this.refreshPosition(); });
    el.text.addEventListener('click', (e) => { const t = this.posOf(e.target); if (t !== null) { this.pinned = t; this.refreshPosition(); } });
    el.grid.addEventListener('mouseover', (e) => { const j = this.unitOf(e.target); if (j !== null) { this.preview = j; this.colourText(); } });
    el.grid.addEventListener('mouseleave', () => { this.preview = null; this.colourText(); });
    el.grid.addEventListener('click', (e) => { const j = this.unitOf(e.target); if (j !== null) this.setUnit(j); });
    // Keyboard: arrows move along the text (its predictions follow) and through the unit grid.
    el.text.tabIndex = 0;
    el.grid.tabIndex = 0;
    el.text.addEventListener('keydown', (e) => {
      const T = this.data?.chars.length ?? 0, at = this.pinned ?? this.hover ?? -1;
      const to = stepKey(e.key, at, T, 1);
      if (to === null) return;
      e.preventDefault();
      this.pinned = to;
      this.refreshPosition();
      this.spans[to]?.scrollIntoView({ block: 'nearest' });
    });
    el.grid.addEventListener('keydown', (e) => {
      const H = this.data?.H ?? 0, cell = this.cells[0];
      const gap = 2; // .unit-grid's gap
      const columns = cell ? Math.max(1, Math.floor((el.grid.clientWidth + gap) / (cell.offsetWidth + gap))) : 1;
      const to = stepKey(e.key, this.unit, H, columns);
      if (to === null) return;
      e.preventDefault();
      this.setUnit(to);
      el.grid.setAttribute('aria-label', `Hidden units: unit ${to} colours the text (arrow keys choose another)`);
    });
    el.unit.addEventListener('input', () => {
      const j = Number(el.unit.value);
      if (Number.isInteger(j) && this.data && j >= 0 && j < this.data.H) { this.chose = true; this.setUnit(j); }
    });
  }

  /** A new model: forget the chosen unit and position, list its layers. */
  reset(layers: number): void {
    this.data = null; this.chose = false; this.unit = 0; this.pinned = null; this.hover = null;
    this.el.text.replaceChildren(); this.el.grid.replaceChildren(); this.spans = []; this.cells = [];
    this.el.predictions.replaceChildren(hint('Hover or click a character.'));
    const keep = Math.min(Number(this.el.layer.value) || 0, layers - 1);
    this.el.layer.replaceChildren(...Array.from({ length: layers }, (_, l) => new Option(String(l + 1), String(l))));
    this.el.layer.value = String(Math.max(0, keep));
  }

  get layer(): number { return Number(this.el.layer.value) || 0; }

  show(data: Inspection): void {
    const H = data.H, T = data.chars.length;
    const prev = this.data, sameShape = prev !== null && prev.H === H;
    this.data = data;
    this.scale = new Float32Array(H);
    for (let j = 0; j < H; j++) {
      let m = 0;
      for (let t = 0; t < T; t++) m = Math.max(m, Math.abs(data.acts[t * H + j]));
      this.scale[j] = m > 1 ? m : 1; // tanh/sigmoid units are already in [−1, 1]; ReLU ones are scaled
    }
    if (!this.chose) this.unit = this.mostVaried();
    if (this.unit >= H) this.unit = 0;
    this.el.unit.max = String(H - 1);
    this.el.unit.value = String(this.unit);
    if (this.pinned !== null && this.pinned >= T) this.pinned = null;
    if (this.hover !== null && this.hover >= T) this.hover = null;

    // While training, the same text comes back every few seconds: keep its spans, only recolour them.
    const sameText = prev !== null && prev.dropped === data.dropped && prev.chars.length === T && prev.chars.every((ch, t) => ch === data.chars[t]);
    if (!sameText) {
      this.spans = data.chars.map((ch, t) => {
        const s = document.createElement('span');
        s.textContent = ch;
        s.dataset.t = String(t);
        return s;
      });
      this.el.text.replaceChildren(...this.spans);
      if (data.dropped > 0) this.el.text.append(hint(`(${data.dropped} character${data.dropped === 1 ? '' : 's'} the model does not know left out)`));
    }
    if (!sameShape || this.cells.length !== H) {
      this.cells = Array.from({ length: H }, (_, j) => {
        const c = document.createElement('div');
        c.dataset.unit = String(j);
        return c;
      });
      this.el.grid.replaceChildren(...this.cells);
    }
    this.colourText();
    this.refreshPosition();
  }

  setUnit(j: number): void {
    this.unit = j;
    this.chose = true;
    this.el.unit.value = String(j);
    this.colourText();
    this.refreshPosition();
  }

  /** The unit whose activation varies most over the text: usually a more telling start than unit 0. */
  private mostVaried(): number {
    const d = this.data!, H = d.H, T = d.chars.length;
    let best = 0, bestVar = -1;
    for (let j = 0; j < H; j++) {
      let s = 0, s2 = 0;
      for (let t = 0; t < T; t++) { const a = d.acts[t * H + j] / this.scale[j]; s += a; s2 += a * a; }
      const v = s2 / T - (s / T) ** 2;
      if (v > bestVar) { bestVar = v; best = j; }
    }
    return best;
  }

  private colourText(): void {
    const d = this.data;
    if (!d) return;
    const j = this.preview ?? this.unit, H = d.H;
    this.spans.forEach((s, t) => {
      const a = d.acts[t * H + j] / this.scale[j];
      s.style.backgroundColor = activationColor(a);
      s.title = `unit ${j}: ${a.toFixed(3)}`;
    });
    this.cells.forEach((c, k) => c.classList.toggle('selected', k === this.unit));
  }

  private refreshPosition(): void {
    const d = this.data;
    if (!d) return;
    const t = this.hover ?? this.pinned;
    this.spans.forEach((s, k) => s.classList.toggle('at', k === t));
    const H = d.H;
    this.cells.forEach((c, j) => {
      const a = t === null ? 0 : d.acts[t * H + j] / this.scale[j];
      c.style.backgroundColor = t === null ? '' : activationColor(a);
      c.title = t === null ? `unit ${j}` : `unit ${j}: ${a.toFixed(3)}`;
    });
    if (t === null) { this.el.predictions.replaceChildren(hint('Hover or click a character.')); return; }
    const context = d.chars.slice(Math.max(0, t - 15), t + 1).join('');
    const head = document.createElement('p');
    head.append('After “');
    const ctx = document.createElement('span');
    ctx.className = 'ctx';
    ctx.textContent = context.replace(/\n/g, '↵');
    head.append(ctx, '” the model expects:');
    const list = document.createElement('ol');
    const actual = d.chars[t + 1];
    for (let k = 0; k < d.k; k++) {
      const ch = d.topChars[t * d.k + k], p = d.topProbs[t * d.k + k];
      const li = document.createElement('li');
      if (ch === actual) li.className = 'actual';
      const c = document.createElement('span');
      c.className = 'ch';
      c.textContent = visible(ch);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      const pct = document.createElement('span');
      pct.className = 'pct';
      pct.textContent = `${(p * 100).toFixed(1)} %`;
      li.append(c, bar, pct);
      list.append(li);
    }
    const foot = hint(actual === undefined ? 'end of text' : `actual next character: ${visible(actual)}`);
    this.el.predictions.replaceChildren(head, list, foot);
  }

  private posOf(target: EventTarget | null): number | null {
    const t = target instanceof HTMLElement ? target.dataset.t : undefined;
    return t === undefined ? null : Number(t);
  }
  private unitOf(target: EventTarget | null): number | null {
    const u = target instanceof HTMLElement ? target.dataset.unit : undefined;
    return u === undefined ? null : Number(u);
  }
}

/** Where an arrow, Home or End key moves a position in [0, n) laid out `columns` wide (null: not such a key). */
function stepKey(key: string, at: number, n: number, columns: number): number | null {
  if (n === 0) return null;
  const moves: Record<string, number> = { ArrowLeft: at - 1, ArrowRight: at + 1, ArrowUp: at - columns, ArrowDown: at + columns, Home: 0, End: n - 1 };
  if (!(key in moves)) return null;
  if (columns === 1 && (key === 'ArrowUp' || key === 'ArrowDown')) return null;
  return Math.max(0, Math.min(n - 1, moves[key]));
}

function hint(text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = 'hint';
  p.textContent = text;
  return p;
}
