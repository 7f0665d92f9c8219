/**
 * The kernel table: every kernel of the Backend interface declared once, as data. tools/gen-kernels.ts writes
 * from it the interface's kernel methods (kernels.generated.ts), the wasm backend's wrappers and export
 * signatures, the native backend's forwarding methods and the addon's N-API entry points with their argument
 * checks; test/kernels/conformance.test.ts runs every built backend against the JS reference from it.
 * Adding a kernel = an entry here + the JS reference (js.ts) + AssemblyScript (wasm/assembly) + C++
 * (native/kernels_impl.h), then `npm run gen:kernels`.
 *
 * Operands are listed in call order. A float buffer operand is a (buffer, offset) pair in TypeScript and one
 * pointer in AssemblyScript and C++; its extent (elements touched from the offset) is an expression over the
 * scalars, written in the subset of syntax TypeScript and C++ share (`* + - ?: < <= == && ||`), so both
 * backends check the very same bound (test/kernels/cases.ts evaluates them to build the conformance cases).
 */

/** count: a non-negative integer size; int: any integer; ld: a leading dimension (≥ `atLeast` when rows > 1). */
export type ScalarKind = 'count' | 'int' | 'ld' | 'float' | 'bool' | 'activation';
/** read: input; write: output, overwritten; readwrite: updated in place; accumulate: output, added into. */
export type Access = 'read' | 'write' | 'readwrite' | 'accumulate';

export interface ScalarOperand {
  kind: ScalarKind;
  name: string;
  /** ld only: the row length it must be at least. */
  atLeast?: string;
  /** Values the conformance suite tries (floats and ints; counts get shapes, bools both, activations all). */
  values?: readonly number[];
}

/** rows×cols with leading dimension ld (row-major). */
export interface MatrixExtent { rows: string; cols: string; ld: string }

export interface BufferOperand {
  kind: 'buffer';
  name: string;
  access: Access;
  /** Elements from the offset: a count expression, a matrix, or 'whole' (the buffer is addressed by ids). */
  extent: string | MatrixExtent | 'whole';
  /** false: the buffer is passed alone, addressed from element 0 (optimizer state, gather tables). */
  offset?: boolean;
  /** null is allowed (no mask, no gradient wanted). */
  nullable?: boolean;
  /** What the conformance suite fills it with: a 0/1 mask, values ≥ 0 (second moments), or anything. */
  fill?: 'mask' | 'positive' | 'any';
}

/** Int32 ids (token ids, targets), copied from any Int32Array; negative ids mean "none" and are allowed. */
export interface IdsOperand {
  kind: 'ids';
  name: string;
  count: string;
  /** Every id must be below this: an expression, or the number of `width`-wide rows of buffer `rowsOf`. */
  below: string | { rowsOf: string; width: string };
}

export type Operand = ScalarOperand | BufferOperand | IdsOperand;

/**
 * Extra memory the wasm wrapper hands its export, after the operands: gemm's packing scratch and chunk
 * cursors, Wᵀ for many-column gathers, or one f64 partial sum per row/block that the wrapper adds up
 * afterwards (what a kernel threads share returns).
 */
export type WasmScratch =
  | { kind: 'gemm' }
  | { kind: 'transpose'; rows: string; cols: string; n: string }
  /** count: an expression of the wasm wrapper (TypeScript only; it may read the backend's fields). */
  | { kind: 'partials'; count: string };

export interface KernelSpec {
  name: string;
  /** The doc comment of the interface method (lines, without the comment markers). */
  doc: string[];
  /** Section of the interface it is listed under. */
  group: string;
  operands: readonly Operand[];
  returns: 'void' | 'f64';
  /**
   * Kernels whose calls the wasm backend may split across its worker threads (their exports take `part, nparts`
   * last): the work of a call, and the work from which it is split. The native backend splits inside its
   * kernels (kernels_impl.h), with its own measured thresholds.
   */
  threads?: { work: string; threshold: number };
  /** The call touches nothing when this holds (the native entry points skip the kernel then). */
  empty?: string;
  /** Output operands that may be the same memory as an input (same buffer, same offset): [output, input]. */
  inPlace?: readonly (readonly [string, string])[];
  wasmScratch?: WasmScratch;
}

// ------------------------------------------------------------------------------------------- operand helpers

const count = (name: string): ScalarOperand => ({ kind: 'count', name });
const float = (name: string, values: readonly number[]): ScalarOperand => ({ kind: 'float', name, values });
const bool = (name: string): ScalarOperand => ({ kind: 'bool', name });
const ld = (name: string, atLeast: string): ScalarOperand => ({ kind: 'ld', name, atLeast });
const act = (name: string): ScalarOperand => ({ kind: 'activation', name });
const buf = (name: string, access: Access, extent: BufferOperand['extent'], more: Partial<BufferOperand> = {}): BufferOperand =>
  ({ kind: 'buffer', name, access, extent, ...more });
const mask = (rows: string): BufferOperand => buf('mask', 'read', rows, { nullable: true, fill: 'mask' });
const ids = (name: string, n: string, below: IdsOperand['below']): IdsOperand => ({ kind: 'ids', name, count: n, below });
/** An optimizer's per-parameter buffer: whole flat buffers, no offsets. */
const state = (name: string, access: Access, more: Partial<BufferOperand> = {}): BufferOperand =>
  buf(name, access, 'n', { offset: false, ...more });

// Work from which the wasm backend splits a call across threads: handing less over costs more than it saves.
const PARALLEL_GEMM_FLOPS = 1 << 20;
/** …except a matrix-vector product with a weight this large (an LSTM-256's 1024×256 W_hh, when sampling). */
const PARALLEL_MATVEC_ELEMS = 1 << 17;
const PARALLEL_STEP_ELEMS = 4096;
const PARALLEL_ROW_ELEMS = 16384;
const PARALLEL_VECTOR_ELEMS = 1 << 16;

const step = { work: 'B * H', threshold: PARALLEL_STEP_ELEMS };
const vector = { work: 'n', threshold: PARALLEL_VECTOR_ELEMS };
const lrs = [0.1, 0.01];

// ------------------------------------------------------------------------------------------------ the table

/** A fused recurrent step kernel over a [B×H] batch, split by rows (operands after B and H). */
function fusedStep(name: string, doc: string[], operands: Operand[], inPlace?: KernelSpec['inPlace']): KernelSpec {
  return { name, doc, group: 'fused recurrent steps', returns: 'void', operands: [count('B'), count('H'), ...operands], threads: step,
    empty: 'B * H == 0', ...(inPlace ? { inPlace } : {}) };
}
/** Both backward halves: hPrev, the cache, the incoming gradient, then dxg and dhPrev. */
const resetGruBackOperands = (grad: string): Operand[] => [buf('hPrev', 'read', 'B * H'), buf('cache', 'read', '3 * B * H'),
  buf(grad, 'read', 'B * H'), buf('dxg', 'readwrite', '3 * B * H'), buf('dhPrev', 'accumulate', 'B * H'), mask('B')];

export const KERNELS: readonly KernelSpec[] = [
  {
    name: 'gemm', group: 'BLAS level 3', returns: 'void',
    doc: ['C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major.',
      'op(A) = A (stored m×k, lda ≥ k) or Aᵀ (stored k×m, lda ≥ m); same for B.'],
    operands: [bool('transA'), bool('transB'), count('m'), count('n'), count('k'), float('alpha', [1, -0.5, 0]),
      buf('A', 'read', { rows: 'transA ? k : m', cols: 'transA ? m : k', ld: 'lda' }), ld('lda', 'transA ? m : k'),
      buf('B', 'read', { rows: 'transB ? n : k', cols: 'transB ? k : n', ld: 'ldb' }), ld('ldb', 'transB ? k : n'),
      float('beta', [0, 1, 0.5]), buf('C', 'readwrite', { rows: 'm', cols: 'n', ld: 'ldc' }), ld('ldc', 'n')],
    // A product with one or two rows (sampling) is bound by reading B: worth splitting once B is large.
    threads: { work: `m <= 2 && n * k >= ${PARALLEL_MATVEC_ELEMS} ? ${PARALLEL_GEMM_FLOPS} : 2 * m * n * k`, threshold: PARALLEL_GEMM_FLOPS },
    wasmScratch: { kind: 'gemm' },
  },
  {
    name: 'addRowVector', group: 'rows and columns', returns: 'void',
    doc: ['C[r, :] += bias for each of `rows` rows (row stride ldc).'],
    operands: [buf('C', 'readwrite', { rows: 'rows', cols: 'cols', ld: 'ldc' }), count('rows'), count('cols'), ld('ldc', 'cols'),
      buf('bias', 'read', 'cols')],
    empty: 'rows == 0 || cols == 0',
  },
  {
    name: 'sumRows', group: 'rows and columns', returns: 'void',
    doc: ['dst[j] += Σ_r src[r, j] (sum over rows; bias gradients).'],
    operands: [buf('src', 'read', { rows: 'rows', cols: 'cols', ld: 'lds' }), count('rows'), count('cols'), ld('lds', 'cols'),
      buf('dst', 'accumulate', 'cols')],
    empty: 'rows == 0 || cols == 0',
  },
  {
    name: 'gatherRows', group: 'rows and columns', returns: 'void',
    doc: ['dst[i, :] = beta·dst[i, :] + table[ids[i], :] for i < n (embedding lookup). Rows with id < 0 get zeros.'],
    operands: [buf('table', 'read', 'whole', { offset: false }), count('dim'), ids('ids', 'n', { rowsOf: 'table', width: 'dim' }),
      count('n'), buf('dst', 'readwrite', { rows: 'n', cols: 'dim', ld: 'ldd' }), ld('ldd', 'dim'), float('beta', [0, 1, 0.5])],
    empty: 'n == 0 || dim == 0',
  },
  {
    name: 'scatterAddRows', group: 'rows and columns', returns: 'void',
    doc: ['table[ids[i], :] += src[i, :] (embedding gradient). Rows with id < 0 are skipped.'],
    operands: [buf('src', 'read', { rows: 'n', cols: 'dim', ld: 'lds' }), ld('lds', 'dim'), ids('ids', 'n', { rowsOf: 'table', width: 'dim' }),
      count('n'), buf('table', 'accumulate', 'whole', { offset: false }), count('dim')],
    empty: 'n == 0 || dim == 0',
  },
  {
    name: 'gatherCols', group: 'rows and columns', returns: 'void',
    doc: ['dst[i, :] = beta·dst[i, :] + W[:, ids[i]] where W is rows×cols (one-hot input times Wᵀ without',
      'materialising the one-hot). Rows with id < 0 get beta·dst.'],
    operands: [buf('W', 'read', 'rows * cols', { offset: false }), count('rows'), count('cols'), ids('ids', 'n', 'cols'), count('n'),
      buf('dst', 'readwrite', { rows: 'n', cols: 'rows', ld: 'ldd' }), ld('ldd', 'rows'), float('beta', [0, 1, 0.5])],
    empty: 'n == 0 || rows == 0',
    wasmScratch: { kind: 'transpose', rows: 'rows', cols: 'cols', n: 'n' },
  },
  {
    name: 'scatterAddCols', group: 'rows and columns', returns: 'void',
    doc: ['W[:, ids[i]] += src[i, :] (gradient of gatherCols).'],
    operands: [buf('src', 'read', { rows: 'n', cols: 'rows', ld: 'lds' }), ld('lds', 'rows'), ids('ids', 'n', 'cols'), count('n'),
      buf('W', 'accumulate', 'rows * cols', { offset: false }), count('rows'), count('cols')],
    empty: 'n == 0 || rows == 0',
    wasmScratch: { kind: 'transpose', rows: 'rows', cols: 'cols', n: 'n' },
  },

  // The forward steps work element by element: h may be the same memory as hPrev, and c as cPrev (every
  // element's inputs are read before it is written). The sampling path (nn/one-step.ts) updates the carried
  // state in place this way.
  {
    name: 'elmanForward', group: 'fused recurrent steps', returns: 'void',
    doc: ['Elman step: h = act(pre) for a [B×H] block; where mask[b] == 0 the state is held: h = hPrev.',
      '`pre` holds W_ih x + W_hh h_{t-1} + b (+ other recurrent terms).'],
    operands: [act('act'), count('B'), count('H'), buf('pre', 'read', 'B * H'), buf('hPrev', 'read', 'B * H'),
      buf('h', 'write', 'B * H'), mask('B')],
    threads: step, empty: 'B * H == 0', inPlace: [['h', 'hPrev']],
  },
  {
    name: 'elmanBackward', group: 'fused recurrent steps', returns: 'void',
    doc: ['Elman step backward: dpre = act\'(h) ⊙ dh (masked rows: 0), and for masked rows the',
      'gradient passes to the held state: dhPrev += dh.'],
    operands: [act('act'), count('B'), count('H'), buf('h', 'read', 'B * H'), buf('dh', 'read', 'B * H'),
      buf('dpre', 'write', 'B * H'), buf('dhPrev', 'accumulate', 'B * H'), mask('B')],
    threads: step, empty: 'B * H == 0',
  },
  {
    name: 'lstmForward', group: 'fused recurrent steps', returns: 'void',
    doc: ['LSTM step (PyTorch gate order i, f, g, o). `gates` [B×4H] holds the pre-activations on entry and',
      'the activations i, f, g, o on exit. c = f⊙cPrev + i⊙g, h = o⊙tanh(c); masked rows hold (hPrev, cPrev).'],
    operands: [count('B'), count('H'), buf('gates', 'readwrite', '4 * B * H'), buf('cPrev', 'read', 'B * H'), buf('c', 'write', 'B * H'),
      buf('hPrev', 'read', 'B * H'), buf('h', 'write', 'B * H'), mask('B')],
    threads: step, empty: 'B * H == 0', inPlace: [['h', 'hPrev'], ['c', 'cPrev']],
  },
  {
    name: 'lstmBackward', group: 'fused recurrent steps', returns: 'void',
    doc: ['LSTM step backward. In: activated gates, cPrev, c, dh (total gradient on h_t) and dc (gradient on c_t',
      'from the future). Out: dgates [B×4H] (pre-activation gradients), dcPrev (written, not accumulated),',
      'and for masked rows dhPrev += dh.'],
    operands: [count('B'), count('H'), buf('gates', 'read', '4 * B * H'), buf('cPrev', 'read', 'B * H'), buf('c', 'read', 'B * H'),
      buf('dh', 'read', 'B * H'), buf('dc', 'read', 'B * H'), buf('dgates', 'write', '4 * B * H'), buf('dcPrev', 'write', 'B * H'),
      buf('dhPrev', 'accumulate', 'B * H'), mask('B')],
    threads: step, empty: 'B * H == 0',
  },
  // LSTM with peepholes (Gers & Schmidhuber 2000; ONNX LSTM's input P): the gates also read the cell state.
  // peep [3H] holds the blocks p_i, p_f, p_o (recur's gate order without g); ONNX stores them i, o, f.
  fusedStep('lstmPeepholeForward', [
    'LSTM step with peepholes: i = σ(x_i + p_i⊙cPrev), f = σ(x_f + p_f⊙cPrev), g = tanh(x_g), c = f⊙cPrev + i⊙g,',
    'o = σ(x_o + p_o⊙c), h = o⊙tanh(c). `gates` [B×4H] (i, f, g, o) holds the pre-activations without the',
    'peephole terms on entry and the activations on exit; masked rows hold (hPrev, cPrev).'],
  [buf('gates', 'readwrite', '4 * B * H'), buf('peep', 'read', '3 * H'), buf('cPrev', 'read', 'B * H'), buf('c', 'write', 'B * H'),
    buf('hPrev', 'read', 'B * H'), buf('h', 'write', 'B * H'), mask('B')], [['h', 'hPrev'], ['c', 'cPrev']]),
  fusedStep('lstmPeepholeBackward', [
    'LSTM-with-peepholes step backward. do\' = dh⊙tanh(c)⊙o(1−o); the total gradient on c is',
    'dc + dh⊙o⊙(1 − tanh²c) + do\'⊙p_o; dcPrev = that⊙f + di\'⊙p_i + df\'⊙p_f (written). dgates [B×4H] as',
    'lstmBackward; masked rows: dgates 0, dcPrev = dc, dhPrev += dh. lstmPeepholeGrads gives dpeep afterwards.'],
  [buf('gates', 'read', '4 * B * H'), buf('peep', 'read', '3 * H'), buf('cPrev', 'read', 'B * H'), buf('c', 'read', 'B * H'),
    buf('dh', 'read', 'B * H'), buf('dc', 'read', 'B * H'), buf('dgates', 'write', '4 * B * H'), buf('dcPrev', 'write', 'B * H'),
    buf('dhPrev', 'accumulate', 'B * H'), mask('B')]),
  {
    name: 'lstmPeepholeGrads', group: 'fused recurrent steps', returns: 'void',
    doc: ['Peephole gradients over `rows` rows after the time loop: dpeep_i += Σ di\'⊙cPrev, dpeep_f += Σ df\'⊙cPrev,',
      'dpeep_o += Σ do\'⊙c, with dgates [rows×4H] (i, f, g, o) and the cell states aligned with its rows.'],
    operands: [count('rows'), count('H'), buf('dgates', 'read', '4 * rows * H'), buf('cPrev', 'read', 'rows * H'), buf('c', 'read', 'rows * H'),
      buf('dpeep', 'accumulate', '3 * H')],
    empty: 'rows * H == 0',
  },
  {
    name: 'gruForward', group: 'fused recurrent steps', returns: 'void',
    doc: ['GRU step (PyTorch: r, z, n). xg = W_ih x + b_ih and hg = W_hh h + b_hh, both [B×3H].',
      'r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n), h = (1 − z) ⊙ n + z ⊙ hPrev.',
      'Saves [r, z, n, h_n] into `cache` [B×4H] for the backward step; masked rows hold hPrev.'],
    operands: [count('B'), count('H'), buf('xg', 'read', '3 * B * H'), buf('hg', 'read', '3 * B * H'), buf('hPrev', 'read', 'B * H'),
      buf('h', 'write', 'B * H'), buf('cache', 'write', '4 * B * H'), mask('B')],
    threads: step, empty: 'B * H == 0', inPlace: [['h', 'hPrev']],
  },
  {
    name: 'gruBackward', group: 'fused recurrent steps', returns: 'void',
    doc: ['GRU step backward: from dh and the cache, writes dxg [B×3H] (gradient on W_ih x + b_ih) and',
      'dhg [B×3H] (gradient on W_hh h + b_hh), and ACCUMULATES dhPrev += z ⊙ dh (+= dh for masked',
      'rows); the caller adds dhg · W_hh to dhPrev.'],
    operands: [count('B'), count('H'), buf('hPrev', 'read', 'B * H'), buf('cache', 'read', '4 * B * H'), buf('dh', 'read', 'B * H'),
      buf('dxg', 'write', '3 * B * H'), buf('dhg', 'write', '3 * B * H'), buf('dhPrev', 'accumulate', 'B * H'), mask('B')],
    threads: step, empty: 'B * H == 0',
  },

  {
    name: 'softmax', group: 'heads and losses', returns: 'void',
    doc: ['out[r, :] = softmax(x[r, :] / temperature) for `rows` rows of width `cols`.'],
    operands: [count('rows'), count('cols'), buf('x', 'read', 'rows * cols'), buf('out', 'write', 'rows * cols'),
      float('temperature', [1, 0.7])],
    threads: { work: 'rows * cols', threshold: PARALLEL_ROW_ELEMS }, empty: 'rows == 0 || cols == 0',
  },
  {
    name: 'softmaxBackward', group: 'heads and losses', returns: 'void',
    doc: ['dx[r, :] (+)= p ⊙ (dp − ⟨p, dp⟩): backward of softmax. accumulate: add into dx instead of writing.'],
    operands: [count('rows'), count('cols'), buf('p', 'read', 'rows * cols', { fill: 'positive' }), buf('dp', 'read', 'rows * cols'),
      buf('dx', 'readwrite', 'rows * cols'), bool('accumulate')],
    empty: 'rows == 0 || cols == 0',
  },
  {
    name: 'softmaxCrossEntropy', group: 'heads and losses', returns: 'f64',
    doc: ['Softmax cross-entropy over rows of logits; targets < 0 are ignored. Returns the summed loss',
      '(nats, float64 accumulation). When dlogits is given, writes scale·(softmax − onehot) there',
      '(zeros for ignored rows).'],
    operands: [count('rows'), count('cols'), buf('logits', 'read', 'rows * cols'), ids('targets', 'rows', 'cols'),
      buf('dlogits', 'write', 'rows * cols', { nullable: true }), float('scale', [1, 0.25])],
    threads: { work: 'rows * cols', threshold: PARALLEL_ROW_ELEMS }, empty: 'rows == 0 || cols == 0',
    wasmScratch: { kind: 'partials', count: 'rows' },
  },
  {
    name: 'squaredError', group: 'heads and losses', returns: 'f64',
    doc: ['Squared error Σ (pred − target)² over n elements where weight ≠ 0 (weight = null: all); writes',
      'scale·2·(pred − target) into dpred when given. Returns the summed squared error.'],
    operands: [count('n'), buf('pred', 'read', 'n'), buf('target', 'read', 'n'), buf('weight', 'read', 'n', { nullable: true, fill: 'mask' }),
      buf('dpred', 'write', 'n', { nullable: true }), float('scale', [1, 0.5])],
    empty: 'n == 0',
  },

  {
    name: 'fill', group: 'vector ops', returns: 'void', doc: ['x[0..n) = value'],
    operands: [buf('x', 'write', 'n'), count('n'), float('value', [0, 0.25])], empty: 'n == 0',
  },
  {
    name: 'copy', group: 'vector ops', returns: 'void', doc: ['dst = src'],
    operands: [count('n'), buf('src', 'read', 'n'), buf('dst', 'write', 'n')], empty: 'n == 0',
  },
  {
    name: 'axpy', group: 'vector ops', returns: 'void', doc: ['y += a·x'],
    operands: [count('n'), float('a', [-0.7, 1]), buf('x', 'read', 'n'), buf('y', 'readwrite', 'n')], empty: 'n == 0',
  },
  {
    name: 'scale', group: 'vector ops', returns: 'void', doc: ['x *= a'],
    operands: [count('n'), float('a', [1.3, 0]), buf('x', 'readwrite', 'n')], empty: 'n == 0',
  },
  {
    name: 'mul', group: 'vector ops', returns: 'void', doc: ['out = x ⊙ m (elementwise product, e.g. a dropout mask)'],
    operands: [count('n'), buf('x', 'read', 'n'), buf('m', 'read', 'n'), buf('out', 'write', 'n')], empty: 'n == 0',
    inPlace: [['out', 'x']],
  },
  {
    name: 'sumSquares', group: 'vector ops', returns: 'f64', doc: ['Σ x² (float64 accumulation)'],
    operands: [count('n'), buf('x', 'read', 'n')],
    threads: vector, empty: 'n == 0', wasmScratch: { kind: 'partials', count: 'Math.ceil(n / this.sumSquaresBlock)' },
  },
  {
    name: 'clampAbs', group: 'vector ops', returns: 'void', doc: ['x = clamp(x, −t, t): element-wise gradient clipping (t·sign(g) where |g| > t).'],
    operands: [count('n'), buf('x', 'readwrite', 'n'), float('t', [1.5, 0.1])], empty: 'n == 0',
  },

  {
    name: 'sgdStep', group: 'optimizer updates', returns: 'void',
    doc: ['PyTorch SGD: g += wd·p; v = μ·v + g (v = g at step 1); p −= lr·(nesterov ? g + μ·v : v).'],
    operands: [count('n'), state('p', 'readwrite'), state('g', 'read'), state('v', 'readwrite', { nullable: true }), float('lr', lrs),
      float('momentum', [0.9, 0]), bool('nesterov'), float('weightDecay', [0, 0.01]), bool('first')],
    threads: vector, empty: 'n == 0',
  },
  {
    name: 'adagradStep', group: 'optimizer updates', returns: 'void',
    doc: ['PyTorch Adagrad: s += g²; p −= lr·g / (√s + eps).'],
    operands: [count('n'), state('p', 'readwrite'), state('g', 'read'), state('s', 'readwrite', { fill: 'positive' }), float('lr', lrs),
      float('eps', [1e-10]), float('weightDecay', [0, 0.01])],
    threads: vector, empty: 'n == 0',
  },
  {
    name: 'rmspropStep', group: 'optimizer updates', returns: 'void',
    doc: ['PyTorch RMSprop (no centring): s = α·s + (1−α)·g²; p −= lr·g / (√s + eps).'],
    operands: [count('n'), state('p', 'readwrite'), state('g', 'read'), state('s', 'readwrite', { fill: 'positive' }), float('lr', lrs),
      float('alpha', [0.99]), float('eps', [1e-8]), float('weightDecay', [0, 0.01])],
    threads: vector, empty: 'n == 0',
  },
  {
    name: 'adamStep', group: 'optimizer updates', returns: 'void',
    doc: ['Adam / AdamW (PyTorch) with the per-step factors computed once by the caller (train/optim.ts: adamFactors):',
      'g += l2·p; p *= decay; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= stepSize·m / (√v·invSq + eps),',
      'where stepSize = lr / (1 − β1^t), invSq = 1 / √(1 − β2^t), decay = 1 − lr·wd (AdamW) or 1, l2 = wd (Adam) or 0.'],
    operands: [count('n'), state('p', 'readwrite'), state('g', 'read'), state('m', 'readwrite'), state('v', 'readwrite', { fill: 'positive' }),
      float('beta1', [0.9]), float('beta2', [0.999]), float('eps', [1e-8]), float('stepSize', [2e-3, 0.0105]),
      float('invSq', [1, 22.37]), float('decay', [1, 0.99998]), float('l2', [0, 0.1])],
    threads: vector, empty: 'n == 0',
  },

  // Attention (nn/seq2seq/attention.ts). Scores are [T×B×S], row (t, b) time-major like every other buffer;
  // source steps at or past lengths[b] are padding: masked out of the softmax (weight exactly 0).
  {
    name: 'maskedSoftmax', group: 'attention', returns: 'void',
    doc: ['out[t, b, s] = softmax over s < lengths[b] of x[t, b, :], 0 for s ≥ lengths[b] (padded source steps);',
      'a row whose length is ≤ 0 is all zeros. Its backward is softmaxBackward (masked weights are 0).'],
    operands: [count('T'), count('B'), count('S'), buf('x', 'read', 'T * B * S'), buf('out', 'write', 'T * B * S'),
      ids('lengths', 'B', 'S + 1')],
    empty: 'T * B * S == 0', inPlace: [['out', 'x']],
  },
  {
    name: 'additiveScore', group: 'attention', returns: 'void',
    doc: ["Bahdanau's score for every (t, s) pair: out[t, b, s] = Σ_a v[a]·tanh(q[t·B+b, a] + k[s·B+b, a])."],
    operands: [count('T'), count('B'), count('S'), count('A'), buf('q', 'read', 'T * B * A'), buf('k', 'read', 'S * B * A'),
      buf('v', 'read', 'A'), buf('out', 'write', 'T * B * S')],
    // one tanh per (t, b, s, a): split over the rows (t, b), which write disjoint scores
    threads: { work: 'T * B * S * A', threshold: PARALLEL_ROW_ELEMS }, empty: 'T * B * S == 0',
  },
  {
    name: 'additiveScoreBackward', group: 'attention', returns: 'void',
    doc: ['Backward of additiveScore (tanh recomputed): with e = tanh(q_tb + k_sb) and g = dout[t, b, s]·v ⊙ (1 − e²),',
      'dq[t·B+b] += Σ_s g,  dk[s·B+b] += Σ_t g,  dv += Σ_{t,b,s} dout[t, b, s]·e.'],
    operands: [count('T'), count('B'), count('S'), count('A'), buf('q', 'read', 'T * B * A'), buf('k', 'read', 'S * B * A'),
      buf('v', 'read', 'A'), buf('dout', 'read', 'T * B * S'), buf('dq', 'accumulate', 'T * B * A'),
      buf('dk', 'accumulate', 'S * B * A'), buf('dv', 'accumulate', 'A')],
    empty: 'T * B * S == 0 || A == 0',
  },

  // GRU with the reset gate before the recurrent product (Cho et al. 2014; ONNX linear_before_reset = 0):
  // n needs W_hn (r ⊙ h), so a step is two kernels around that product, forward and backward.
  fusedStep('gruResetGates', [
    'Reset-before GRU step, first half. xg = W_ih x + b_ih + b_hh [B×3H], hrz = [W_hr hPrev, W_hz hPrev] [B×2H]:',
    'r = σ(x_r + hr), z = σ(x_z + hz) into cache [B×3H] (blocks r, z), and rh = r ⊙ hPrev [B×H], the input of W_hn.'],
  [buf('xg', 'read', '3 * B * H'), buf('hrz', 'read', '2 * B * H'), buf('hPrev', 'read', 'B * H'), buf('cache', 'readwrite', '3 * B * H'),
    buf('rh', 'write', 'B * H')]),
  fusedStep('gruResetUpdate', [
    'Reset-before GRU step, second half: n = tanh(x_n + hn) with hn = W_hn (r ⊙ hPrev) [B×H],',
    'h = (1 − z) ⊙ n + z ⊙ hPrev; n into the cache\'s n block; masked rows hold hPrev.'],
  [buf('xg', 'read', '3 * B * H'), buf('hn', 'read', 'B * H'), buf('hPrev', 'read', 'B * H'), buf('h', 'write', 'B * H'),
    buf('cache', 'readwrite', '3 * B * H'), mask('B')], [['h', 'hPrev']]),
  fusedStep('gruResetUpdateBackward', [
    'Reset-before GRU step backward, first half: dn = dh (1 − z)(1 − n²), dz = dh (hPrev − n) z (1 − z) into',
    'dxg\'s z and n blocks, and dhPrev += z ⊙ dh (masked rows: dhPrev += dh, dxg zero); the caller takes',
    'd(rh) = dn · W_hn for gruResetGatesBackward.'],
  resetGruBackOperands('dh')),
  fusedStep('gruResetGatesBackward', [
    'Reset-before GRU step backward, second half: from drh = d(r ⊙ hPrev), dr = drh ⊙ hPrev ⊙ r (1 − r) into dxg\'s',
    'r block and dhPrev += drh ⊙ r (masked rows: dxg\'s r block zero, dhPrev untouched); the caller adds',
    'dxg[r, z] · W_h{r,z} to dhPrev.'],
  resetGruBackOperands('drh')),
];

export const kernelSpec = (name: string): KernelSpec => {
  const k = KERNELS.find((s) => s.name === name);
  if (!k) throw new Error(`no kernel '${name}' in the table`);
  return k;
};
