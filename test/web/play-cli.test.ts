/**
 * `recur play`: the static server behind the playground (headers for cross-origin isolation, no
 * file outside the app folder ever served) and the command's messages when it cannot start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPlayServer } from '../../src/cli/play.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fake built app: index.html and an asset, with a secret file next to (outside) it. */
function fakeApp(): { base: string; dir: string } {
  const base = mkdtempSync(join(tmpdir(), 'recur-play-'));
  const dir = join(base, 'dist');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>fake recur app</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'do not serve me');
  symlinkSync(join(base, 'secret.txt'), join(dir, 'link.txt'));
  return { base, dir };
}

/** A raw request (no URL normalisation by the client, so '..' reaches the server as sent). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

interface CliRun { code: number | null; stdout: string; stderr: string; kill: () => void; exited: Promise<number | null> }

/** Run the CLI until it exits, or (with `untilLine`) until its output matches, leaving it running. */
function runCli(args: string[], untilLine?: RegExp): Promise<CliRun> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let stdout = '', stderr = '', done = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`recur ${args.join(' ')} timed out; stderr: ${stderr}`)); }, 30_000);
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ok({ code, stdout, stderr, kill: () => child.kill('SIGTERM'), exited });
    };
    child.stdout.on('data', (c: Buffer) => { stdout += c; if (untilLine?.test(stdout)) finish(null); });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    child.on('exit', (code) => finish(code));
  });
}

test('serves the app with cross-origin isolation headers and nothing outside its folder', async () => {
  const { base, dir } = fakeApp();
  const srv = await startPlayServer({ root: dir, port: 0, host: '127.0.0.1' });
  try {
    const index = await get(srv.port, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /fake recur app/);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(index.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.match(String(index.headers['content-security-policy']), /script-src 'self'/);
    const js = await get(srv.port, '/assets/app.js?v=1');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal((await get(srv.port, '/assets/app.js', 'HEAD')).status, 200);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/link.txt', '/missing.js', '/assets/', '/%00', '/%E0%A4%A']) {
      const r = await get(srv.port, path);
      assert.ok(r.status === 404 || r.status === 400, `${path}: status ${r.status}`);
      assert.doesNotMatch(r.body, /do not serve me/, path);
    }
    const post = await get(srv.port, '/', 'POST');
    assert.equal(post.status, 405);
  } finally {
    await srv.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('recur play prints its URL, serves, and stops cleanly on SIGTERM', async () => {
  const { base, dir } = fakeApp();
  try {
    const r = await runCli(['play', '--port', '0', '--dir', dir], /press Ctrl-C/);
    const m = /recur playground: http:\/\/127\.0\.0\.1:(\d+)\//.exec(r.stdout);
    assert.ok(m, `no URL in: ${r.stdout}`);
    const res = await get(Number(m[1]), '/index.html');
    assert.equal(res.status, 200);
    assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin');
    r.kill();
    assert.equal(await r.exited, 0);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('recur play explains what is wrong in one line', async () => {
  const missing = await runCli(['play', '--port', '0', '--dir', join(tmpdir(), 'recur-no-such-app')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^recur: the playground is not built \(no .*index\.html\): run npm run build:web\n$/);

  const badPort = await runCli(['play', '--port', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /expected an integer in 0…65535, got 70000/);

  const { base, dir } = fakeApp();
  const busy = await startPlayServer({ root: dir, port: 0, host: '127.0.0.1' });
  try {
    const taken = await runCli(['play', '--port', String(busy.port), '--dir', dir]);
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr.trim().split('\n').length, 1);
    assert.match(taken.stderr, new RegExp(`port ${busy.port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    await busy.close();
    rmSync(base, { recursive: true, force: true });
  }
});
