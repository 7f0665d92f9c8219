/**
 * recur's public library API (platform-free: Node and browsers). The package's entries add loadModel
 * to it: browser.ts (browsers and bundlers) and node/library.ts (Node). Node-only helpers (backend
 * selection with native/WASM, files, built-in corpora) are in `recur/node`.
 */
export { RecurModel, type GenerateOptions, type StreamOptions, type ScoreOptions, type TrainOptions, type TrainResult } from './api/model.js';
export { evaluateStream, type EvalResult } from './tasks/lm-eval.js';
export { evaluateDynamic, gradientMeanSquares, DYNAMIC_DEFAULTS, type DynamicOptions, type DynamicSettings } from './tasks/lm-dynamic-eval.js';
export { defaultsFor, type LmDefaults } from './tasks/lm-defaults.js';
export { loadModelOn, type ModelSource, type LoadOptions, type LoadModel, type BackendChoice, type Host } from './api/load.js';
export { Sampler, generate, generateLines, type SampleOptions } from './tasks/sample.js';
export { decodeLm, encodeLm, type LoadedLm, type LmTask, type LmMode } from './tasks/lm-file.js';
export type { Backend, Buf, Activation } from './kernels/backend.js';
export { JsBackend } from './kernels/js.js';
export { makeConfig, ConfigError, DEFAULT_CONFIG, type ModelConfig, type CellType, type H0Mode } from './nn/config.js';
export { Model, tensorSpecs, type Batch, type RecurrentState, type ForwardOptions, type BackwardOptions } from './nn/model.js';
export { Params, type TensorSpec, type TensorView } from './nn/params.js';
export { Optimizer, OPTIMIZERS, type OptimizerName, type OptimizerOptions } from './train/optim.js';
export { Trainer, DivergedError, type Trainable, type TrainerOptions, type StepStats } from './train/trainer.js';
export { TrainLoop, TrainingDiverged, type Budget, type LoopOptions, type StepReport } from './train/loop.js';
export { scheduledLr, type Schedule, type ScheduleName } from './train/schedule.js';
export { clipByNorm, clipByValue, gradNorm } from './train/clip.js';
export { chunks, sliceTime } from './train/bptt.js';
export { encodeModel, decodeModel, restoreOptimizer } from './io/model-file.js';
export { encodeSeq2Seq, decodeSeq2Seq } from './io/seq2seq-file.js';
export { encodeSafetensors, decodeSafetensors, ModelFileError } from './io/safetensors.js';
export { eigenvalues, spectralRadius, singularValues, powerNorms, analyzeMatrix } from './analysis/spectrum.js';
export { Vocab, StreamBatcher, decodeUtf8Strict } from './data/text.js';
export { CharTokenizer, ByteTokenizer, WordTokenizer, BpeTokenizer, tokenizerFromJSON, TOKEN_KINDS, type Tokenizer, type TokenKind } from './data/tokens/index.js';
export { buildTokenizer } from './data/tokens/build.js';
export { Rng } from './util/rng.js';
export { Seq2Seq, type DecodeState } from './nn/seq2seq/model.js';
export { makeSeq2SeqConfig, seq2seqSpecs, PAD, BOS, EOS, UNK, type Seq2SeqConfig, type Seq2SeqCell, type AttentionKind } from './nn/seq2seq/config.js';
export { makePairBatch, type PairBatch } from './nn/seq2seq/batch.js';
export { greedy, beam } from './nn/seq2seq/decode.js';
