/**
 * The sequence-to-sequence model of the reference (tools/seq2seq_reference.py), composed from the nn parts:
 *
 *   encoder   src_embedding → Stack 'encoder' (masks: padded source steps hold the state, so each direction
 *             ends at the sequence's own last step, as PyTorch's packed sequences)
 *   bridge    the encoder's final state → the decoder's initial state (bridge.ts)
 *   decoder   tgt_embedding (+ h~_{t−1} with input feeding) → Stack 'decoder', teacher-forced
 *   attention over the encoder's outputs (attention.ts), h~_t = tanh(W_c [c_t; h_t])
 *   out       logits_t = out(h~_t) (or out(h_t) without attention);  loss = mean cross-entropy over non-PAD targets
 *
 * Without input feeding the decoder runs layer by layer over the whole target and attention over all steps
 * at once; with it, step t's input needs h~_{t−1}, so the decoder, attention and their backward run step by
 * step. Decoding (start/step/reorder) runs the same parts one step at a time on a DecodeState.
 */
import { release, type Backend, type Buf } from '../../kernels/backend.js';
import type { Rng } from '../../util/rng.js';
import { Decoder } from '../heads.js';
import { Inputs } from '../inputs.js';
import { crossEntropy } from '../loss.js';
import { Params } from '../params.js';
import { Stack } from '../stack.js';
import { Attention, type AttentionSource, type Queries } from './attention.js';
import type { PairBatch } from './batch.js';
import { Bridge } from './bridge.js';
import { decoderInput, decoderStack, encoderStack, encoderWidth, makeSeq2SeqConfig, PAD, seq2seqSpecs, type Seq2SeqConfig } from './config.js';
import { initSeq2Seq } from './init.js';

/** A batch being decoded: the encoder's outputs and keys, each layer's state, h~_{t−1} (input feeding). */
export interface DecodeState {
  B: number;
  S: number;
  srcLen: Int32Array;
  /** [S·B×E] encoder outputs and [S·B×K] keys (row s·B + b). */
  enc: Buf;
  keys: Buf;
  /** Per decoder layer [B×H]: h, and c (LSTM). */
  h: Buf[];
  c: Buf[];
  /** h~ of the previous step [B×H] (zeros at the start). */
  prev: Buf;
  /** Room for the largest of these buffers, which reorder gathers through (beam search reorders every step). */
  scratch: Buf;
}

export class Seq2Seq {
  readonly config: Seq2SeqConfig;
  readonly params: Params;
  readonly grads: Params;
  readonly encoder: Stack;
  readonly decoder: Stack;
  private readonly srcInputs: Inputs;
  private readonly bridge: Bridge;
  private readonly att: Attention | null;
  /** A second attention with buffers for one step (decoding), sharing the parameters. */
  private readonly stepAtt: Attention | null;
  private readonly out: Decoder;
  private readonly E: number;
  private readonly W0: number;
  private S = 0;
  private T = 0;
  private B = 0;
  // Buffers sized for the largest batch seen (reused).
  private x0: Buf;          // decoder layer 0 input [T·B×W0]: emb(y), and h~_{t−1} with input feeding
  private dx0: Buf;
  private keys: Buf;        // [S·B×K]
  private dKeys: Buf;
  private dEnc: Buf;        // [S·B×E]
  private logits: Buf;      // [T·B×V]
  private dlogits: Buf;
  private zeros: Buf;       // [B×H] the encoder's initial state
  private mask: Buf;        // [S·B] 1 = real source step
  private targets = new Int32Array(0);
  private none = new Int32Array(0);  // B ids −1: gathers zero rows
  private iota = new Int32Array(0);  // 0, 1, 2, …: gathers rows of a time-major block
  private cap = { rows: -1, srcRows: -1, B: -1, S: -1 };
  private src: AttentionSource;
  private lastTrain = false;
  private lastTgtIn: Int32Array | null = null;
  private readonly tgtTable: Buf;
  private readonly dTgtTable: Buf;

  constructor(config: Partial<Seq2SeqConfig>, readonly be: Backend) {
    const c = (this.config = makeSeq2SeqConfig(config)), specs = seq2seqSpecs(c);
    // parameters and their gradients: the same tensors, the reference's state_dict
    this.params = new Params(specs, be); this.grads = new Params(specs, be);
    this.encoder = new Stack(encoderStack(c), be, this.params, this.grads);
    this.decoder = new Stack(decoderStack(c), be, this.params, this.grads);
    this.srcInputs = new Inputs({ kind: 'tokens', size: c.src_vocab, embed: c.embed, name: 'src_embedding' }, be, this.params, this.grads);
    this.bridge = new Bridge(be, this.params, this.grads, c.hidden, c.bidirectional, c.cell === 'lstm');
    this.att = c.attention === 'none' ? null : new Attention(be, this.params, this.grads, c);
    this.stepAtt = c.attention === 'none' ? null : new Attention(be, this.params, this.grads, c);
    this.out = new Decoder(be, this.params, this.grads, c.hidden, c.tgt_vocab, 'out');
    this.tgtTable = this.params.get('tgt_embedding.weight');
    this.dTgtTable = this.grads.get('tgt_embedding.weight');
    this.E = encoderWidth(c);
    this.W0 = decoderInput(c);
    const z = be.alloc(0);
    this.x0 = this.dx0 = this.keys = this.dKeys = this.dEnc = this.logits = this.dlogits = this.zeros = this.mask = z;
    this.src = { S: 0, B: 0, enc: z, encOff: 0, keys: z, keysOff: 0, lengths: new Int32Array(0) };
  }

  /** PyTorch's default initialisation of each module (init.ts). */
  init(rng: Rng): this { initSeq2Seq(this.params, this.config, rng); return this; }

  zeroGrads(): void { this.be.fill(this.grads.data, 0, this.grads.size, 0); }

  free(): void {
    release(this.be, [this.x0, this.dx0, this.keys, this.dKeys, this.dEnc, this.logits, this.dlogits, this.zeros, this.mask]);
  }

  private get keyWidth(): number { return this.att ? this.att.K : 0; }

  private ensure(S: number, T: number, B: number): void {
    const c = this.config, be = this.be, H = c.hidden, cap = this.cap;
    this.S = S; this.T = T; this.B = B;
    this.encoder.ensure(S, B);
    this.decoder.ensure(T, B);
    this.att?.ensure(T * B, S);
    if (T * B <= cap.rows && S * B <= cap.srcRows && B <= cap.B && S <= cap.S) return;
    cap.rows = Math.max(cap.rows, T * B); cap.srcRows = Math.max(cap.srcRows, S * B); cap.B = Math.max(cap.B, B); cap.S = Math.max(cap.S, S);
    release(be, [this.x0, this.dx0, this.keys, this.dKeys, this.dEnc, this.logits, this.dlogits, this.zeros, this.mask]);
    const R = cap.rows, SR = cap.srcRows, K = this.keyWidth;
    this.x0 = be.alloc(R * this.W0); this.dx0 = be.alloc(R * this.W0);
    this.keys = be.alloc(SR * K); this.dKeys = be.alloc(SR * K); this.dEnc = be.alloc(SR * this.E);
    this.logits = be.alloc(R * c.tgt_vocab); this.dlogits = be.alloc(R * c.tgt_vocab);
    this.zeros = be.alloc(cap.B * H); this.mask = be.alloc(SR);
    this.targets = new Int32Array(R);
    this.none = new Int32Array(cap.B).fill(-1);
    this.iota = Int32Array.from({ length: Math.max(R, cap.B) }, (_, i) => i);
  }

  // ---------------------------------------------------------------------------------------------- encoder
  /** Checks the source, runs the encoder, its keys and the bridge (the decoder sized for T steps). */
  private encode(src: Int32Array, srcLen: Int32Array, S: number, B: number, T: number): void {
    const c = this.config;
    if (!(S > 0 && B > 0 && T > 0)) throw new Error('a batch needs at least one source step, one target step and one pair');
    if (src.length < S * B || srcLen.length < B) throw new Error(`expected ${S * B} source ids and ${B} lengths`);
    this.ensure(S, T, B);
    this.lastTrain = false;  // the buffers backward reads are about to change
    for (let b = 0; b < B; b++) {
      const n = srcLen[b];
      if (!(Number.isInteger(n) && n >= 1 && n <= S)) throw new Error(`source ${b} has length ${n}, outside 1…${S}`);
      for (let s = 0; s < S; s++) this.mask[s * B + b] = s < n ? 1 : 0;
    }
    const enc = this.encoder;
    enc.setMask(this.mask);
    enc.setInputs(this.srcInputs.read(S * B, src, undefined, this.mask));
    for (const layer of enc.all) { layer.setInitial(this.zeros); layer.extra?.setInitial(this.zeros); }
    enc.forwardLayers();
    const L = c.layers - 1, encBuf = enc.outBuf(L), encOff = enc.outOff(L);
    this.src = { S, B, enc: encBuf, encOff, keys: encBuf, keysOff: encOff, lengths: srcLen };
    if (this.att?.ownKeys) {
      this.att.keysForward(S * B, encBuf, encOff, this.keys, 0);
      this.src.keys = this.keys; this.src.keysOff = 0;
    }
    this.decoder.setMask(null);
    this.bridge.forward(enc, this.decoder, B);
  }

  // ---------------------------------------------------------------------------------------------- forward
  /** Mean cross-entropy over non-PAD target steps (nats/token), like the reference's loss(). */
  forward(b: PairBatch, opts: { train?: boolean } = {}): { loss: number; count: number } {
    const c = this.config, be = this.be, { S, T, B } = b, V = c.tgt_vocab, E = c.embed, W0 = this.W0, H = c.hidden;
    if (b.tgtIn.length < T * B || b.tgtOut.length < T * B) throw new Error(`expected ${T * B} target ids`);
    this.encode(b.src, b.srcLen, S, B, T);
    for (let i = 0; i < T * B; i++) {
      const yi = b.tgtIn[i], yo = b.tgtOut[i];
      if (!(Number.isInteger(yi) && yi >= 0 && yi < V)) throw new Error(`target id ${yi} at position ${i} is outside the vocabulary of ${V}`);
      if (!(Number.isInteger(yo) && yo >= 0 && yo < V)) throw new Error(`target id ${yo} at position ${i} is outside the vocabulary of ${V}`);
      this.targets[i] = yo === PAD ? -1 : yo;
    }
    const dec = this.decoder, L = c.layers - 1, rows = T * B;
    be.gatherRows(this.tgtTable, E, b.tgtIn, 0, rows, this.x0, 0, W0, 0);
    dec.setInputs({ kind: 'dense', buf: this.x0, off: 0, ld: W0 });
    const att = this.att, qs = this.queries();
    if (!c.input_feeding) {
      dec.forwardLayers();
      att?.forward(this.src, qs, 0, T);
    } else {
      for (let t = 0; t < T; t++) {
        // x0[t] = [emb(y_t); h~_{t−1}], h~_{−1} = 0
        be.gatherRows(t === 0 ? this.zeros : att!.ht, H, t === 0 ? this.none : this.iota, t === 0 ? 0 : (t - 1) * B, B, this.x0, t * B * W0 + E, W0, 0);
        for (const row of dec.layers) { row[0].project(t, t + 1); row[0].forwardStep(t); }
        att!.forward(this.src, qs, t, 1);
      }
    }
    const feat = att ? att.ht : dec.outBuf(L), featOff = att ? 0 : dec.outOff(L);
    this.out.forward(rows, feat, featOff, H, this.logits, 0);
    const loss = crossEntropy(be, rows, V, this.logits, this.targets.subarray(0, rows), opts.train ? this.dlogits : null);
    this.lastTrain = opts.train ?? false;
    this.lastTgtIn = b.tgtIn;
    return { loss: loss.loss, count: loss.count };
  }

  /** The decoder's top output and where its gradient goes. */
  private queries(): Queries {
    const top = this.decoder.top[0];
    return { h: top.hs, hOff: top.outOff(), dh: top.dhs, dhOff: top.outOff() };
  }

  // --------------------------------------------------------------------------------------------- backward
  /** Gradients of the last forward(train) into grads (added). */
  backward(): void {
    if (!this.lastTrain) throw new Error('backward needs a forward pass with train: true');
    const c = this.config, be = this.be, { S, T, B } = this, H = c.hidden, E = c.embed, W0 = this.W0, rows = T * B;
    const enc = this.encoder, dec = this.decoder, att = this.att, L = c.layers - 1, qs = this.queries();
    enc.beginBackward(); dec.beginBackward();
    if (att) {
      be.fill(this.dEnc, 0, S * B * this.E, 0);
      if (att.ownKeys) be.fill(this.dKeys, 0, S * B * att.K, 0);
      this.out.backwardParams(rows, this.dlogits, 0, att.ht, 0, H);
      this.out.backwardInput(rows, this.dlogits, 0, att.dht, 0, H, 0);
    } else {
      this.out.backwardParams(rows, this.dlogits, 0, dec.outBuf(L), dec.outOff(L), H);
      const g = dec.gradTarget(L);
      this.out.backwardInput(rows, this.dlogits, 0, g.buf, g.off, g.ld, g.beta);
    }
    const dKeys = att?.ownKeys ? this.dKeys : this.dEnc;
    if (!c.input_feeding) {
      att?.backward(this.src, qs, 0, T, this.dEnc, dKeys);
      dec.backwardLayers();
    } else {
      const l0 = dec.layers[0][0], wih = this.params.offset(l0.names.wih), GH = l0.G * H;
      for (let t = T - 1; t >= 0; t--) {
        // h~_t also fed step t+1: dh~_t += dxw_{t+1} W_ih[:, E:]
        if (t < T - 1) be.gemm(false, false, B, H, GH, 1, l0.dxw, (t + 1) * B * GH, GH, this.params.data, wih + E, W0, 1, att!.dht, t * B * H, H);
        att!.backward(this.src, qs, t, 1, this.dEnc, dKeys);
        for (let l = L; l >= 0; l--) {
          dec.layers[l][0].backwardStep(t);
          if (l > 0) dec.backInputStep(l, t);
        }
      }
      dec.paramGrads();
    }
    // the target embedding: the decoder's input gradient, its first E columns
    dec.inputGrad(0, this.dx0, 0, W0, 0);
    const tgtIn = this.lastTgtIn!;
    be.scatterAddRows(this.dx0, 0, W0, tgtIn, 0, rows, this.dTgtTable, E);
    this.bridge.backward(enc, dec);
    if (att) {
      if (att.ownKeys) att.keysBackward(S * B, this.src.enc, this.src.encOff, this.dKeys, this.dEnc);
      const g = enc.gradTarget(L);
      if (g.beta === 0) be.copy(S * B * this.E, this.dEnc, 0, g.buf, g.off);
      else be.axpy(S * B * this.E, 1, this.dEnc, 0, g.buf, g.off);
      enc.spreadGrad(L);
    }
    enc.backwardLayers();
    this.srcInputs.backward(enc, false);
    this.lastTrain = false;
  }

  /** Attention weights of the last forward, [B, T, S] row-major (a copy), or null without attention. */
  attention(): Float32Array | null {
    if (!this.att) return null;
    const { S, T, B } = this, out = new Float32Array(B * T * S), a = this.att.a;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) out[(b * T + t) * S + s] = a[(t * B + b) * S + s];
    return out;
  }

  // --------------------------------------------------------------------------------------------- decoding
  /** Runs the encoder and the bridge over B sources of S steps (time-major, as PairBatch.src). */
  start(src: Int32Array, srcLen: Int32Array, B: number, S: number): DecodeState {
    const c = this.config, be = this.be, H = c.hidden, E = this.E;
    this.encode(src, srcLen, S, B, 1);
    const K = this.att?.ownKeys ? this.att.K : 0;
    const st: DecodeState = {
      B, S, srcLen: Int32Array.from(srcLen.subarray(0, B)), enc: be.alloc(S * B * E), keys: be.alloc(S * B * K),
      h: [], c: [], prev: be.alloc(B * H), scratch: be.alloc(S * B * Math.max(E, K, H)),
    };
    be.copy(S * B * E, this.src.enc, this.src.encOff, st.enc, 0);
    if (K > 0) be.copy(S * B * K, this.keys, 0, st.keys, 0);
    else st.keys = st.enc;
    for (let l = 0; l < c.layers; l++) {
      st.h.push(be.alloc(B * H));
      be.copy(B * H, this.bridge.handed(0, l), 0, st.h[l], 0);
      if (c.cell === 'lstm') { st.c.push(be.alloc(B * H)); be.copy(B * H, this.bridge.handed(1, l), 0, st.c[l], 0); }
    }
    return st;
  }

  /** One decoder step for every row of st from the given tokens: logits [B×V] and weights [B×S] (copies). */
  step(st: DecodeState, tokens: Int32Array): { logits: Float32Array; attention: Float32Array | null } {
    const c = this.config, be = this.be, { B, S } = st, H = c.hidden, V = c.tgt_vocab, W0 = this.W0;
    if (tokens.length < B) throw new Error(`expected ${B} tokens`);
    for (let b = 0; b < B; b++) if (!(Number.isInteger(tokens[b]) && tokens[b] >= 0 && tokens[b] < V)) throw new Error(`token id ${tokens[b]} is outside the vocabulary of ${V}`);
    this.ensure(S, 1, B);
    this.lastTrain = false;
    this.stepAtt?.ensure(B, S);
    const dec = this.decoder;
    dec.setMask(null);
    be.gatherRows(this.tgtTable, c.embed, tokens, 0, B, this.x0, 0, W0, 0);
    if (c.input_feeding) be.gatherRows(st.prev, H, this.iota, 0, B, this.x0, c.embed, W0, 0);
    dec.setInputs({ kind: 'dense', buf: this.x0, off: 0, ld: W0 });
    dec.layers.forEach((row, l) => {
      const layer = row[0];
      layer.setInitial(st.h[l]);
      if (layer.extra) layer.extra.setInitial(st.c[l]);
      layer.project(0, 1);
      layer.forwardStep(0);
      layer.getFinal(st.h[l]);
      if (layer.extra) layer.extra.getFinal(st.c[l]);
    });
    const att = this.stepAtt, top = dec.top[0];
    if (att) {
      att.forward({ S, B, enc: st.enc, encOff: 0, keys: st.keys, keysOff: 0, lengths: st.srcLen }, { h: top.hs, hOff: top.outOff(), dh: top.dhs, dhOff: top.outOff() }, 0, 1);
      if (c.input_feeding) be.copy(B * H, att.ht, 0, st.prev, 0);
    }
    this.out.forward(B, att ? att.ht : top.hs, att ? 0 : top.outOff(), H, this.logits, 0);
    return { logits: Float32Array.from(this.logits.subarray(0, B * V)), attention: att ? Float32Array.from(att.a.subarray(0, B * S)) : null };
  }

  /** st row i := old row rows[i] (beam search keeps the rows of its surviving hypotheses). */
  reorder(st: DecodeState, rows: Int32Array): void {
    const be = this.be, { B, S } = st, H = this.config.hidden;
    if (rows.length !== B) throw new Error(`reorder needs ${B} rows`);
    for (let i = 0; i < B; i++) if (!(rows[i] >= 0 && rows[i] < B)) throw new Error(`row ${rows[i]} is outside 0…${B - 1}`);
    const ids = new Int32Array(S * B);
    for (let s = 0; s < S; s++) for (let i = 0; i < B; i++) ids[s * B + i] = s * B + rows[i];
    const gather = (buf: Buf, width: number, n: number, which: Int32Array): void => {
      if (width === 0) return;
      be.gatherRows(buf, width, which, 0, n, st.scratch, 0, width, 0);
      be.copy(n * width, st.scratch, 0, buf, 0);
    };
    for (const buf of [...st.h, ...st.c, st.prev]) gather(buf, H, B, rows);
    gather(st.enc, this.E, S * B, ids);
    if (st.keys !== st.enc) gather(st.keys, this.att!.K, S * B, ids);
    st.srcLen = Int32Array.from(rows, (r) => st.srcLen[r]);
  }

  /** Give a decode state's buffers back to the backend. */
  freeState(st: DecodeState): void {
    release(this.be, [...st.h, ...st.c, st.prev, st.scratch, st.enc, ...(st.keys !== st.enc ? [st.keys] : [])]);
  }
}
