import { afterAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { LoginThrottle } from '../../../src/auth/login-throttle.ts';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { Forwarding, parseProxyTrust } from '../../../src/http/forwarding.ts';
import { HostPolicy, hostnameOf } from '../../../src/http/host-policy.ts';
import { ALICE, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

/** One raw HTTP/1.1 request over a real socket; returns the status line's code, headers and body. */
async function raw(port: number, head: string, body = ''): Promise<{ status: number; head: string; body: string }> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`));
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const [headPart = '', ...rest] = text.split('\r\n\r\n');
  return { status: Number(headPart.split(' ')[1]), head: headPart.toLowerCase(), body: rest.join('\r\n\r\n') };
}

describe('Host checking over real HTTP (AUTH_MODE=none)', () => {
  let t: TestApp;
  let server: ReturnType<TestApp['app']['listen']>;
  let port = 0;
  beforeSuite(async () => {
    t = await makeTestApp();
    server = t.app.listen({ port: 0, hostname: '127.0.0.1', development: false });
    port = server.server?.port ?? 0;
  });
  afterAll(async () => {
    await server?.stop();
    await t?.cleanup();
  });

  test('a DNS-rebinding name is refused before anything runs, even with a matching Origin', async () => {
    const chat = JSON.stringify({ message: 'What port does the server use?' });
    for (const [head, body] of [
      ['GET /api/conversations HTTP/1.1\r\nHost: rebind.attacker.example:3000', ''],
      ['GET / HTTP/1.1\r\nHost: rebind.attacker.example:3000', ''],
      [
        `POST /api/chat HTTP/1.1\r\nHost: rebind.attacker.example\r\nOrigin: http://rebind.attacker.example\r\nContent-Type: application/json\r\nContent-Length: ${chat.length}`,
        chat,
      ],
    ] as const) {
      const res = await raw(port, head, body);
      expect(res.status).toBe(421);
      expect(res.body).toContain('does not answer to the name "rebind.attacker.example"');
      expect(res.body).toContain('ALLOWED_HOSTS');
      expect(res.head).toContain('x-content-type-options: nosniff');
      expect(res.head).toContain('content-security-policy:');
    }
    // Nothing was asked: no conversation was started by the refused chat.
    expect((await (await t.request('/api/conversations')).json()).conversations ?? []).toHaveLength(0);
  });

  test('a malformed Host is a plain 400 with security headers, never a 500 or a source listing', async () => {
    for (const host of ['a b', '[::1', 'localhost:99999', 'a/b', 'ünï.example', 'localhost, evil.example']) {
      const res = await raw(port, `GET /api/conversations HTTP/1.1\r\nHost: ${host}`);
      expect(res.status, host).toBe(400);
      expect(res.body).toContain('missing or malformed Host');
      expect(res.body).not.toMatch(/\.tsx?\b|node_modules|at \w+ \(|\/work\//);
      expect(res.head).toContain('x-content-type-options: nosniff');
    }
  });

  test('the loopback names and IP literals are served', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST.', '10.1.2.3:3000']) {
      const res = await raw(port, `GET /healthz HTTP/1.1\r\nHost: ${host}`);
      expect(res.status, host).toBe(200);
    }
  });

  test('a cross-site POST is refused when its Origin is another site, and accepted from our own', async () => {
    const mine = await t.request('/api/chat', {
      ...json({ message: 'What port does the server use?' }),
      headers: { 'content-type': 'application/json', origin: 'http://localhost' },
    });
    expect(mine.status).toBe(200);
    await mine.text();
    const other = await t.request('/api/chat', {
      ...json({ message: 'What port?' }),
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
    });
    expect(other.status).toBe(403);
  });
});

describe('ALLOWED_HOSTS and PUBLIC_URL', () => {
  test('with accounts on and every interface bound, the names people open are required', () => {
    const env = { AUTH_MODE: 'password', HOST: '0.0.0.0', DATA_DIR: '/tmp/x' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/ALLOWED_HOSTS.*PUBLIC_URL/s);
    expect(loadConfig({ ...env, PUBLIC_URL: 'https://chat.example.com' }).allowedHosts).toContain('chat.example.com');
    expect(loadConfig({ ...env, ALLOWED_HOSTS: 'chat.example.com,*.internal.example' }).allowedHosts).toContain(
      '*.internal.example',
    );
    expect(() => loadConfig({ ...env, ALLOWED_HOSTS: 'http://chat.example.com/' })).toThrow(/ALLOWED_HOSTS/);
  });

  test('names, wildcards and ports are matched as a browser addresses them', () => {
    const policy = new HostPolicy(['localhost', 'chat.example.com', '*.internal.example']);
    expect(policy.allows('chat.example.com:443')).toBe(true);
    expect(policy.allows('CHAT.example.com.')).toBe(true);
    expect(policy.allows('a.b.internal.example')).toBe(true);
    expect(policy.allows('internal.example.attacker.example')).toBe(false);
    expect(policy.allows('chat.example.com.attacker.example')).toBe(false);
    expect(policy.allows('192.168.1.20:3000')).toBe(true);
    expect(policy.allows('[fe80::1]:3000')).toBe(true);
    expect(hostnameOf('[::1]:99999')).toBeNull();
    expect(hostnameOf('')).toBeNull();
  });

  test('behind a proxy that rewrites Host, a form from PUBLIC_URL is this site', async () => {
    const t = await makeAccountsApp({ PUBLIC_URL: 'https://chat.example.com', TRUST_PROXY: '1' });
    try {
      const res = await t.app.handle(
        new Request('http://10.0.3.7:3000/login', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            origin: 'https://chat.example.com',
            'x-forwarded-proto': 'https',
          },
          body: new URLSearchParams(ALICE),
        }),
      );
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toContain('; Secure');
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      const forged = await t.app.handle(
        new Request('http://10.0.3.7:3000/login', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://chat.example.org' },
          body: new URLSearchParams(ALICE),
        }),
      );
      expect(forged.status).toBe(403);
    } finally {
      await t.cleanup();
    }
  });
});

describe('TRUST_PROXY', () => {
  const request = (xff?: string, proto?: string) =>
    new Request('http://localhost/', {
      headers: { ...(xff ? { 'x-forwarded-for': xff } : {}), ...(proto ? { 'x-forwarded-proto': proto } : {}) },
    });

  test('a hop count takes the address that many hops from the right', () => {
    const one = new Forwarding(parseProxyTrust('true'));
    expect(one.clientAddress(request('6.6.6.6, 203.0.113.9'), '10.0.1.5')).toBe('203.0.113.9');
    const two = new Forwarding(parseProxyTrust('2'));
    expect(two.clientAddress(request('6.6.6.6, 203.0.113.9, 10.0.0.8'), '10.0.1.5')).toBe('203.0.113.9');
    expect(new Forwarding(parseProxyTrust('false')).clientAddress(request('6.6.6.6'), '10.0.1.5')).toBe('10.0.1.5');
  });

  test('with CIDRs, a client that reaches the server directly cannot choose its address or scheme', () => {
    const ranges = new Forwarding(parseProxyTrust('10.0.0.0/16'));
    expect(ranges.clientAddress(request('6.6.6.6, 203.0.113.9'), '10.0.1.5')).toBe('203.0.113.9');
    expect(ranges.clientAddress(request('6.6.6.6, 10.0.9.9'), '10.0.1.5')).toBe('6.6.6.6');
    expect(ranges.clientAddress(request('6.6.6.6'), '198.51.100.4')).toBe('198.51.100.4');
    expect(ranges.isHttps(request(undefined, 'https'), '10.0.1.5')).toBe(true);
    expect(ranges.isHttps(request(undefined, 'https'), '198.51.100.4')).toBe(false);
    expect(new Forwarding(parseProxyTrust('false')).isHttps(request(undefined, 'https'), '10.0.1.5')).toBe(false);
  });

  test('a bad value is refused at start with a sentence', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'sometimes' })).toThrow(/TRUST_PROXY.*hop count/s);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
  });

  test('rotating the client-written part of X-Forwarded-For does not escape the per-address limit', async () => {
    const t = await makeTestApp({ env: { TRUST_PROXY: '1', RATE_LIMIT_CHAT_PER_MINUTE: '2' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await t.request('/api/chat', {
          ...json({ message: 'What port?' }),
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `6.6.6.${i}, 203.0.113.9` },
        });
        statuses.push(res.status);
        await res.text();
      }
      expect(statuses).toEqual([200, 200, 429, 429]);
    } finally {
      await t.cleanup();
    }
  });
});

describe('per-account login backoff', () => {
  test('the throttle doubles the wait after the free failures, and a success clears it', () => {
    let now = 0;
    const throttle = new LoginThrottle(
      { freeFailures: 3, maxBlockMs: 10_000, forgetAfterMs: 60_000, maxEntries: 3 },
      () => now,
    );
    for (let i = 0; i < 3; i++) throttle.failed('A@example.com');
    expect(throttle.retryAfterSeconds('a@example.com')).toBe(1);
    now += 1000;
    throttle.failed('a@example.com');
    expect(throttle.retryAfterSeconds('a@example.com')).toBe(2);
    for (let i = 0; i < 10; i++) throttle.failed('a@example.com');
    expect(throttle.retryAfterSeconds('a@example.com')).toBe(10);
    throttle.succeeded('a@example.com');
    expect(throttle.retryAfterSeconds('a@example.com')).toBe(0);
    // Memory is bounded: the oldest entries go first.
    for (const who of ['b', 'c', 'd', 'e']) throttle.failed(`${who}@example.com`);
    expect(throttle.retryAfterSeconds('b@example.com')).toBe(0);
  });

  test('guesses from many addresses at one account are slowed, even the right password, then it works', async () => {
    const t = await makeAccountsApp({ TRUST_PROXY: '1' });
    try {
      const attempt = (password: string, i: number) =>
        t.request('/login', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            origin: 'http://localhost',
            'x-forwarded-for': `198.51.100.${i}`,
          },
          body: new URLSearchParams({ email: ALICE.email, password }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await attempt(`wrong-password-${i}`, i)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const refused = await attempt(ALICE.password, 50);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.text()).toContain('Too many wrong passwords for this account');
      await Bun.sleep(1100);
      const ok = await attempt(ALICE.password, 51);
      expect(ok.status).toBe(303);
    } finally {
      await t.cleanup();
    }
  });
});
