/**
 * The feed-forward baselines that recurrent networks replaced, fed the same padded batches as the
 * recurrent models (time-major, with lengths) and predicting one target at each sequence's end:
 *
 *   window  an MLP over the concatenated last N inputs (embedded tokens, or the input vectors), as
 *           Bengio et al.'s neural language model (2003) and NARX-style forecasters did;
 *   mean    an MLP over the average of the input vectors (order thrown away: a "neural bag of words");
 *   bow     logistic regression over bag-of-tokens counts (log(1 + count) per vocabulary entry).
 *
 * The network is   f = pool(x) → h = tanh(W1 f + b1) → logits = W2 h + b2   (hidden 0: logits = W f + b),
 * and backward is its derivative read in reverse:
 *   dW2 += dlogitsᵀ h,  dh = dlogits W2,  dpre = (1 − h²) ⊙ dh,  dW1 += dpreᵀ f,  df = dpre W1,
 * and for embedded tokens df is scattered back into the embedding rows that were pooled.
 * Every matrix operation is a call into the kernel interface, so the baselines run on any backend.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import { ConfigError } from '../nn/config.js';
import { crossEntropy, meanSquaredError, type LossValue } from '../nn/loss.js';
import type { Batch } from '../nn/model.js';
import { Params, type TensorSpec } from '../nn/params.js';
import type { Rng } from '../util/rng.js';

export type Pooling = 'window' | 'mean' | 'bow';
export const POOLINGS: Pooling[] = ['window', 'mean', 'bow'];

export interface MlpConfig {
  kind: 'mlp';
  pooling: Pooling;
  inputKind: 'tokens' | 'dense';
  /** Vocabulary size (tokens) or features per step (dense). */
  inputSize: number;
  /** Embedding width for tokens pooled by window or mean (bow counts tokens directly: 0). */
  embed: number;
  /** Steps concatenated by window pooling. */
  window: number;
  /** Width of the hidden layer; 0 = a linear model (logistic regression with a softmax head). */
  hidden: number;
  outputSize: number;
  head: 'softmax' | 'mse';
}

const posInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Validate a baseline's configuration; throws ConfigError with one sentence naming the problem. */
export function makeMlpConfig(partial: Partial<MlpConfig>): MlpConfig {
  const c: MlpConfig = {
    kind: 'mlp', pooling: 'window', inputKind: 'tokens', inputSize: 1, embed: 0, window: 1, hidden: 0, outputSize: 1, head: 'softmax',
    ...partial,
  };
  const fail = (msg: string): never => { throw new ConfigError(msg); };
  if (c.kind !== 'mlp') fail(`not a feed-forward baseline config (kind ${JSON.stringify(c.kind)})`);
  if (!POOLINGS.includes(c.pooling)) fail(`unknown pooling '${c.pooling}' (expected ${POOLINGS.join(', ')})`);
  if (c.inputKind !== 'tokens' && c.inputKind !== 'dense') fail('input kind must be tokens or dense');
  if (!posInt(c.inputSize)) fail(`input size must be a positive integer, got ${c.inputSize}`);
  if (!posInt(c.outputSize)) fail(`output size must be a positive integer, got ${c.outputSize}`);
  if (!(Number.isInteger(c.hidden) && c.hidden >= 0)) fail(`hidden size must be a non-negative integer, got ${c.hidden}`);
  if (c.head !== 'softmax' && c.head !== 'mse') fail(`unknown head '${c.head}' (expected softmax or mse)`);
  if (c.pooling === 'window' && !posInt(c.window)) fail(`window must be a positive integer, got ${c.window}`);
  if (c.pooling === 'bow') {
    if (c.inputKind !== 'tokens') fail('a bag of words counts tokens: it needs token inputs');
    if (c.embed !== 0) fail('a bag of words has no embedding');
  } else if (c.inputKind === 'tokens' && !posInt(c.embed)) fail(`token inputs pooled by ${c.pooling} need an embedding size > 0`);
  else if (c.inputKind === 'dense' && c.embed !== 0) fail('an embedding needs token inputs');
  return c;
}

/** Width of the pooled feature vector f. */
export function featureSize(c: MlpConfig): number {
  if (c.pooling === 'bow') return c.inputSize;
  const E = c.inputKind === 'tokens' ? c.embed : c.inputSize;
  return c.pooling === 'window' ? c.window * E : E;
}

/** Tensors in PyTorch names: nn.Embedding, then nn.Linear layers `fc1`, `fc2` (or one `fc` when linear). */
export function mlpSpecs(c: MlpConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  if (c.inputKind === 'tokens' && c.embed > 0) specs.push({ name: 'embedding.weight', shape: [c.inputSize, c.embed] });
  const F = featureSize(c), O = c.outputSize;
  if (c.hidden > 0) {
    specs.push({ name: 'fc1.weight', shape: [c.hidden, F] }, { name: 'fc1.bias', shape: [c.hidden] });
    specs.push({ name: 'fc2.weight', shape: [O, c.hidden] }, { name: 'fc2.bias', shape: [O] });
  } else specs.push({ name: 'fc.weight', shape: [O, F] }, { name: 'fc.bias', shape: [O] });
  return specs;
}

/** The state of a network without recurrence: nothing. */
/** A baseline reads each batch on its own: its state is empty. */
export type MlpState = object;
const EMPTY_STATE: MlpState = {};

export class Mlp {
  readonly config: MlpConfig;
  readonly params: Params;
  readonly grads: Params;
  /** Outputs of the last forward [B×O]. */
  logits: Buf;
  /** Pooled features of the last forward [B×F] (for tests and diagnostics). */
  feat: Buf;

  private B = 0;
  private cap = 0;
  private dfeat: Buf;
  private pre: Buf;
  private hid: Buf;
  private dhid: Buf;
  private dlogits: Buf;
  private targetVals: Buf;
  private targets = new Int32Array(0);
  /** Window pooling: the token id in each of the N slots of each sequence (slot-major [N×B]; −1 = before the start). */
  private slotIds = new Int32Array(0);
  /** Mean pooling: each sequence's real token ids, and a scratch [T×E] block. */
  private seqIds = new Int32Array(0);
  private rowsBuf: Buf;
  private tokens: Int32Array | null = null;
  private lengths = new Int32Array(0);
  private T = 0;
  private hasTargets = false;

  constructor(config: Partial<MlpConfig>, readonly be: Backend) {
    this.config = makeMlpConfig(config);
    const specs = mlpSpecs(this.config);
    this.params = new Params(specs, be);
    this.grads = new Params(specs, be);
    const z = be.alloc(0);
    this.logits = this.feat = this.dfeat = this.pre = this.hid = this.dhid = this.dlogits = this.targetVals = this.rowsBuf = z;
  }

  /** PyTorch's defaults: nn.Linear U(−1/√fan_in, 1/√fan_in) for weights and biases, nn.Embedding N(0, 1). */
  init(rng: Rng): this {
    const P = this.params;
    for (const v of P.views) {
      if (v.name === 'embedding.weight') { for (let i = 0; i < v.size; i++) P.data[v.offset + i] = rng.normal(); continue; }
      const w = P.view(v.name.replace(/bias$/, 'weight'));
      const bound = 1 / Math.sqrt(w.shape[1]);
      for (let i = 0; i < v.size; i++) P.data[v.offset + i] = rng.uniform(-bound, bound);
    }
    return this;
  }

  get featureSize(): number { return featureSize(this.config); }

  zeroGrads(): void { this.be.fill(this.grads.data, 0, this.grads.size, 0); }

  private ensure(T: number, B: number): void {
    const c = this.config, be = this.be, F = this.featureSize, Hd = c.hidden, O = c.outputSize;
    this.B = B; this.T = T;
    if (this.seqIds.length < T) {
      this.seqIds = new Int32Array(T);
      release(be, [this.rowsBuf]);
      this.rowsBuf = be.alloc(c.inputKind === 'tokens' && c.pooling === 'mean' ? T * c.embed : 0);
    }
    if (B <= this.cap) return;
    this.cap = B;
    release(be, [this.logits, this.feat, this.dfeat, this.pre, this.hid, this.dhid, this.dlogits, this.targetVals]);
    this.feat = be.alloc(B * F);
    this.dfeat = be.alloc(c.inputKind === 'tokens' && c.embed > 0 ? B * F : 0);
    this.pre = be.alloc(B * Hd);
    this.hid = be.alloc(B * Hd);
    this.dhid = be.alloc(B * Hd);
    this.logits = be.alloc(B * O);
    this.dlogits = be.alloc(B * O);
    this.targetVals = be.alloc(B * O);
    this.targets = new Int32Array(B);
    this.slotIds = new Int32Array(c.window * B);
    this.lengths = new Int32Array(B);
  }

  /**
   * Pool each sequence (up to its real length), run the network, and with targets return the mean
   * loss (keeping dlogits for backward when training). Outputs are in `logits` [B×O].
   */
  forward(batch: Batch, _state: MlpState | null = null, opts: { train?: boolean } = {}): LossValue | null {
    const c = this.config, { T, B } = batch;
    if (!(T > 0 && B > 0)) throw new Error('a batch needs at least one step and one sequence');
    this.ensure(T, B);
    if (batch.lengths && batch.lengths.length !== B) throw new Error(`lengths has ${batch.lengths.length} entries for a batch of ${B}`);
    for (let b = 0; b < B; b++) {
      const n = batch.lengths ? batch.lengths[b] : T;
      if (!(Number.isInteger(n) && n >= 1 && n <= T)) throw new Error(`sequence ${b} has length ${n}, outside 1…${T}`);
      this.lengths[b] = n;
    }
    if (c.inputKind === 'tokens') this.poolTokens(batch);
    else this.poolDense(batch);
    this.network();
    this.hasTargets = this.setTargets(batch);
    if (!this.hasTargets) return null;
    const d = opts.train ? this.dlogits : null;
    if (c.head === 'softmax') return crossEntropy(this.be, B, c.outputSize, this.logits, this.targets, d);
    return meanSquaredError(this.be, B * c.outputSize, this.logits, this.targetVals, null, d);
  }

  private poolTokens(batch: Batch): void {
    const c = this.config, be = this.be, { T, B } = batch, F = this.featureSize, E = c.embed, V = c.inputSize;
    const ids = batch.tokens;
    if (!ids || ids.length < T * B) throw new Error(`expected ${T * B} token ids`);
    for (let b = 0; b < B; b++) for (let t = 0; t < this.lengths[b]; t++) {
      const v = ids[t * B + b];
      if (!(Number.isInteger(v) && v >= 0 && v < V)) throw new Error(`token id ${v} at step ${t} of sequence ${b} is outside the vocabulary of ${V}`);
    }
    this.tokens = ids;
    if (c.pooling === 'bow') {
      be.fill(this.feat, 0, B * F, 0);
      for (let b = 0; b < B; b++) for (let t = 0; t < this.lengths[b]; t++) this.feat[b * F + ids[t * B + b]] += 1;
      // log(1 + count): a word seen 30 times is stronger evidence than one seen once, but not 30× stronger.
      for (let i = 0; i < B * F; i++) if (this.feat[i] !== 0) this.feat[i] = Math.log1p(this.feat[i]);
      return;
    }
    const table = this.params.data.subarray(this.params.offset('embedding.weight'));
    if (c.pooling === 'window') {
      this.fillSlots(ids, B);
      // The N slots right-aligned at each sequence's end; slots before its start embed to zeros.
      for (let k = 0; k < c.window; k++) be.gatherRows(table, E, this.slotIds, k * B, B, this.feat, k * E, F, 0);
      return;
    }
    for (let b = 0; b < B; b++) {
      const n = this.seqIdsOf(b);
      be.gatherRows(table, E, this.seqIds, 0, n, this.rowsBuf, 0, E, 0);
      be.fill(this.feat, b * E, E, 0);
      be.sumRows(this.rowsBuf, 0, n, E, E, this.feat, b * E);
      be.scale(E, 1 / n, this.feat, b * E);
    }
  }

  private fillSlots(ids: Int32Array, B: number): void {
    const N = this.config.window;
    for (let k = 0; k < N; k++) for (let b = 0; b < B; b++) {
      const t = this.lengths[b] - N + k;
      this.slotIds[k * B + b] = t >= 0 ? ids[t * B + b] : -1;
    }
  }

  /** Copy sequence b's real token ids into seqIds; returns their count. */
  private seqIdsOf(b: number): number {
    const n = this.lengths[b], B = this.B, ids = this.tokens!;
    for (let t = 0; t < n; t++) this.seqIds[t] = ids[t * B + b];
    return n;
  }

  private poolDense(batch: Batch): void {
    const c = this.config, { T, B } = batch, Fin = c.inputSize, F = this.featureSize, x = batch.inputs, f = this.feat;
    if (!x || x.length < T * B * Fin) throw new Error(`expected ${T * B * Fin} input values`);
    this.be.fill(f, 0, B * F, 0);
    for (let b = 0; b < B; b++) {
      const n = this.lengths[b];
      if (c.pooling === 'window') {
        for (let k = 0; k < c.window; k++) {
          const t = n - c.window + k;
          if (t >= 0) for (let j = 0; j < Fin; j++) f[b * F + k * Fin + j] = x[(t * B + b) * Fin + j];
        }
      } else {
        for (let t = 0; t < n; t++) for (let j = 0; j < Fin; j++) f[b * F + j] += x[(t * B + b) * Fin + j];
        for (let j = 0; j < Fin; j++) f[b * F + j] /= n;
      }
    }
  }

  /** f → (tanh hidden layer) → logits. */
  private network(): void {
    const c = this.config, be = this.be, B = this.B, F = this.featureSize, Hd = c.hidden, O = c.outputSize;
    if (Hd === 0) { this.linear('fc', B, F, O, this.feat, this.logits); return; }
    this.linear('fc1', B, F, Hd, this.feat, this.pre);
    // The Elman step kernel without a mask is exactly h = act(pre), elementwise.
    be.elmanForward('tanh', B, Hd, this.pre, 0, this.pre, 0, this.hid, 0, null, 0);
    this.linear('fc2', B, Hd, O, this.hid, this.logits);
  }

  /** out[B×n] = in[B×m] Wᵀ + b for the nn.Linear named `name`. */
  private linear(name: string, B: number, m: number, n: number, input: Buf, out: Buf): void {
    const P = this.params;
    this.be.gemm(false, true, B, n, m, 1, input, 0, m, P.data, P.offset(`${name}.weight`), m, 0, out, 0, n);
    this.be.addRowVector(out, 0, B, n, n, P.data, P.offset(`${name}.bias`));
  }

  private setTargets(batch: Batch): boolean {
    const c = this.config, B = this.B, O = c.outputSize;
    if (c.head === 'softmax') {
      if (!batch.targets) return false;
      if (batch.targets.length < B) throw new Error(`expected ${B} targets`);
      for (let b = 0; b < B; b++) {
        const y = batch.targets[b];
        if (!(y === -1 || (Number.isInteger(y) && y >= 0 && y < O))) throw new Error(`target ${y} is outside the ${O} classes`);
        this.targets[b] = y;
      }
      return true;
    }
    if (!batch.targetValues) return false;
    if (batch.targetValues.length < B * O) throw new Error(`expected ${B * O} target values`);
    for (let i = 0; i < B * O; i++) this.targetVals[i] = batch.targetValues[i];
    return true;
  }

  /** A feed-forward network carries nothing from batch to batch: its state is empty (the Trainer's shape). */
  newState(_B?: number, _rng?: Rng): MlpState { return EMPTY_STATE; }

  /** Gradients of the last forward's loss, added into `grads`. */
  backward(): void {
    if (!this.hasTargets) throw new Error('backward needs a forward pass with targets');
    const c = this.config, be = this.be, B = this.B, F = this.featureSize, Hd = c.hidden, O = c.outputSize;
    const P = this.params, G = this.grads, embedded = c.inputKind === 'tokens' && c.embed > 0;
    if (Hd === 0) {
      this.linearBackward('fc', B, F, O, this.feat, this.dlogits);
      if (embedded) be.gemm(false, false, B, F, O, 1, this.dlogits, 0, O, P.data, P.offset('fc.weight'), F, 0, this.dfeat, 0, F);
    } else {
      this.linearBackward('fc2', B, Hd, O, this.hid, this.dlogits);
      be.gemm(false, false, B, Hd, O, 1, this.dlogits, 0, O, P.data, P.offset('fc2.weight'), Hd, 0, this.dhid, 0, Hd);
      // dpre = (1 − h²) ⊙ dh; without a mask the kernel's dhPrev argument is never touched.
      be.elmanBackward('tanh', B, Hd, this.hid, 0, this.dhid, 0, this.pre, 0, this.pre, 0, null, 0);
      this.linearBackward('fc1', B, F, Hd, this.feat, this.pre);
      if (embedded) be.gemm(false, false, B, F, Hd, 1, this.pre, 0, Hd, P.data, P.offset('fc1.weight'), F, 0, this.dfeat, 0, F);
    }
    if (embedded) this.embeddingBackward(G.data.subarray(G.offset('embedding.weight')));
  }

  private linearBackward(name: string, B: number, m: number, n: number, input: Buf, dout: Buf): void {
    const G = this.grads;
    this.be.gemm(true, false, n, m, B, 1, dout, 0, n, input, 0, m, 1, G.data, G.offset(`${name}.weight`), m);
    this.be.sumRows(dout, 0, B, n, n, G.data, G.offset(`${name}.bias`));
  }

  /** df back into the embedding rows that were pooled: each slot's row (window), or df/n to every token (mean). */
  private embeddingBackward(dTable: Buf): void {
    const c = this.config, be = this.be, B = this.B, E = c.embed, F = this.featureSize;
    if (c.pooling === 'window') {
      for (let k = 0; k < c.window; k++) be.scatterAddRows(this.dfeat, k * E, F, this.slotIds, k * B, B, dTable, E);
      return;
    }
    for (let b = 0; b < B; b++) {
      const n = this.seqIdsOf(b);
      for (let t = 0; t < n; t++) {
        be.copy(E, this.dfeat, b * E, this.rowsBuf, t * E);
      }
      be.scale(n * E, 1 / n, this.rowsBuf, 0);
      be.scatterAddRows(this.rowsBuf, 0, E, this.seqIds, 0, n, dTable, E);
    }
  }
}
