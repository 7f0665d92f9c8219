/** The value types of the kernel boundary, shared by the interface (backend.ts) and the generated code. */

export type Buf = Float32Array | Float64Array;
export type DType = 'f32' | 'f64';

/** Elementwise nonlinearity of an Elman cell. */
export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'identity';
export const ACTIVATION_CODE: Record<Activation, number> = { tanh: 0, sigmoid: 1, relu: 2, identity: 3 };

/** The integer the compiled kernels take for an activation (a typo from untyped callers throws here). */
export function activationCode(act: Activation): number {
  const code = ACTIVATION_CODE[act];
  if (code === undefined) throw new Error(`unknown activation '${act}'`);
  return code;
}

/** Elements spanned by a rows×cols matrix with leading dimension ld. */
export const extent = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);
