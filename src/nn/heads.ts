/**
 * The linear decoder (PyTorch's `decoder = nn.Linear(D·H, O)`) applied to rows of hidden features:
 *   logits = F Vᵀ + c                          (forward)
 *   dF = dlogits V,  dV += dlogitsᵀ F,  dc += Σ_rows dlogits   (backward)
 */
import type { Backend, Buf } from '../kernels/backend.js';
import type { Params } from './params.js';
import type { LinearOperand } from './softmax-blocks.js';

export class Decoder {
  private readonly weight: string;
  private readonly bias: string;

  /** `name`: the module's name in tensor names (`decoder` → `decoder.weight`, `decoder.bias`). */
  constructor(readonly be: Backend, readonly params: Params, readonly grads: Params, readonly inSize: number, readonly outSize: number,
    readonly name = 'decoder') {
    this.weight = `${name}.weight`;
    this.bias = `${name}.bias`;
  }

  /** The weight and bias as operands (buffer + offset), for the blocked softmax head (softmax-blocks.ts). */
  linear(): LinearOperand { return operand(this.params, this.weight, this.bias); }
  /** Their gradients, the same way. */
  linearGrad(): LinearOperand { return operand(this.grads, this.weight, this.bias); }

  forward(rows: number, F: Buf, fOff: number, ldf: number, logits: Buf, lOff: number): void {
    const P = this.params;
    this.be.gemm(false, true, rows, this.outSize, this.inSize, 1, F, fOff, ldf, P.data, P.offset(this.weight), this.inSize,
      0, logits, lOff, this.outSize);
    this.be.addRowVector(logits, lOff, rows, this.outSize, this.outSize, P.data, P.offset(this.bias));
  }

  /** dF (+)= dlogits V (beta = 1 accumulates into dF). */
  backwardInput(rows: number, dlogits: Buf, dOff: number, dF: Buf, dfOff: number, lddf: number, beta: number): void {
    const P = this.params;
    this.be.gemm(false, false, rows, this.inSize, this.outSize, 1, dlogits, dOff, this.outSize, P.data, P.offset(this.weight), this.inSize,
      beta, dF, dfOff, lddf);
  }

  backwardParams(rows: number, dlogits: Buf, dOff: number, F: Buf, fOff: number, ldf: number): void {
    const G = this.grads;
    this.be.gemm(true, false, this.outSize, this.inSize, rows, 1, dlogits, dOff, this.outSize, F, fOff, ldf, 1, G.data, G.offset(this.weight), this.inSize);
    this.be.sumRows(dlogits, dOff, rows, this.outSize, this.outSize, G.data, G.offset(this.bias));
  }
}

const operand = (P: Params, weight: string, bias: string): LinearOperand =>
  ({ w: P.data, wOff: P.offset(weight), b: P.data, bOff: P.offset(bias) });
