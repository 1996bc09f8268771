import { afterAll, expect, test } from 'bun:test';
import { ADMIN, ALICE, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { makeTestApp, type TestApp } from '../../support/test-deps.ts';

/**
 * The inputs that make naive text handling slow (a quadratic regular expression, a tokenizer
 * merging one endless word), sent to every route that takes text, in both auth modes: each must
 * be answered, 2xx or 4xx, within LIVENESS_MS. That bound is generous (not a benchmark) and only
 * catches a blow-up: before the fixes, one 150 KB email blocked the server for 10 s. It leaves
 * room for a machine busy with other work (a password hash of a megabyte took 2.4 s with the
 * load average at 9 on two cores), which must not fail the suite.
 */
const LIVENESS_MS = 5_000;
/**
 * An upload's content goes through ingestion: a megabyte is some 2,000 chunks, each embedded and
 * stored, about 1 to 2 s on this machine, so it gets more room; the blow-ups it catches took minutes.
 */
const INGESTION_LIVENESS_MS = 10_000;
const SIZE = 1_000_000;
const WORST: Record<string, string> = {
  dots: '.'.repeat(SIZE),
  'email of dots': `a@${'.'.repeat(SIZE)}@`,
  brackets: '['.repeat(SIZE),
  spaces: `a${' '.repeat(SIZE)}a`,
  'tabs and spaces': `# a${' \t'.repeat(SIZE / 2)}x`,
  dashes: '-'.repeat(SIZE),
  stars: '*'.repeat(SIZE),
  underscores: '_'.repeat(SIZE),
  backticks: '`'.repeat(SIZE),
  'unclosed fences': ':~~~\n'.repeat(SIZE / 5),
  newlines: `a${'\n'.repeat(SIZE)}a`,
  // Two bytes each in UTF-8: half as many fit in the same body.
  'combining marks': `a${'\u0301'.repeat(SIZE / 2)}`,
  'one word': 'a'.repeat(SIZE),
  'that and spaces': `what about that${' '.repeat(SIZE)}x`,
};
/** Questions as long as the (raised) limit, so they reach retrieval and the answerer. */
const MAX_MESSAGE_CHARS = 100_000;
const ENV = {
  MAX_MESSAGE_CHARS: String(MAX_MESSAGE_CHARS),
  RATE_LIMIT_CHAT_PER_MINUTE: '100000',
  RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
  RATE_LIMIT_LOGINS_PER_MINUTE: '10000',
  MAX_STREAMS_PER_USER: '1000',
  ALLOW_SIGNUP: 'true',
};

let local: TestApp;
let accounts: TestApp & { ids: Record<string, string> };
let admin: Record<string, string>;
let alice: Record<string, string>;
beforeSuite(async () => {
  local = await makeTestApp({ env: ENV });
  accounts = await makeAccountsApp(ENV);
  const page = (cookie: string) => ({ cookie, origin: 'http://localhost', 'hx-request': 'true' });
  admin = page(await login(accounts, ADMIN));
  alice = page(await login(accounts, ALICE));
});
afterAll(async () => {
  await local?.cleanup();
  await accounts?.cleanup();
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', ...headers },
  body: new URLSearchParams(fields),
});
const json = (body: unknown, headers: Record<string, string> = {}, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', origin: 'http://localhost', ...headers },
  body: JSON.stringify(body),
});
const upload = (name: string, content: string, headers: Record<string, string> = {}, path = '/api/docs/upload') => {
  const body = new FormData();
  body.append('file', new File([content], name));
  return [path, { method: 'POST', headers: { origin: 'http://localhost', ...headers }, body }] as const;
};

/** Sends one request, reads the whole answer (a stream to its end) and checks status and time. */
async function answered(t: TestApp, label: string, path: string, init: RequestInit = {}): Promise<void> {
  const bound = label.startsWith('upload content') ? INGESTION_LIVENESS_MS : LIVENESS_MS;
  const started = performance.now();
  const response = await t.request(path, init);
  await response.arrayBuffer();
  const ms = performance.now() - started;
  expect({ label, status: response.status < 500, quick: ms < bound }).toEqual({
    label,
    status: true,
    quick: true,
  });
}

/** The requests that carry `x` somewhere a person or a client can put text. */
function requests(x: string, headers: Record<string, string>): [string, string, RequestInit][] {
  const question = x.slice(0, MAX_MESSAGE_CHARS);
  const id = encodeURIComponent(x.slice(0, 10_000));
  return [
    ['chat (JSON)', '/api/chat', json({ message: x }, headers)],
    ['chat (JSON) at the length limit', '/api/chat', json({ message: question }, headers)],
    ['chat (JSON) conversation id', '/api/chat', json({ message: 'hello', conversationId: x }, headers)],
    ['chat (page)', '/chat/messages', form({ message: question, conversationId: '' }, headers)],
    ['chat (page) conversation id', '/chat/messages', form({ message: 'hello', conversationId: x }, headers)],
    ['conversation page', `/c/${id}`, { headers }],
    ['conversation (JSON)', `/api/conversations/${id}`, { headers }],
    ['stop', `/api/chat/${id}/stop`, json({}, headers)],
    ['search conversations (JSON)', `/api/conversations?q=${id}`, { headers }],
    ['search conversations (page)', `/chat/conversations?q=${id}`, { headers }],
    ['rename', `/api/conversations/${id}`, json({ title: x }, headers, 'PATCH')],
    ['feedback', `/api/messages/${id}/feedback`, json({ rating: 'up', comment: x }, headers, 'PUT')],
    ['edit and resend', `/api/messages/${id}/edit`, json({ message: x }, headers)],
    ['export', `/api/conversations/${id}/export?format=${id}`, { headers }],
    ['login page next=', `/login?next=${encodeURIComponent(x)}`, { headers }],
  ];
}

for (const [name, x] of Object.entries(WORST)) {
  test(`no accounts: ${name} is answered quickly everywhere`, async () => {
    for (const [label, path, init] of requests(x, {})) await answered(local, label, path, init);
    for (const ext of ['md', 'txt', 'html']) {
      await answered(local, `upload content .${ext}`, ...upload(`worst.${ext}`, x));
      await answered(local, `upload content (page) .${ext}`, ...upload(`worst-page.${ext}`, x, {}, '/docs/upload'));
    }
    await answered(local, 'upload name', ...upload(`${x}.md`, '# A title\n\nSome text.'));
    await answered(local, 'upload name (short enough)', ...upload(`${x.slice(0, 250)}.md`, '# A title\n\nSome text.'));
  }, 120_000);

  test(`accounts: ${name} is answered quickly everywhere`, async () => {
    const t = accounts;
    await answered(t, 'signup email', '/signup', form({ email: x, name: 'N', password: 'long-enough-password' }));
    await answered(t, 'signup name', '/signup', form({ email: `n${name.length}@example.com`, name: x, password: x }));
    await answered(t, 'login email', '/login', form({ email: x, password: 'whatever-password', next: x }));
    await answered(t, 'login password', '/login', form({ email: ALICE.email, password: x }));
    // A header holds printable Latin-1 only: the rest becomes dots.
    const header = x.slice(0, 60_000).replace(/[^\x20-\x7e]/g, '.');
    await answered(t, 'bearer token', '/api/me', { headers: { authorization: `Bearer ${header}` } });
    await answered(t, 'session cookie', '/api/me', { headers: { cookie: `ragchat_session=${header}` } });
    await answered(t, 'change password', '/account/password', form({ current: x, next: x }, alice));
    await answered(t, 'token name', '/account/tokens', form({ name: x }, alice));
    await answered(t, 'revoke token', `/account/tokens/${encodeURIComponent(x.slice(0, 10_000))}`, {
      method: 'DELETE',
      headers: alice,
    });
    await answered(t, 'admin: new user', '/admin/users', form({ email: x, name: x, password: x, role: x }, admin));
    await answered(t, 'admin: new user (JSON)', '/api/admin/users', json({ email: x, name: x, password: x }, admin));
    await answered(t, 'admin: update user', `/admin/users/${t.ids.bob}`, form({ role: x, password: x }, admin));
    await answered(
      t,
      'admin: update user (JSON)',
      `/api/admin/users/${t.ids.bob}`,
      json({ collections: [x] }, admin, 'PATCH'),
    );
    await answered(
      t,
      'admin: user id',
      `/api/admin/users/${encodeURIComponent(x.slice(0, 10_000))}`,
      json({}, admin, 'PATCH'),
    );
    await answered(t, 'admin: collection name', '/admin/collections', form({ name: x }, admin));
    await answered(t, 'admin: collection (JSON)', '/api/admin/collections', json({ id: x, name: x }, admin));
    for (const [label, path, init] of requests(x, alice)) await answered(t, label, path, init);
    await answered(t, 'upload content', ...upload('worst.md', x, admin));
    await answered(t, 'upload name', ...upload(`${x}.txt`, 'Some text.', admin));
    await answered(t, 'upload collection', ...upload('c.md', 'Some text.', { ...admin }, '/docs/upload'));
  }, 120_000);
}
