import { afterAll, expect, test } from 'bun:test';
import { ADMIN, ALICE, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { prng } from '../../support/prng.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

/**
 * Thousands of random and malformed requests to every route: none may answer 500 or take the
 * server down. Seeded, so a failure reproduces; bounded in count, on app.handle (no network).
 */
const NO_LIMITS = {
  RATE_LIMIT_CHAT_PER_MINUTE: '100000',
  RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
  RATE_LIMIT_LOGINS_PER_MINUTE: '10000',
  MAX_STREAMS_PER_USER: '1000',
};
let local: TestApp;
let accounts: TestApp;
/** Ways a request may (claim to) be authenticated in AUTH_MODE=password. */
let credentials: Record<string, string>[];
beforeSuite(async () => {
  local = await makeTestApp({ env: NO_LIMITS });
  accounts = await makeAccountsApp(NO_LIMITS);
  const [admin, alice] = await Promise.all([login(accounts, ADMIN), login(accounts, ALICE)]);
  const token = (
    await accounts.deps.auth.createApiToken(
      (await accounts.deps.auth.fromSession(alice.split('=')[1] as string)) as never,
      'fuzz',
    )
  ).token;
  credentials = [
    {},
    { cookie: admin },
    { cookie: alice },
    { cookie: 'ragchat_session=made-up-made-up-made-up-made-up' },
    { cookie: `${alice}; ragchat_session=second` },
    { authorization: `Bearer ${token}` },
    { authorization: 'Bearer rc_nonsense' },
    { authorization: 'Basic YWRtaW46YWRtaW4=' },
  ];
});
afterAll(async () => {
  await local.cleanup();
  await accounts.cleanup();
});

test('random and malformed requests never get a 500, and the server keeps serving (no accounts)', async () => {
  await fuzz(local, 1500, () => ({}));
});

test('random and malformed requests never get a 500, and the server keeps serving (accounts, any credentials)', async () => {
  await fuzz(accounts, 1500, (pick) => ({
    ...pick(credentials),
    ...pick<Record<string, string>>([
      {},
      { origin: 'http://localhost' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
    ]),
  }));
});

async function fuzz(
  t: TestApp,
  count: number,
  authHeaders: (pick: <T>(xs: readonly T[]) => T) => Record<string, string>,
): Promise<void> {
  const rand = prng(Number(process.env.FUZZ_SEED ?? 20261124));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const ids = [
    '',
    'x',
    '..%2F..%2Fetc',
    '%00',
    '01a20b4e-0000-7000-8000-000000000000',
    'null',
    'a'.repeat(300),
    '😀',
    '1;DROP TABLE',
  ];
  // Each route with its own method most of the time, so that requests reach the handlers.
  const routes = (): [string, string] =>
    pick<[string, string]>([
      ['GET', '/'],
      ['GET', `/c/${pick(ids)}`],
      ['DELETE', `/c/${pick(ids)}`],
      ['POST', '/chat/messages'],
      ['GET', `/chat/messages/${pick(ids)}/stream`],
      ['POST', `/chat/messages/${pick(ids)}/stop`],
      ['POST', '/api/chat'],
      ['POST', `/api/chat/${pick(ids)}/stop`],
      ['GET', '/api/conversations'],
      ['GET', `/api/conversations/${pick(ids)}`],
      ['DELETE', `/api/conversations/${pick(ids)}`],
      ['GET', '/api/docs'],
      ['POST', '/api/docs/upload'],
      ['DELETE', `/api/docs/${pick(ids)}`],
      ['GET', '/docs'],
      ['POST', '/docs/upload'],
      ['DELETE', `/docs/${pick(ids)}`],
      ['GET', `/docs/${pick(ids)}/original`],
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/openapi.json'],
      ['GET', `/assets/${pick(['app.css', '../package.json', '%2e%2e/x', 'vendor/htmx.min.js', 'nope'])}`],
      ['GET', `/login?next=${pick(ids)}`],
      ['POST', '/login'],
      ['GET', '/signup'],
      ['POST', '/signup'],
      ['POST', '/logout'],
      ['GET', '/account'],
      ['POST', '/account/password'],
      ['POST', '/account/tokens'],
      ['DELETE', `/account/tokens/${pick(ids)}`],
      ['GET', '/admin'],
      ['POST', '/admin/users'],
      ['POST', `/admin/users/${pick(ids)}`],
      ['DELETE', `/admin/users/${pick(ids)}`],
      ['POST', '/admin/collections'],
      ['GET', '/api/me'],
      ['GET', '/api/admin/users'],
      ['POST', '/api/admin/users'],
      ['PATCH', `/api/admin/users/${pick(ids)}`],
      ['DELETE', `/api/admin/users/${pick(ids)}`],
      ['GET', '/api/admin/collections'],
      ['POST', '/api/admin/collections'],
      ['GET', '/api/admin/audit'],
      ['GET', `/${pick(ids)}`],
    ]);
  const strings = [
    '',
    ' ',
    'hello',
    'x'.repeat(5000),
    '\u0000\u0001',
    '<script>alert(1)</script>',
    '{"a":',
    '[]',
    'null',
    '🙂'.repeat(50),
  ];
  const value = (): unknown =>
    pick([
      () => pick(strings),
      () => Math.floor(rand() * 1e6) - 5e5,
      () => rand() < 0.5,
      () => null,
      () => [value()],
      () => ({ message: pick(strings), conversationId: pick([...ids, 42, null, {}]) }),
      () => ({
        email: pick([...strings, 'a@b.co', ALICE.email]),
        password: pick([...strings, 'long-enough-password', ALICE.password]),
        name: value(),
        role: pick(['admin', 'member', 'root', 1, null]),
        collections: pick([[], ['general'], ['hr', 'nope'], 'general', [{}], null]),
      }),
    ])();
  const body = (): { init: RequestInit } => {
    switch (Math.floor(rand() * 6)) {
      case 0:
        return { init: json(value()) };
      case 1:
        return { init: { headers: { 'content-type': 'application/json' }, body: pick(strings) } };
      case 2:
        return {
          init: {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: pick([
              `message=${encodeURIComponent(pick(strings))}&conversationId=${encodeURIComponent(pick(ids))}`,
              `email=${encodeURIComponent(pick([...strings, ALICE.email]))}&password=${encodeURIComponent(pick([...strings, ALICE.password]))}&next=${encodeURIComponent(pick(ids))}`,
              `role=${pick(['admin', 'member', 'x'])}&collections=general&collections=${pick(ids)}&password=${pick(strings)}`,
              `name=${encodeURIComponent(pick(strings))}&current=${encodeURIComponent(pick(strings))}&next=${encodeURIComponent(pick(strings))}`,
            ]),
          },
        };
      case 3: {
        const form = new FormData();
        if (rand() < 0.8)
          form.append('file', new File([pick(strings)], pick(['a.md', 'b.pdf', 'c.docx', '../x.txt', 'd.exe', ''])));
        return { init: { body: form } };
      }
      case 4:
        return {
          init: {
            headers: { 'content-type': pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) },
            body: pick(strings),
          },
        };
      default:
        return { init: {} };
    }
  };

  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  for (let i = 0; i < count; i++) {
    const [routeMethod, path] = routes();
    const method = rand() < 0.8 ? routeMethod : pick(['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD']);
    const { init } = method === 'GET' || method === 'HEAD' ? { init: {} } : body();
    const headers = {
      ...authHeaders(pick),
      ...(init.headers as Record<string, string> | undefined),
      ...(rand() < 0.3 ? { 'hx-request': 'true' } : {}),
      ...(rand() < 0.2 ? { accept: 'text/event-stream' } : {}),
    };
    let status: number;
    try {
      const res = await t.request(path, { ...init, method, headers });
      status = res.status;
      // Read the body (streams end when their answer does).
      await res.arrayBuffer();
    } catch (error) {
      failures.push(`${method} ${path}: threw ${(error as Error).message}`);
      continue;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 500) failures.push(`${method} ${path}: ${status}`);
  }
  if (process.env.FUZZ_DEBUG) console.log(JSON.stringify(statuses));
  expect(failures).toEqual([]);
  await Promise.all([...Array(3)].map(() => Bun.sleep(0)));
  expect((await t.request('/healthz')).status).toBe(200);
  const ok = await t.request(
    '/api/chat',
    json(
      { message: 'Where is my data?' },
      authHeaders(() => ({}) as never),
    ),
  );
  expect([200, 401]).toContain(ok.status);
}
