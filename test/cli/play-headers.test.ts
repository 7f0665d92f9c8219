/**
 * The playground server against framing and DNS rebinding: every answer forbids framing, and a
 * request whose Host header does not name the bound address is refused before any file is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostAllowed, SECURITY_HEADERS, startPlayServer } from '../../src/cli/play.js';

/** GET / with a given Host header (fetch would not let us choose it). */
function get(port: number, host: string | null): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = host === null ? {} : { Host: host };
    const req = request({ host: '127.0.0.1', port, path: '/', headers, setHost: host !== null }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail).end();
  });
}

test('no framing by other sites: CSP frame-ancestors and X-Frame-Options on every answer', async () => {
  assert.match(SECURITY_HEADERS['Content-Security-Policy'], /frame-ancestors 'none'/);
  assert.equal(SECURITY_HEADERS['X-Frame-Options'], 'DENY');
  const root = mkdtempSync(join(tmpdir(), 'recur-play-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const srv = await startPlayServer({ root, port: 0, host: '127.0.0.1' });
  try {
    const p = srv.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) {
      const r = await get(p, host);
      assert.equal(r.status, 200, host);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(r.headers['x-frame-options'], 'DENY');
    }
    // A rebound DNS name, another port, no Host at all, junk: refused, and the refusal is not framable either.
    for (const host of [`evil.example:${p}`, `127.0.0.1:${p + 1}`, '127.0.0.1', `localhost.evil.example:${p}`, `user@127.0.0.1:${p}`, null]) {
      const r = await get(p, host);
      // Node itself answers 400 to an HTTP/1.1 request without Host; ours is 421.
      assert.equal(r.status, host === null ? 400 : 421, String(host));
      if (host === null) continue;
      assert.doesNotMatch(r.body, /doctype/, 'the page is not served');
      assert.equal(r.headers['x-frame-options'], 'DENY');
    }
  } finally {
    await srv.close();
  }
});

test('hostAllowed: the bound address and port; loopback names for a loopback bind; IP literals for a wildcard bind', () => {
  assert.ok(hostAllowed('127.0.0.1:4173', '127.0.0.1', 4173));
  assert.ok(hostAllowed('localhost:4173', '::1', 4173));
  assert.ok(!hostAllowed('attacker.example:4173', '127.0.0.1', 4173));
  assert.ok(!hostAllowed('127.0.0.1:80', '127.0.0.1', 4173));
  assert.ok(hostAllowed('localhost', 'localhost', 80), 'port 80 is implied');
  assert.ok(hostAllowed('192.168.1.5:8080', '0.0.0.0', 8080));
  assert.ok(hostAllowed('[fe80::1]:8080', '::', 8080));
  assert.ok(!hostAllowed('rebound.example:8080', '0.0.0.0', 8080), 'a name cannot be checked, so it is refused');
  assert.ok(hostAllowed('box.lan:8080', 'box.lan', 8080));
  assert.ok(!hostAllowed('other.lan:8080', 'box.lan', 8080));
  assert.ok(!hostAllowed(undefined, '127.0.0.1', 4173));
  assert.ok(!hostAllowed('127.0.0.1:4173/x', '127.0.0.1', 4173));
});
