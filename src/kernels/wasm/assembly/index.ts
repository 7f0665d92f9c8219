/**
 * The wasm module's exports: every kernel of the Backend interface over byte addresses in one (shared) memory.
 * The module owns no memory of its own (stub runtime, no allocation): the JS side allocates, and threads call the
 * same exports on their own part of the work (the trailing `part, nparts` arguments).
 */
export { gemm, gemmScratchBytes } from './gemm';
export { addRowVector, sumRows, gatherRows, scatterAddRows, gatherCols, scatterAddCols } from './rows';
export { elmanForward, elmanBackward, lstmForward, lstmBackward, gruForward, gruBackward } from './cells';
export { softmax, softmaxBackward, softmaxCrossEntropy, squaredError, sumF64 } from './loss';
export { fill, copy, axpy, scale, mul, clampAbs, sumSquares, sumSquaresBlock } from './vector';
export { sgdStep, adagradStep, rmspropStep, adamStep } from './optim';
export { expInto, tanhInto, sigmoidInto } from './probe';
export { maskedSoftmax, additiveScore, additiveScoreBackward } from './attention';

/** First byte the JS allocator may use. */
export function heapBase(): usize {
  return __heap_base;
}

export { gruResetGates, gruResetUpdate, gruResetUpdateBackward, gruResetGatesBackward } from './gru-reset';
export { lstmPeepholeForward, lstmPeepholeBackward, lstmPeepholeGrads } from './lstm-peephole';
