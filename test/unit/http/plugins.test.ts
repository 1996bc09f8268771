import { describe, expect, test } from 'bun:test';
import { Elysia, t } from 'elysia';
import { type AuthService, LOCAL_PRINCIPAL } from '../../../src/auth/auth-service.ts';
import type { Principal } from '../../../src/domain.ts';
import { AppError } from '../../../src/errors.ts';
import { InProcessCoordinator } from '../../../src/fleet/in-process-coordinator.ts';
import { authentication } from '../../../src/http/authentication.ts';
import { bodyLimitOf, bodyLimits, MAX_BODY_BYTES } from '../../../src/http/body-limit.ts';
import { csrf } from '../../../src/http/csrf.ts';
import { errorResponses, orRefusal } from '../../../src/http/error-responses.tsx';
import { Forwarding } from '../../../src/http/forwarding.ts';
import { HostPolicy } from '../../../src/http/host-policy.ts';
import { rateLimits } from '../../../src/http/rate-limit.ts';
import { requestContext } from '../../../src/http/request-context.ts';
import { isUploadRoute } from '../../../src/http/route-rules.ts';
import { securityHeaders } from '../../../src/http/security-headers.ts';
import { silentLogger } from '../../../src/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { makeTestApp } from '../../support/test-deps.ts';

/**
 * Each cross-cutting plugin on its own, through `app.handle`, in the order createApp uses them.
 * The whole app's behaviour is covered elsewhere (security, rate-limit, hosts-and-proxies tests);
 * here each plugin shows it does its one job.
 */

const member: Principal = {
  user: { ...LOCAL_PRINCIPAL.user, id: 'u-member', email: 'm@example.com', role: 'member' },
  collections: ['general'],
  via: 'token',
};
const admin: Principal = { ...member, user: { ...member.user, id: 'u-admin', role: 'admin' } };

/** Accounts on; the bearer token names who is asking ("admin" or "member"). */
const fakeAuth = (enabled = true) =>
  ({
    enabled,
    fromApiToken: async (token: string) => (token === 'admin' ? admin : token === 'member' ? member : null),
    fromSession: async () => null,
  }) as unknown as AuthService;

const base = (auth = fakeAuth()) =>
  new Elysia()
    .use(errorResponses(silentLogger))
    .use(requestContext(new Forwarding({ kind: 'none' })))
    .use(securityHeaders(new HostPolicy(['localhost'])))
    .use(authentication(auth))
    .use(csrf(undefined));

const get = (path: string, headers: Record<string, string> = {}) => new Request(`http://localhost${path}`, { headers });

describe('request context', () => {
  test('a well-formed X-Request-Id from the balancer is kept; anything else gets a fresh id', async () => {
    const app = base().get('/healthz', () => 'ok');
    const kept = await app.handle(get('/healthz', { 'x-request-id': 'alb-1234567890' }));
    expect(kept.headers.get('x-request-id')).toBe('alb-1234567890');
    const fresh = await app.handle(get('/healthz', { 'x-request-id': 'bad id<script>' }));
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('security headers', () => {
  test('every answer carries the strict policy; a foreign Host is refused in plain text', async () => {
    const app = base().get('/healthz', () => 'ok');
    const ok = await app.handle(get('/healthz'));
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(ok.headers.get('x-frame-options')).toBe('DENY');
    const foreign = await app.handle(new Request('http://evil.example/healthz'));
    expect(foreign.status).toBe(421);
    expect(foreign.headers.get('content-type')).toStartWith('text/plain');
    expect(await foreign.text()).toContain('ALLOWED_HOSTS');
  });
});

describe('authentication', () => {
  const app = () =>
    base()
      .get('/api/who', ({ principal }) => ({ id: principal.user.id }))
      .get('/api/admin/thing', () => 'secret', { admin: true })
      .get('/account-only', () => 'yes', { accounts: true })
      .get('/healthz', () => 'ok');

  test('handlers get the principal; without credentials the API answers 401 with the Bearer challenge', async () => {
    expect(await (await app().handle(get('/api/who', { authorization: 'Bearer member' }))).json()).toEqual({
      id: 'u-member',
    });
    const anonymous = await app().handle(get('/api/who'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="ragchat"');
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    // A page is redirected to the login page, coming back afterwards.
    const page = await app().handle(get('/account-only'));
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Faccount-only');
    expect((await app().handle(get('/healthz'))).status).toBe(200);
  });

  test('{ admin: true } refuses a member with 403 and lets an admin in', async () => {
    const refused = await app().handle(get('/api/admin/thing', { authorization: 'Bearer member' }));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('Only an admin may do this.');
    expect(await (await app().handle(get('/api/admin/thing', { authorization: 'Bearer admin' }))).text()).toBe(
      'secret',
    );
  });

  test('{ accounts: true } routes do not exist with AUTH_MODE=none', async () => {
    const off = base(fakeAuth(false))
      .get('/account-only', () => 'yes', { accounts: true })
      .get('/open', ({ principal }) => principal.via);
    const refused = await off.handle(get('/account-only'));
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain('Accounts are off here');
    expect(await (await off.handle(get('/open'))).text()).toBe('local');
  });
});

describe('csrf', () => {
  test('a state-changing request from another site is refused before its handler runs', async () => {
    let ran = false;
    const app = base(fakeAuth(false)).post('/api/thing', () => {
      ran = true;
      return 'done';
    });
    const refused = await app.handle(
      new Request('http://localhost/api/thing', { method: 'POST', headers: { origin: 'https://evil.example' } }),
    );
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('cross_site');
    expect(ran).toBe(false);
    const same = await app.handle(
      new Request('http://localhost/api/thing', { method: 'POST', headers: { origin: 'http://localhost' } }),
    );
    expect(await same.text()).toBe('done');
  });
});

/** A body that records whether anyone read it. */
function watchedBody(bytes: number): { body: ReadableStream<Uint8Array>; read: () => boolean } {
  let pulled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulled = true;
        controller.enqueue(new Uint8Array(bytes));
        controller.close();
      },
      // Nothing is pulled until someone reads (the default would pull one chunk at once).
    },
    { highWaterMark: 0 },
  );
  return { body, read: () => pulled };
}

describe('rate limits and body limits declared beside the route', () => {
  const app = () => {
    const routes = { of: (): readonly { method: string; path: string; hooks: unknown }[] => [] };
    const built = base(fakeAuth(false))
      .use(bodyLimits(bodyLimitOf(() => routes.of())))
      .use(
        rateLimits({
          coordinator: new InProcessCoordinator(),
          perMinute: { chat: 1, upload: 5, login: 5 },
          metrics: new Metrics(),
          routes: () => routes.of(),
        }),
      )
      .post('/api/ask', ({ body }) => ({ got: body }), {
        rateLimit: 'chat',
        body: t.Object({ message: t.String({ minLength: 1, error: 'Write a question first.' }) }),
      })
      .post('/api/small', () => 'ok', { bodyLimit: 10 })
      .post('/api/default', () => 'ok');
    routes.of = () => built.routes;
    return built;
  };
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    new Request(`http://localhost${path}`, {
      method: 'POST',
      body,
      headers: { origin: 'http://localhost', ...headers },
    });

  test('the second question in a minute is a 429 with Retry-After, refused before its body is read', async () => {
    const limited = app();
    const json = { 'content-type': 'application/json' };
    expect((await limited.handle(post('/api/ask', '{"message":"hi"}', json))).status).toBe(200);
    const watched = watchedBody(16);
    const refused = await limited.handle(post('/api/ask', watched.body, json));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^Too many questions in a short time; try again in \d+ s\.$/,
    );
    expect(watched.read()).toBe(false);
  });

  test("a schema's own sentence is the 400's message", async () => {
    const refused = await app().handle(post('/api/ask', '{"message":""}', { 'content-type': 'application/json' }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: { code: 'invalid_input', message: 'Write a question first.' } });
  });

  test('a body over its route’s limit is a 413 before a byte is read; other routes get 1 MB', async () => {
    const limited = app();
    expect((await limited.handle(post('/api/small', 'x'.repeat(8), { 'content-length': '8' }))).status).toBe(200);
    const watched = watchedBody(20);
    const refused = await limited.handle(post('/api/small', watched.body, { 'content-length': '20' }));
    expect(refused.status).toBe(413);
    expect(watched.read()).toBe(false);
    const large = await limited.handle(
      post('/api/default', watchedBody(1).body, { 'content-length': String(MAX_BODY_BYTES + 1) }),
    );
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: { message: string } }).error.message).toBe(
      'The request is too large: 1 MB at most.',
    );
  });
});

describe('orRefusal', () => {
  test('an expected refusal comes back to render in place; a failure goes on to the error handler', async () => {
    const refused = await orRefusal(async () => {
      throw new AppError('invalid_input', 'Choose a file to upload.', 400);
    });
    expect(refused.ok ? null : refused.error.message).toBe('Choose a file to upload.');
    expect(await orRefusal(async () => 7)).toEqual({ ok: true, value: 7 });
    await expect(
      orRefusal(async () => {
        throw new AppError('unavailable:database', 'boom', 503);
      }),
    ).rejects.toThrow('boom');
  });
});

describe('upload deadlines', () => {
  test('the routes that declare a larger body limit are uploads, and get the upload deadline; the rest do not', async () => {
    const t = await makeTestApp();
    try {
      const isUpload = isUploadRoute(t.deps);
      const post = (path: string) => new Request(`http://localhost${path}`, { method: 'POST' });
      expect(isUpload(post('/api/docs/upload'))).toBe(true);
      expect(isUpload(post('/docs/upload'))).toBe(true);
      expect(isUpload(post('/api/chat'))).toBe(false);
      expect(isUpload(new Request('http://localhost/api/docs/upload'))).toBe(false);
    } finally {
      await t.cleanup();
    }
  });
});
