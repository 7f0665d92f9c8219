/**
 * `recur play`: serve the built playground (web/dist) on localhost. A small static file server, no
 * framework: GET/HEAD of files under one folder, nothing else. It sends the cross-origin isolation
 * headers (COOP/COEP) so that the page may use SharedArrayBuffer (the threaded WASM backend), and a
 * content security policy as a second line of defence against script injection through user text.
 * No other site may frame the page (frame-ancestors, X-Frame-Options), and a request is answered only
 * when its Host header names the address the server is bound to: a web page whose DNS name is rebound
 * to 127.0.0.1 reaches the port, but under its own name, and is refused. It never opens a browser by
 * itself.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { intArg, run, UsageError } from './common.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** Sent with every response. COOP + COEP make the page cross-origin isolated (SharedArrayBuffer). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY', // for browsers without CSP frame-ancestors
  // Scripts only from the app itself (no inline script, so injected markup could not run even if it
  // reached the DOM); wasm compilation allowed; blob: for downloads; inline styles for charts.
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    + "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' blob: data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** web/dist next to this file's package: two folders up from src/cli/ (tsx) and from dist/cli/ (built). */
export function defaultAppDir(): string {
  return fileURLToPath(new URL('../../web/dist/', import.meta.url));
}

/** Refuse to serve a folder without the built app, saying how to build it. */
export async function checkBuilt(dir: string): Promise<void> {
  const index = join(dir, 'index.html');
  const st = await stat(index).catch(() => null);
  if (!st?.isFile()) throw new Error(`the playground is not built (no ${index}): run npm run build:web`);
}

export interface PlayServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start serving `root` on host:port (port 0 = any free port). Resolves once listening. */
export async function startPlayServer(opts: { root: string; port: number; host: string }): Promise<PlayServer> {
  await checkBuilt(opts.root);
  const root = await realpath(resolve(opts.root));
  let port = opts.port;
  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, opts.host, port)) return send(res, 421, 'unknown host: use the address recur play printed');
    handle(root, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(listenError(e, opts.host, opts.port)));
    server.listen(opts.port, opts.host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server, port, url: `http://${host}:${port}/`,
    close: () => new Promise<void>((ok) => { server.close(() => ok()); server.closeAllConnections(); }),
  };
}

const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];
const WILDCARD = ['0.0.0.0', '::'];

/**
 * Whether a request's Host header names this server: the bound address (any loopback name when it
 * is a loopback one), with the bound port. Bound to every interface, any IP address will do (there
 * is no name to check; a rebound DNS name is still refused). No Host header: refused.
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  if (!header) return false;
  let url: URL;
  try { url = new URL(`http://${header}`); } catch { return false; }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return false;
  if ((url.port === '' ? 80 : Number(url.port)) !== port) return false;
  const name = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const bound = boundHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (WILDCARD.includes(bound)) return isIP(name) !== 0 || name === 'localhost';
  if (LOOPBACK.includes(bound)) return LOOPBACK.includes(name);
  return name === bound;
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  if (e.code === 'EADDRINUSE') return new Error(`port ${port} on ${host} is already in use (choose another with --port, or --port 0 for any free one)`);
  if (e.code === 'EACCES') return new Error(`no permission to listen on port ${port} (ports below 1024 need privileges)`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return new Error(`cannot listen on host '${host}': no such local address`);
  return new Error(`cannot listen on ${host}:${port}: ${e.message}`);
}

function send(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(`${text}\n`);
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return send(res, 400, 'bad request');
  }
  if (path.includes('\0')) return send(res, 400, 'bad request');
  if (path.endsWith('/')) path += 'index.html';
  // resolve() collapses '..'; the realpath check below also catches symbolic links that leave the root.
  const file = resolve(root, `.${path}`);
  if (file !== root && !file.startsWith(root + sep)) return send(res, 404, 'not found');
  const real = await realpath(file).catch(() => null);
  if (!real || !real.startsWith(root + sep)) return send(res, 404, 'not found');
  const st = await stat(real).catch(() => null);
  if (!st?.isFile()) return send(res, 404, 'not found');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': MIME[extname(real).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(st.size),
    // Asset names carry a content hash, but index.html does not: always revalidate, simplest and safe.
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') { res.end(); return; }
  await new Promise<void>((ok, fail) => {
    createReadStream(real).on('error', fail).on('end', ok).pipe(res);
  });
}

export function register(program: Command): void {
  program
    .command('play')
    .description('Serve the browser playground on localhost (train and look inside an RNN live); opens nothing by itself.')
    .option('--port <n>', 'port to listen on (0 = any free port)', intArg(0, 65535), 4173)
    .option('--host <address>', 'address to listen on (127.0.0.1 keeps it on this machine)', '127.0.0.1')
    .option('--dir <path>', 'serve this build of the app instead of the bundled web/dist')
    .action(run(async (opts: { port: number; host: string; dir?: string }) => {
      if (opts.host.trim() === '') throw new UsageError('--host must not be empty');
      const root = opts.dir ? resolve(opts.dir) : defaultAppDir();
      const srv = await startPlayServer({ root, port: opts.port, host: opts.host });
      process.stdout.write(`recur playground: ${srv.url}\n`);
      if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
        process.stdout.write('note: listening beyond this machine; anyone who can reach it can use the playground\n');
      }
      process.stdout.write('press Ctrl-C to stop\n');
      const stop = (): void => { void srv.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }));
}
