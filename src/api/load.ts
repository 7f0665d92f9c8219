/**
 * loadModel: a recur character model from wherever it is (bytes, a Blob or File, a URL, or in Node a
 * path) onto the fastest backend the host has. The host says how to read a source and which backends
 * exist; web.ts is the browser's, src/node/library.ts Node's. Platform-free.
 */
import type { Backend } from '../kernels/backend.js';
import { decodeLm } from '../tasks/lm-file.js';
import { RecurModel } from './model.js';

/** Where a model comes from: its bytes, a Blob/File, a URL (or URL string; in Node also a file path). */
export type ModelSource = Uint8Array | ArrayBuffer | Blob | URL | string;

/** Which kernels to run on: 'auto' takes the fastest the host has (Node: native, wasm, js; browser: wasm, js). */
export type BackendChoice = 'auto' | 'native' | 'wasm' | 'js';

export interface LoadOptions {
  /** Kernels to use (default 'auto'), or a backend made by the caller (shared between models, never disposed by them). */
  backend?: BackendChoice | Backend;
  /** Kernel threads (default: the host's choice; in a browser page one unless it is cross-origin isolated). */
  threads?: number;
}

/** What loadModel needs from the platform it runs on. */
export interface Host {
  /** The bytes of a source that is not already bytes or a Blob (a URL or a string). */
  read(source: URL | string): Promise<Uint8Array>;
  createBackend(choice: BackendChoice, threads: number | undefined): Promise<Backend>;
}

/** The signature of loadModel, the same in every entry (browser and Node). */
export type LoadModel = (source: ModelSource, opts?: LoadOptions) => Promise<RecurModel>;

/** Bytes of a URL fetched with the platform's fetch; a failed response is an error naming the URL and status. */
export async function fetchBytes(url: URL | string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load the model from ${String(url)}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function bytesOf(host: Host, source: ModelSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (typeof source === 'string' || source instanceof URL) return host.read(source);
  throw new TypeError('loadModel needs bytes, a Blob or File, a URL or a string');
}

/** loadModel on a given host (the entries bind it to theirs). */
export async function loadModelOn(host: Host, source: ModelSource, opts: LoadOptions = {}): Promise<RecurModel> {
  const bytes = await bytesOf(host, source);
  const given = typeof opts.backend === 'object' ? opts.backend : null;
  const be = given ?? await host.createBackend((opts.backend as BackendChoice | undefined) ?? 'auto', opts.threads);
  try {
    return new RecurModel(decodeLm(bytes, be), given === null);
  } catch (e) {
    if (given === null) await (be as Backend & { dispose?: () => Promise<void> }).dispose?.();
    throw e;
  }
}
