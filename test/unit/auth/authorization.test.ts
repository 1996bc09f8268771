import { afterAll, expect, test } from 'bun:test';
import { ADMIN, ALICE, BOB, fromPage, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, type TestApp } from '../../support/test-deps.ts';

/**
 * Every route, asked by four callers: nobody, the owner of what the route names (Alice, a member),
 * another member (Bob), and an admin. Bob and the admin ask for Alice's conversation, message and
 * token; conversations are private even from admins. A route missing from this table fails the
 * last test, so a new route cannot ship without its rules.
 */
type Who = 'anonymous' | 'owner' | 'other' | 'admin';
interface Case {
  method: string;
  path: string;
  /** The route's pattern as Elysia lists it, when `path` fills in parameters. */
  route?: string;
  body?: () => RequestInit;
  expect: Record<Who, number>;
}

let t: TestApp & { ids: Record<string, string> };
const cookies: Partial<Record<Who, string>> = {};
let conversationId: string;
let messageId: string;
let questionId: string;
let tokenId: string;
let hrDocId: string;

const form = (fields: Record<string, string>) => () => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
});
const file = (name: string) => () => {
  const data = new FormData();
  data.append('file', new File([`# ${name}\n\nSome text about ${name}.`], name));
  return { body: data };
};
const jsonBody = (body: unknown) => () => json(body);

/** A fresh throwaway document or user for each caller that may delete it. */
let counter = 0;
const freshDocument = async () =>
  (await t.deps.ingestion.ingestFile(`uploads/tmp-${++counter}.md`, new TextEncoder().encode('# Tmp\n\nTemporary.')))
    .id;
const freshUser = async () =>
  (await t.deps.auth.createUser(null, { email: `tmp${++counter}@example.com`, password: 'temporary-password' })).id;

beforeSuite(async () => {
  t = await makeAccountsApp({ RATE_LIMIT_LOGINS_PER_MINUTE: '1000', RATE_LIMIT_UPLOADS_PER_MINUTE: '1000' });
  cookies.owner = await login(t, ALICE);
  cookies.other = await login(t, BOB);
  cookies.admin = await login(t, ADMIN);
  const asked = await (
    await t.request('/api/chat', json({ message: 'How is an answer streamed?' }, fromPage(cookies.owner)))
  ).json();
  conversationId = asked.conversationId;
  messageId = asked.messageId;
  questionId = (await t.deps.repo.listMessages(conversationId))[0]?.id as string;
  const alice = await t.deps.auth.fromSession(cookies.owner.split('=')[1] as string);
  tokenId = (await t.deps.auth.createApiToken(alice as never, 'matrix')).info.id;
  hrDocId = (await t.deps.catalog.list()).find((d) => d.collection === 'hr')?.id as string;
});
afterAll(() => t?.cleanup());

const same = (anonymous: number, member: number, admin = member): Record<Who, number> => ({
  anonymous,
  owner: member,
  other: member,
  admin,
});

/** A route on the owner's own conversation or message: everyone else gets the 404 of a missing one. */
const ownersOnly = (method: string, path: string, route: string, body?: () => RequestInit): Case => ({
  method,
  path,
  route,
  body,
  expect: { anonymous: 401, owner: 200, other: 404, admin: 404 },
});

function cases(): Case[] {
  const c = conversationId;
  const m = messageId;
  return [
    { method: 'GET', path: '/', expect: same(303, 200) },
    { method: 'GET', path: `/c/${c}`, route: '/c/:id', expect: { anonymous: 303, owner: 200, other: 404, admin: 404 } },
    {
      method: 'DELETE',
      path: `/c/${c}`,
      route: '/c/:id',
      expect: { anonymous: 401, owner: -1, other: 404, admin: 404 },
    },
    { method: 'POST', path: '/chat/messages', body: form({ message: 'Hi?' }), expect: same(401, 200) },
    {
      method: 'GET',
      path: `/chat/messages/${m}/stream`,
      route: '/chat/messages/:id/stream',
      expect: { anonymous: 303, owner: 200, other: 404, admin: 404 },
    },
    {
      method: 'POST',
      path: `/chat/messages/${m}/stop`,
      route: '/chat/messages/:id/stop',
      expect: { anonymous: 401, owner: 204, other: 404, admin: 404 },
    },
    { method: 'POST', path: '/api/chat', body: jsonBody({ message: 'Hi?' }), expect: same(401, 200) },
    {
      method: 'GET',
      path: `/api/chat/${m}/stream`,
      route: '/api/chat/:messageId/stream',
      expect: { anonymous: 401, owner: 200, other: 404, admin: 404 },
    },
    {
      method: 'POST',
      path: `/api/chat/${m}/stop`,
      route: '/api/chat/:messageId/stop',
      expect: { anonymous: 401, owner: 200, other: 404, admin: 404 },
    },
    { method: 'GET', path: '/api/conversations', expect: same(401, 200) },
    {
      method: 'GET',
      path: `/api/conversations/${c}`,
      route: '/api/conversations/:id',
      expect: { anonymous: 401, owner: 200, other: 404, admin: 404 },
    },
    {
      method: 'DELETE',
      path: `/api/conversations/${c}`,
      route: '/api/conversations/:id',
      expect: { anonymous: 401, owner: -1, other: 404, admin: 404 },
    },
    { method: 'GET', path: '/api/docs', expect: same(401, 200) },
    { method: 'POST', path: '/api/docs/upload', body: file('api.md'), expect: same(401, 403, 201) },
    { method: 'DELETE', path: '/api/docs/:id', expect: same(401, 403, 204) },
    { method: 'GET', path: '/docs', expect: same(303, 200) },
    { method: 'POST', path: '/docs/upload', body: file('page.md'), expect: same(401, 403, 200) },
    { method: 'DELETE', path: '/docs/:id', expect: same(401, 403, 200) },
    {
      method: 'GET',
      path: `/docs/${hrDocId}/original`,
      route: '/docs/:id/original',
      expect: { anonymous: 303, owner: 200, other: 404, admin: 200 },
    },
    { method: 'GET', path: '/login', expect: same(200, 303) },
    {
      method: 'POST',
      path: '/login',
      body: form({ email: 'x@example.com', password: 'wrong-password' }),
      expect: same(401, 401),
    },
    // The language picker is for anyone, the login page included: it only sets a cookie.
    { method: 'POST', path: '/language', body: form({ language: 'es' }), expect: same(303, 303) },
    { method: 'GET', path: '/signup', expect: same(404, 404) },
    {
      method: 'POST',
      path: '/signup',
      body: form({ email: 'y@example.com', password: 'long-password-1' }),
      expect: same(404, 404),
    },
    { method: 'GET', path: '/account', expect: same(303, 200) },
    {
      method: 'POST',
      path: '/account/password',
      body: form({ current: 'not-the-password', next: 'a-new-password-123' }),
      expect: same(401, 400),
    },
    { method: 'POST', path: '/account/tokens', body: form({ name: 'ci' }), expect: same(401, 200) },
    {
      method: 'DELETE',
      path: `/account/tokens/${tokenId}`,
      route: '/account/tokens/:id',
      expect: { anonymous: 401, owner: -1, other: 404, admin: 404 },
    },
    { method: 'GET', path: '/api/me', expect: same(401, 200) },
    { method: 'GET', path: '/admin', expect: same(303, 403, 200) },
    {
      method: 'POST',
      path: '/admin/users',
      body: () => form({ email: `new${++counter}@example.com`, password: 'new-user-password' })(),
      expect: same(401, 403, 200),
    },
    { method: 'POST', path: '/admin/users/:id', body: form({ role: 'member' }), expect: same(401, 403, 200) },
    { method: 'DELETE', path: '/admin/users/:id', expect: same(401, 403, 200) },
    {
      method: 'POST',
      path: '/admin/collections',
      body: () => form({ name: `Team ${++counter}` })(),
      expect: same(401, 403, 200),
    },
    { method: 'GET', path: '/api/admin/users', expect: same(401, 403, 200) },
    {
      method: 'POST',
      path: '/api/admin/users',
      body: () => jsonBody({ email: `api${++counter}@example.com`, password: 'api-user-password' })(),
      expect: same(401, 403, 201),
    },
    { method: 'PATCH', path: '/api/admin/users/:id', body: jsonBody({ role: 'member' }), expect: same(401, 403, 200) },
    { method: 'DELETE', path: '/api/admin/users/:id', expect: same(401, 403, 204) },
    { method: 'GET', path: '/api/admin/collections', expect: same(401, 403, 200) },
    {
      method: 'POST',
      path: '/api/admin/collections',
      body: () => jsonBody({ name: `Group ${++counter}` })(),
      expect: same(401, 403, 201),
    },
    { method: 'GET', path: '/api/admin/audit', expect: same(401, 403, 200) },
    // Conversation tools: private to the owner like the conversation. Edit and regenerate replace
    // the question and answer they name, so they come after every case that uses those ids.
    { method: 'GET', path: '/chat/conversations?q=streamed', route: '/chat/conversations', expect: same(303, 200) },
    ownersOnly('PATCH', `/c/${c}`, '/c/:id', form({ title: 'Renamed on the page' })),
    ownersOnly('PUT', `/chat/messages/${m}/feedback`, '/chat/messages/:id/feedback', form({ rating: 'down' })),
    ownersOnly('PATCH', `/api/conversations/${c}`, '/api/conversations/:id', jsonBody({ title: 'Renamed' })),
    ownersOnly('GET', `/api/conversations/${c}/export`, '/api/conversations/:id/export'),
    ownersOnly('GET', `/api/messages/${m}`, '/api/messages/:id'),
    ownersOnly('GET', `/api/messages/${m}/markdown`, '/api/messages/:id/markdown'),
    ownersOnly('PUT', `/api/messages/${m}/feedback`, '/api/messages/:id/feedback', jsonBody({ rating: 'up' })),
    ownersOnly(
      'POST',
      `/api/messages/${questionId}/edit`,
      '/api/messages/:id/edit',
      jsonBody({ message: 'How is an answer streamed to the page?' }),
    ),
    ownersOnly('POST', `/api/conversations/${c}/regenerate`, '/api/conversations/:id/regenerate'),
    ownersOnly('POST', `/c/${c}/regenerate`, '/c/:id/regenerate'),
    // Other tools' endpoints take a personal API token only: a session cookie is refused like none
    // (test/unit/integrations/ checks the tokens and the collections).
    { method: 'GET', path: '/v1/models', expect: same(401, 401) },
    {
      method: 'POST',
      path: '/v1/chat/completions',
      body: jsonBody({ model: 'ragchat', messages: [{ role: 'user', content: 'Hi?' }] }),
      expect: same(401, 401),
    },
    {
      method: 'POST',
      path: '/mcp',
      body: jsonBody({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      expect: same(401, 401),
    },
    { method: 'GET', path: '/mcp', expect: same(401, 401) },
    { method: 'DELETE', path: '/mcp', expect: same(401, 401) },
    { method: 'GET', path: '/healthz', expect: same(200, 200) },
    { method: 'GET', path: '/readyz', expect: same(200, 200) },
    { method: 'GET', path: '/openapi.json', expect: same(200, 200) },
    { method: 'GET', path: '/assets/app.css', route: '/assets/*', expect: same(200, 200) },
    // Last: it ends the session it is sent with.
    { method: 'POST', path: '/logout', expect: same(401, 200) },
  ];
}

test('every route answers each kind of caller as the rules say', async () => {
  const problems: string[] = [];
  for (const kase of cases()) {
    for (const who of ['anonymous', 'other', 'admin', 'owner'] as Who[]) {
      const expected = kase.expect[who];
      if (expected === -1) continue;
      let path = kase.path;
      // Routes that destroy something get a fresh thing per caller.
      if (path.includes('/docs/:id')) path = path.replace(':id', await freshDocument());
      if (path.includes('/users/:id')) path = path.replace(':id', await freshUser());
      const cookie = who === 'anonymous' ? undefined : cookies[who];
      const init = kase.body?.() ?? {};
      const headers: Record<string, string> = {
        ...(init.headers as Record<string, string> | undefined),
        ...(kase.method === 'GET'
          ? cookie
            ? { cookie }
            : {}
          : cookie
            ? fromPage(cookie)
            : { origin: 'http://localhost' }),
      };
      const res = await t.request(path, { ...init, method: kase.method, headers });
      await res.arrayBuffer();
      if (res.status !== expected)
        problems.push(`${kase.method} ${kase.path} as ${who}: ${res.status}, expected ${expected}`);
    }
  }
  expect(problems).toEqual([]);
});

test('the owner can still delete what the others could not touch', async () => {
  const owner = await login(t, ALICE);
  for (const path of [`/api/conversations/${conversationId}`, `/account/tokens/${tokenId}`]) {
    const res = await t.request(path, { method: 'DELETE', headers: fromPage(owner) });
    expect(res.status).toBeLessThan(300);
  }
  expect((await t.request(`/api/conversations/${conversationId}`, { headers: { cookie: owner } })).status).toBe(404);
  await login(t, BOB);
});

test('the table covers every route the app serves', () => {
  const covered = new Set(cases().map((k) => `${k.method} ${k.route ?? k.path}`));
  const served = (t.app.routes as { method: string; path: string }[])
    .filter((r) => r.method !== 'ALL' && r.method !== 'HEAD')
    // The static plugin registers one route per asset file; they all follow the /assets/* rule.
    .map((r) => `${r.method} ${r.path.startsWith('/assets/') ? '/assets/*' : r.path}`);
  expect(served.filter((r) => !covered.has(r))).toEqual([]);
});
