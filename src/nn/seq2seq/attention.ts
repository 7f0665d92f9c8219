/**
 * Global attention (Luong et al. 2015) with the scores of Luong and Bahdanau, over a block of n decoder steps
 * t0 … t0+n−1 (all of them at once, or one at a time with input feeding). Buffers are time-major: decoder
 * row t·B + b, encoder row s·B + b; scores and weights [T×B×S].
 *
 *   keys      dot: k_s = e_s        general: k_s = W e_s        additive: k_s = W_k e_s + b_k
 *   score     dot, general: h_t·k_s                             additive: v·tanh(W_q h_t + k_s)
 *   weights   a_t = softmax over s < len_b (padded source steps get 0)
 *   context   c_t = Σ_s a_t,s e_s
 *   output    h~_t = tanh(W_c [c_t; h_t])
 * Backward, the same lines read upwards:
 *   dpre = (1 − h~²) ⊙ dh~;  dW_c += dpreᵀ [c; h];  dc = dpre W_c[:, :E];  dh += dpre W_c[:, E:]
 *   da_t = dc_t e_bᵀ;  de_b += a_bᵀ dc_b;  ds = a ⊙ (da − ⟨a, da⟩)
 *   dot, general: dh_b += ds_b k_b,  dk_b += ds_bᵀ h_b       additive: additiveScoreBackward → dq, dk, dv;
 *   dW_q += dqᵀ h, dh += dq W_q;  keys: dW += dkᵀ e, (db_k += Σ dk), de += dk W
 * The products over one sequence's steps and source positions are gemm calls per batch row b (strided views
 * of the time-major buffers); the masked softmax and the additive score are kernels of the table.
 */
import { release, type Backend, type Buf } from '../../kernels/backend.js';
import type { Params } from '../params.js';
import { attentionSize, encoderWidth, type Seq2SeqConfig } from './config.js';

/** What the decoder attends over: the encoder's outputs [S·B×E], their keys [S·B×K] and the source lengths. */
export interface AttentionSource {
  S: number;
  B: number;
  enc: Buf;
  encOff: number;
  keys: Buf;
  keysOff: number;
  lengths: Int32Array;
}

/** The decoder's top output h [T·B×H] and where its gradient goes (added). */
export interface Queries { h: Buf; hOff: number; dh: Buf; dhOff: number }

export class Attention {
  readonly E: number;
  /** Width of a key: E (dot), H (general) or the additive score's size A. */
  readonly K: number;
  /** Attention weights [T·B×S], their gradient (reused for the scores' gradient). */
  a: Buf;
  private da: Buf;
  /** Context [T·B×E], pre-activation and attentional state h~ [T·B×H], and gradients. */
  private ctx: Buf;
  private dctx: Buf;
  private pre: Buf;
  private dpre: Buf;
  ht: Buf;
  /** dh~: the caller writes the gradient on h~ here before backward. */
  dht: Buf;
  /** Additive only: W_q h [T·B×A] and its gradient. */
  private q: Buf;
  private dq: Buf;
  private rowsCap = -1;
  private sCap = -1;
  private readonly H: number;

  constructor(readonly be: Backend, readonly params: Params, readonly grads: Params, readonly config: Seq2SeqConfig) {
    this.H = config.hidden;
    this.E = encoderWidth(config);
    this.K = config.attention === 'dot' ? this.E : config.attention === 'general' ? this.H : attentionSize(config);
    this.a = this.da = this.ctx = this.dctx = this.pre = this.dpre = this.ht = this.dht = this.q = this.dq = be.alloc(0);
  }

  /** Size the buffers for T·B decoder rows over S source steps. */
  ensure(rows: number, S: number): void {
    if (rows <= this.rowsCap && S <= this.sCap) return;
    this.rowsCap = Math.max(rows, this.rowsCap); this.sCap = Math.max(S, this.sCap);
    const be = this.be, R = this.rowsCap, add = this.config.attention === 'additive';
    release(be, [this.a, this.da, this.ctx, this.dctx, this.pre, this.dpre, this.ht, this.dht, this.q, this.dq]);
    this.a = be.alloc(R * this.sCap); this.da = be.alloc(R * this.sCap);
    this.ctx = be.alloc(R * this.E); this.dctx = be.alloc(R * this.E);
    this.pre = be.alloc(R * this.H); this.dpre = be.alloc(R * this.H);
    this.ht = be.alloc(R * this.H); this.dht = be.alloc(R * this.H);
    this.q = be.alloc(add ? R * this.K : 0); this.dq = be.alloc(add ? R * this.K : 0);
  }

  /** Whether keys are the encoder outputs themselves (dot) or a projection the caller stores. */
  get ownKeys(): boolean { return this.config.attention !== 'dot'; }

  /** keys [rows×K] = e W (+ b): general and additive; dot reads e itself. */
  keysForward(rows: number, enc: Buf, encOff: number, keys: Buf, keysOff: number): void {
    const kind = this.config.attention, P = this.params;
    if (kind === 'dot') return;
    const w = kind === 'general' ? 'attn_W.weight' : 'attn_Wk.weight';
    this.be.gemm(false, true, rows, this.K, this.E, 1, enc, encOff, this.E, P.data, P.offset(w), this.E, 0, keys, keysOff, this.K);
    if (kind === 'additive') this.be.addRowVector(keys, keysOff, rows, this.K, this.K, P.data, P.offset('attn_Wk.bias'));
  }

  /** The keys' gradient into the projection's parameters and the encoder outputs' gradient dEnc (added). */
  keysBackward(rows: number, enc: Buf, encOff: number, dKeys: Buf, dEnc: Buf): void {
    const kind = this.config.attention, P = this.params, G = this.grads, be = this.be, E = this.E, K = this.K;
    if (kind === 'dot') return;
    const w = kind === 'general' ? 'attn_W.weight' : 'attn_Wk.weight';
    be.gemm(true, false, K, E, rows, 1, dKeys, 0, K, enc, encOff, E, 1, G.data, G.offset(w), E);
    if (kind === 'additive') be.sumRows(dKeys, 0, rows, K, K, G.data, G.offset('attn_Wk.bias'));
    be.gemm(false, false, rows, E, K, 1, dKeys, 0, K, P.data, P.offset(w), E, 1, dEnc, 0, E);
  }

  /** Steps t0 … t0+n−1: weights, context and h~ for queries h (rows t·B + b, row width H). */
  forward(src: AttentionSource, qs: Queries, t0: number, n: number): void {
    const be = this.be, { S, B } = src, H = this.H, E = this.E, K = this.K, P = this.params.data;
    const r0 = t0 * B, rows = n * B, hOff = qs.hOff + r0 * H;
    if (this.config.attention === 'additive') {
      be.gemm(false, true, rows, K, H, 1, qs.h, hOff, H, P, this.params.offset('attn_Wq.weight'), H, 0, this.q, r0 * K, K);
      be.additiveScore(n, B, S, K, this.q, r0 * K, src.keys, src.keysOff, P, this.params.offset('attn_v.weight'), this.a, r0 * S);
    } else {
      for (let b = 0; b < B; b++) {
        be.gemm(false, true, n, S, K, 1, qs.h, hOff + b * H, B * H, src.keys, src.keysOff + b * K, B * K, 0, this.a, (r0 + b) * S, B * S);
      }
    }
    be.maskedSoftmax(n, B, S, this.a, r0 * S, this.a, r0 * S, src.lengths, 0);
    for (let b = 0; b < B; b++) {
      be.gemm(false, false, n, E, S, 1, this.a, (r0 + b) * S, B * S, src.enc, src.encOff + b * E, B * E, 0, this.ctx, (r0 + b) * E, B * E);
    }
    const wc = this.params.offset('attn_combine.weight');
    be.gemm(false, true, rows, H, E, 1, this.ctx, r0 * E, E, P, wc, E + H, 0, this.pre, r0 * H, H);
    be.gemm(false, true, rows, H, H, 1, qs.h, hOff, H, P, wc + E, E + H, 1, this.pre, r0 * H, H);
    be.elmanForward('tanh', rows, H, this.pre, r0 * H, this.pre, r0 * H, this.ht, r0 * H, null, 0);
  }

  /**
   * Backward of steps t0 … t0+n−1 from dh~ (in `dht`): adds into the parameters' gradients, the queries'
   * gradient (qs.dh), the encoder outputs' gradient dEnc [S·B×E] and the keys' gradient dKeys [S·B×K].
   */
  backward(src: AttentionSource, qs: Queries, t0: number, n: number, dEnc: Buf, dKeys: Buf): void {
    const be = this.be, { S, B } = src, H = this.H, E = this.E, K = this.K, P = this.params, G = this.grads;
    const r0 = t0 * B, rows = n * B, hOff = qs.hOff + r0 * H, dhOff = qs.dhOff + r0 * H;
    // dpre = (1 − h~²) dh~ (no mask: the dhPrev operand is never touched)
    be.elmanBackward('tanh', rows, H, this.ht, r0 * H, this.dht, r0 * H, this.dpre, r0 * H, this.dpre, r0 * H, null, 0);
    const wc = P.offset('attn_combine.weight'), gwc = G.offset('attn_combine.weight');
    be.gemm(true, false, H, E, rows, 1, this.dpre, r0 * H, H, this.ctx, r0 * E, E, 1, G.data, gwc, E + H);
    be.gemm(true, false, H, H, rows, 1, this.dpre, r0 * H, H, qs.h, hOff, H, 1, G.data, gwc + E, E + H);
    be.gemm(false, false, rows, E, H, 1, this.dpre, r0 * H, H, P.data, wc, E + H, 0, this.dctx, r0 * E, E);
    be.gemm(false, false, rows, H, H, 1, this.dpre, r0 * H, H, P.data, wc + E, E + H, 1, qs.dh, dhOff, H);
    for (let b = 0; b < B; b++) {
      const r = (r0 + b) * S, c = (r0 + b) * E;
      be.gemm(false, true, n, S, E, 1, this.dctx, c, B * E, src.enc, src.encOff + b * E, B * E, 0, this.da, r, B * S);
      be.gemm(true, false, S, E, n, 1, this.a, r, B * S, this.dctx, c, B * E, 1, dEnc, b * E, B * E);
    }
    be.softmaxBackward(rows, S, this.a, r0 * S, this.da, r0 * S, this.da, r0 * S, false);
    if (this.config.attention === 'additive') {
      const wq = P.offset('attn_Wq.weight');
      be.fill(this.dq, r0 * K, rows * K, 0);
      be.additiveScoreBackward(n, B, S, K, this.q, r0 * K, src.keys, src.keysOff, P.data, P.offset('attn_v.weight'), this.da, r0 * S,
        this.dq, r0 * K, dKeys, 0, G.data, G.offset('attn_v.weight'));
      be.gemm(true, false, K, H, rows, 1, this.dq, r0 * K, K, qs.h, hOff, H, 1, G.data, G.offset('attn_Wq.weight'), H);
      be.gemm(false, false, rows, H, K, 1, this.dq, r0 * K, K, P.data, wq, H, 1, qs.dh, dhOff, H);
      return;
    }
    for (let b = 0; b < B; b++) {
      const r = (r0 + b) * S;
      be.gemm(false, false, n, H, S, 1, this.da, r, B * S, src.keys, src.keysOff + b * K, B * K, 1, qs.dh, dhOff + b * H, B * H);
      be.gemm(true, false, S, K, n, 1, this.da, r, B * S, qs.h, hOff + b * H, B * H, 1, dKeys, b * K, B * K);
    }
  }
}
