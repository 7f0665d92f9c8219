/**
 * Conformance cases built from the kernel table (src/kernels/table.ts): for each kernel, shapes (zero and
 * odd sizes, batch 1, sizes above the thread thresholds), offsets into larger buffers, leading dimensions
 * wider than the rows, masks with held rows or null, ids with negatives and repeats, and the declared
 * in-place aliasing. A case is plain data; `runCase` replays it on any backend.
 */
import type { Activation, Backend, Buf } from '../../src/kernels/backend.js';
import type { BufferOperand, KernelSpec, MatrixExtent } from '../../src/kernels/table.js';
import { Rng } from '../../src/util/rng.js';

// ------------------------------------------------------------------------------- extent expressions

type Scope = Record<string, number | boolean>;

/** Evaluates the table's expression subset (numbers, names, * / + -, comparisons, && ||, ?:, parentheses). */
export function evaluate(expr: string, scope: Scope): number {
  const tokens = expr.match(/\d+(\.\d+)?|[A-Za-z_]\w*|<=|>=|==|&&|\|\||[-+*/<>?:()]/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (t?: string): string => {
    const tok = tokens[i++];
    if (t !== undefined && tok !== t) throw new Error(`'${expr}': expected ${t}, got ${tok}`);
    return tok;
  };
  const num = (v: number | boolean): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  const binary = (ops: string[], next: () => number, apply: (op: string, a: number, b: number) => number) => (): number => {
    let a = next();
    while (ops.includes(peek() ?? '')) {
      const op = take();
      a = apply(op, a, next());
    }
    return a;
  };
  const primary = (): number => {
    const t = take();
    if (t === '(') {
      const v = ternary();
      take(')');
      return v;
    }
    if (t === '-') return -primary();
    if (/^\d/.test(t)) return Number(t);
    if (!(t in scope)) throw new Error(`'${expr}': unknown name ${t}`);
    return num(scope[t]);
  };
  const mul = binary(['*', '/'], primary, (op, a, b) => (op === '*' ? a * b : a / b));
  const add = binary(['+', '-'], mul, (op, a, b) => (op === '+' ? a + b : a - b));
  const cmp = binary(['<', '<=', '>', '>=', '=='], add, (op, a, b) =>
    Number(op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b));
  const and = binary(['&&'], cmp, (_, a, b) => Number(a !== 0 && b !== 0));
  const or = binary(['||'], and, (_, a, b) => Number(a !== 0 || b !== 0));
  function ternary(): number {
    const c = or();
    if (peek() !== '?') return c;
    take('?');
    const a = ternary();
    take(':');
    const b = ternary();
    return c !== 0 ? a : b;
  }
  const v = ternary();
  if (i !== tokens.length) throw new Error(`'${expr}': unexpected ${tokens[i]}`);
  return v;
}

const matrixExtent = (m: MatrixExtent, s: Scope): number => {
  const rows = evaluate(m.rows, s), cols = evaluate(m.cols, s);
  return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * evaluate(m.ld, s) + cols;
};

/** Elements of `o` the kernel touches from its offset (for 'whole' buffers: the whole table of ROWS_OF rows). */
export function extentOf(o: BufferOperand, s: Scope): number {
  if (o.extent === 'whole') return 0;
  return typeof o.extent === 'string' ? evaluate(o.extent, s) : matrixExtent(o.extent, s);
}

// ---------------------------------------------------------------------------------------------- cases

/** Rows of a gather/scatter table (ids range over them). */
const TABLE_ROWS = 7;
const ACTIVATIONS: Activation[] = ['tanh', 'sigmoid', 'relu', 'identity'];

export interface BufferValue { data: Float32Array | null; off: number; alias?: string }
export interface Case {
  label: string;
  /** Every operand's value: numbers, booleans, activations, buffers, ids. */
  scalars: Record<string, number | boolean | Activation>;
  buffers: Record<string, BufferValue>;
  ids: Record<string, { data: Int32Array; off: number }>;
  /** Whether the case is sized above the wasm threshold (and the native ones) so that 2 threads split it. */
  big: boolean;
}

/** Count values of the shape cases, in operand order (extra counts take the last value). */
const SHAPES: number[][] = [[1, 1, 1], [3, 5, 7], [17, 4, 33], [5, 33, 2], [2, 70, 9]];
/** More gemm shapes: every GEMM path at vector widths 16, 8 and 4 (dot, broadcast, packed B, row and depth blocks). */
const GEMM_SHAPES: number[][] = [[1, 37, 19], [3, 50, 300], [8, 33, 17], [16, 33, 17], [33, 70, 130], [65, 45, 33], [130, 70, 300], [9, 300, 7]];

function counts(k: KernelSpec): string[] {
  return k.operands.filter((o) => o.kind === 'count').map((o) => o.name);
}

const product = (k: KernelSpec, s: Scope): number => counts(k).reduce((p, c) => p * (s[c] as number), 1);

function shapeScopes(k: KernelSpec): { scope: Scope; big: boolean }[] {
  const names = counts(k);
  const assign = (vals: number[]): Scope => Object.fromEntries(names.map((c, i) => [c, vals[Math.min(i, vals.length - 1)]]));
  const shapes = [...SHAPES, ...(k.name === 'gemm' ? GEMM_SHAPES : [])].map((v) => ({ scope: assign(v), big: false }));
  // each count zero in turn
  for (const c of names) shapes.push({ scope: { ...assign([3, 5, 7]), [c]: 0 }, big: false });
  // large enough to be split by every backend's threads (wasm: the table's threshold; native: ≥ 70000 elements)
  let vals = names.map((_, i) => [9, 13, 11][i % 3]);
  while (product(k, assign(vals)) < 70000 || (k.threads && evaluate(k.threads.work, assign(vals)) < k.threads.threshold)) {
    vals = vals.map((v) => 2 * v + 1);
  }
  shapes.push({ scope: assign(vals), big: true });
  return shapes;
}

function fillBuffer(rng: Rng, n: number, fill: BufferOperand['fill']): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = fill === 'mask' ? (i === 1 || rng.next() < 0.3 ? 0 : 1) : fill === 'positive' ? rng.next() : rng.uniform(-1, 1);
  }
  return a;
}

/** The cases of one kernel: each shape in a few variants (scalar values, bools, activations, null operands). */
export function kernelCases(k: KernelSpec, seed = 1): Case[] {
  const rng = new Rng(seed);
  const out: Case[] = [];
  const hasAct = k.operands.some((o) => o.kind === 'activation');
  const variants = hasAct ? 4 : 2;
  shapeScopes(k).forEach(({ scope: shape, big }, si) => {
    for (let v = 0; v < (big ? 1 : variants); v++) {
      const scalars: Case['scalars'] = {};
      const scope: Scope = { ...shape };
      for (const o of k.operands) {
        if (o.kind === 'bool') scope[o.name] = scalars[o.name] = ((v + si) & 1) === 1;
        else if (o.kind === 'float' || o.kind === 'int') scope[o.name] = scalars[o.name] = (o.values ?? [0.5])[(v + si) % (o.values?.length ?? 1)];
        else if (o.kind === 'activation') scalars[o.name] = ACTIVATIONS[v];
        else if (o.kind === 'count') scalars[o.name] = shape[o.name] as number;
      }
      // leading dimensions: as narrow as allowed in one variant, wider in the other
      for (const o of k.operands) {
        if (o.kind === 'ld') scope[o.name] = scalars[o.name] = evaluate(o.atLeast!, scope) + (v === 0 ? 3 : 0);
      }
      const buffers: Case['buffers'] = {};
      for (const o of k.operands) {
        if (o.kind !== 'buffer') continue;
        if (o.nullable && v === 1) {
          buffers[o.name] = { data: null, off: 0 };
          continue;
        }
        const off = o.offset === false ? 0 : 1 + rng.int(5);
        const n = o.extent === 'whole' ? TABLE_ROWS * (scope.dim as number) : off + extentOf(o, scope) + 3;
        buffers[o.name] = { data: fillBuffer(rng, n, o.fill), off };
      }
      const ids: Case['ids'] = {};
      for (const o of k.operands) {
        if (o.kind !== 'ids') continue;
        const n = evaluate(o.count, scope), below = typeof o.below === 'string' ? evaluate(o.below, scope) : TABLE_ROWS;
        const off = 2;
        const data = Int32Array.from({ length: off + n + 1 }, () => -1 + rng.int(below + 1));
        ids[o.name] = { data, off };
      }
      const label = `${Object.entries(shape).map(([c, x]) => `${c}=${x}`).join(' ')} v${v}`;
      out.push({ label, scalars, buffers, ids, big });
    }
  });
  // the declared in-place pairs, on a mid-sized shape with every nullable operand present
  for (const [outName, inName] of k.inPlace ?? []) {
    const base = out.find((c) => !c.big && Object.values(c.buffers).every((b) => b.data) && (c.scalars.B ?? c.scalars.n) === 17)
      ?? out.find((c) => !c.big && Object.values(c.buffers).every((b) => b.data))!;
    const buffers = { ...base.buffers, [outName]: { data: null, off: base.buffers[inName].off, alias: inName } };
    out.push({ ...base, label: `${base.label}, ${outName} in place of ${inName}`, buffers });
  }
  return out;
}

/** Runs a case on `be` with fresh copies of its inputs in `be`'s memory; returns every buffer after the call and the result. */
export function runCase(be: Backend, k: KernelSpec, c: Case): { bufs: Record<string, Float32Array | null>; result: number | void } {
  const local: Record<string, Buf | null> = {};
  for (const [name, b] of Object.entries(c.buffers)) {
    if (b.alias || !b.data) continue;
    const a = be.alloc(b.data.length);
    a.set(b.data);
    local[name] = a;
  }
  for (const [name, b] of Object.entries(c.buffers)) local[name] = b.alias ? local[b.alias] : b.data ? local[name] : null;
  const args: unknown[] = [];
  for (const o of k.operands) {
    if (o.kind === 'buffer') {
      args.push(local[o.name]);
      if (o.offset !== false) args.push(c.buffers[o.name].off);
    } else if (o.kind === 'ids') args.push(c.ids[o.name].data, c.ids[o.name].off);
    else args.push(c.scalars[o.name]);
  }
  const result = (be as unknown as Record<string, (...a: unknown[]) => number | void>)[k.name](...args);
  const bufs: Record<string, Float32Array | null> = {};
  for (const [name, b] of Object.entries(local)) bufs[name] = b ? Float32Array.from(b) : null;
  for (const b of new Set(Object.values(local))) if (b && b.length) be.free(b);
  return { bufs, result };
}
