/**
 * recur for browsers and bundlers (the package's default entry): the platform-free library of
 * index.ts plus loadModel on the SIMD WebAssembly kernels (threads when the page is cross-origin
 * isolated). Node resolves `recur` to src/node/library.ts instead, whose loadModel also reads paths and
 * takes the native kernels.
 */
export * from './index.js';
export { loadModel, createWebBackend, createWebWasmBackend, defaultWebThreads, type WebBackendOptions } from './api/web.js';
