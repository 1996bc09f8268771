import { SESSION_COOKIE } from '../../src/http/request-auth.ts';
import { makeTestApp, type TestApp } from './test-deps.ts';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-123' };
export const ALICE = { email: 'alice@example.com', password: 'alice-password-123' };
export const BOB = { email: 'bob@example.com', password: 'bob-password-1234' };

/** A document only the HR collection holds; its words appear nowhere else. */
export const HR_DOC = `# Salary bands

The zanzibar salary band for staff engineers is 140k to 180k, reviewed every quarter by the people team.
`;

/**
 * An app with accounts on (AUTH_MODE=password): the admin from ADMIN_EMAIL, Alice granted the
 * "hr" collection and the default one, Bob only the default one; the HR document in "hr".
 */
export async function makeAccountsApp(
  env: Record<string, string> = {},
): Promise<TestApp & { ids: Record<string, string> }> {
  const t = await makeTestApp({
    env: { AUTH_MODE: 'password', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ...env },
  });
  const { auth } = t.deps;
  await auth.createCollection(null, { id: 'hr', name: 'HR' });
  const alice = await auth.createUser(null, { ...ALICE, collections: ['general', 'hr'] });
  const bob = await auth.createUser(null, { ...BOB, collections: ['general'] });
  await t.deps.ingestion.ingestFile('uploads/hr/salaries.md', new TextEncoder().encode(HR_DOC), { collection: 'hr' });
  const admin = (await auth.listUsers()).find((u) => u.email === ADMIN.email);
  return { ...t, ids: { alice: alice.id, bob: bob.id, admin: admin?.id ?? '' } };
}

/** Logs in through the form; returns the session cookie (name=value). */
export async function login(t: TestApp, who: { email: string; password: string }): Promise<string> {
  const res = await t.request('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    body: new URLSearchParams({ email: who.email, password: who.password }),
  });
  const cookie = res.headers.get('set-cookie') ?? '';
  if (res.status !== 303 || !cookie.startsWith(`${SESSION_COOKIE}=`)) {
    throw new Error(`login of ${who.email} failed: ${res.status}`);
  }
  return cookie.split(';')[0] as string;
}

/** A personal API token (rc_…) of the account, as the account page would create it. */
export async function apiToken(
  t: TestApp,
  who: { email: string; password: string },
  name = 'a client',
): Promise<string> {
  const cookie = await login(t, who);
  const principal = await t.deps.auth.fromSession(cookie.split('=')[1] as string);
  if (!principal) throw new Error(`no session for ${who.email}`);
  return (await t.deps.auth.createApiToken(principal, name)).token;
}

/** Headers of a request from our own page, as htmx sends it. */
export const fromPage = (cookie: string, extra: Record<string, string> = {}): Record<string, string> => ({
  cookie,
  origin: 'http://localhost',
  'hx-request': 'true',
  ...extra,
});
