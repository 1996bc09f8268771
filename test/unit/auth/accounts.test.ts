import { afterAll, describe, expect, test } from 'bun:test';
import { ADMIN, ALICE, BOB, fromPage, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, readEvents, type TestApp } from '../../support/test-deps.ts';

let t: TestApp & { ids: Record<string, string> };
let alice: string;
let bob: string;
let admin: string;

beforeSuite(async () => {
  t = await makeAccountsApp({ RATE_LIMIT_LOGINS_PER_MINUTE: '1000' });
  [alice, bob, admin] = await Promise.all([login(t, ALICE), login(t, BOB), login(t, ADMIN)]);
});
afterAll(() => t?.cleanup());

const ask = (cookie: string, message: string, conversationId?: string) =>
  t.request('/api/chat', json({ message, ...(conversationId ? { conversationId } : {}) }, fromPage(cookie)));

describe('logging in', () => {
  test('a page asks an anonymous visitor to log in, and comes back afterwards', async () => {
    const res = await t.request('/c/0190f000-0000-7000-8000-000000000000');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fc%2F0190f000-0000-7000-8000-000000000000');
    const page = await t.request('/login?next=/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="next" value="/docs"');
    expect(html).not.toContain('No account exists yet');
  });

  test('the session cookie is HttpOnly and SameSite=Lax, and Secure behind HTTPS', async () => {
    const form = new URLSearchParams({ ...ALICE, next: '/docs' });
    const plain = await t.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(plain.status).toBe(303);
    expect(plain.headers.get('location')).toBe('/docs');
    const cookie = plain.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ragchat_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
    expect(cookie).not.toContain('Secure');
    const https = await t.app.handle(
      new Request('https://localhost/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      }),
    );
    expect(https.headers.get('set-cookie')).toContain('; Secure');
  });

  test('a wrong password or an unknown email gets the same answer, and no session', async () => {
    for (const body of [
      { email: ALICE.email, password: 'not-her-password' },
      { email: 'nobody@example.com', password: 'whatever-password' },
    ]) {
      const res = await t.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toContain('Wrong email or password.');
    }
  });

  test('the login never redirects to another site', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await t.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...BOB, next }),
      });
      expect(res.headers.get('location')).toBe('/');
    }
  });

  test('log out ends the session on the server, not only in the browser', async () => {
    const cookie = await login(t, BOB);
    expect((await t.request('/', { headers: { cookie } })).status).toBe(200);
    const out = await t.request('/logout', { method: 'POST', headers: fromPage(cookie) });
    expect(out.headers.get('hx-redirect')).toBe('/login');
    expect(out.headers.get('set-cookie')).toContain('Expires=Thu, 01 Jan 1970');
    expect((await t.request('/', { headers: { cookie } })).status).toBe(303);
  });

  test('changing the password needs the current one and ends the other sessions', async () => {
    const me = { email: 'carol@example.com', password: 'carol-password-123' };
    await t.deps.auth.createUser(null, me);
    const here = await login(t, me);
    const elsewhere = await login(t, me);
    const change = (current: string, next: string) =>
      t.request('/account/password', {
        method: 'POST',
        headers: fromPage(here, { 'content-type': 'application/x-www-form-urlencoded' }),
        body: new URLSearchParams({ current, next }),
      });
    const wrong = await change('nope-nope-nope', 'carol-new-password-1');
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('The current password is not right.');
    const short = await change(me.password, 'short');
    expect(await short.text()).toContain('at least 12 characters');
    expect((await change(me.password, 'carol-new-password-1')).status).toBe(200);
    expect((await t.request('/', { headers: { cookie: here } })).status).toBe(200);
    expect((await t.request('/', { headers: { cookie: elsewhere } })).status).toBe(303);
    await login(t, { email: me.email, password: 'carol-new-password-1' });
  });

  test('sign-up is off unless ALLOW_SIGNUP', async () => {
    expect((await t.request('/signup')).status).toBe(404);
    const res = await t.request('/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'eve@example.com', password: 'eve-password-1234' }),
    });
    expect(res.status).toBe(404);
    expect(await t.deps.accounts.findLogin('eve@example.com')).toBeNull();
  });
});

describe('who sees what', () => {
  test('two users each see only their own conversations, in the page and the API', async () => {
    const a = await (await ask(alice, 'How do I start ragchat on my laptop?')).json();
    const b = await (await ask(bob, 'What does the offline mode do?')).json();
    const list = async (cookie: string) =>
      (await (await t.request('/api/conversations', { headers: { cookie } })).json()).conversations.map(
        (c: { id: string }) => c.id,
      );
    expect(await list(alice)).toContain(a.conversationId);
    expect(await list(alice)).not.toContain(b.conversationId);
    expect(await list(bob)).toEqual([b.conversationId]);

    // Another user's ids answer 404, exactly like ids that do not exist.
    const other = [
      t.request(`/api/conversations/${a.conversationId}`, { headers: { cookie: bob } }),
      t.request(`/c/${a.conversationId}`, { headers: { cookie: bob } }),
      t.request(`/api/conversations/${a.conversationId}`, { method: 'DELETE', headers: fromPage(bob) }),
      t.request(`/c/${a.conversationId}`, { method: 'DELETE', headers: fromPage(bob) }),
      t.request(`/api/chat/${a.messageId}/stop`, { method: 'POST', headers: fromPage(bob) }),
      t.request(`/chat/messages/${a.messageId}/stream`, { headers: { cookie: bob } }),
      ask(bob, 'And then?', a.conversationId),
    ];
    for (const res of await Promise.all(other)) expect(res.status).toBe(404);
    // Nothing of Alice's changed.
    const still = await (
      await t.request(`/api/conversations/${a.conversationId}`, { headers: { cookie: alice } })
    ).json();
    expect(still.messages).toHaveLength(2);
    // Bob's page does not list Alice's conversation.
    expect(await (await t.request('/', { headers: { cookie: bob } })).text()).not.toContain(a.conversationId);
  });

  test('a user asking about a document of a collection only another may read gets no passage from it', async () => {
    const question = 'What is the zanzibar salary band for staff engineers?';
    const forBob = await (await ask(bob, question)).json();
    expect(forBob.sources.map((s: { source: string }) => s.source)).not.toContain('uploads/hr/salaries.md');
    expect(JSON.stringify(forBob)).not.toContain('140k');

    // The same through the page's stream.
    const page = await t.request('/chat/messages', {
      method: 'POST',
      headers: fromPage(bob, { 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams({ message: question }),
    });
    let html = '';
    for await (const e of readEvents(page)) html += e.data;
    expect(html).not.toContain('140k');
    expect(html).not.toContain('salaries.md');

    // Alice, who may read HR, gets it, cited.
    const forAlice = await (await ask(alice, question)).json();
    expect(forAlice.sources[0].source).toBe('uploads/hr/salaries.md');
    expect(forAlice.response).toContain('140k');
  });

  test('documents of a collection one may not read are not listed and their originals are not found', async () => {
    const docs = async (cookie: string) =>
      (await (await t.request('/api/docs', { headers: { cookie } })).json()).documents.map(
        (d: { source: string; id: string }) => d.source,
      );
    expect(await docs(alice)).toContain('uploads/hr/salaries.md');
    expect(await docs(bob)).not.toContain('uploads/hr/salaries.md');
    const hr = (await t.deps.catalog.list()).find((d) => d.collection === 'hr');
    expect((await t.request(`/docs/${hr?.id}/original`, { headers: { cookie: bob } })).status).toBe(404);
    expect((await t.request(`/docs/${hr?.id}/original`, { headers: { cookie: alice } })).status).toBe(200);
    expect(await (await t.request('/docs', { headers: { cookie: bob } })).text()).not.toContain('salaries');
  });

  test('only admins upload, delete and manage; members may read', async () => {
    const upload = (cookie: string) => {
      const form = new FormData();
      form.append('file', new File(['# Note\n\nA note for everyone.'], 'note.md'));
      return t.request('/api/docs/upload', { method: 'POST', headers: fromPage(cookie), body: form });
    };
    const refused = await upload(alice);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toBe('Only an admin may do this.');
    expect((await upload(admin)).status).toBe(201);
    expect((await t.request('/admin', { headers: { cookie: alice } })).status).toBe(403);
    expect((await t.request('/admin', { headers: { cookie: admin } })).status).toBe(200);
    expect(await (await t.request('/docs', { headers: { cookie: alice } })).text()).not.toContain('upload-form');
  });

  test('admins change grants; the next question of that user searches the new collections', async () => {
    const granted = await t.request(`/api/admin/users/${t.ids.bob}`, {
      method: 'PATCH',
      headers: { ...fromPage(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ collections: ['general', 'hr'] }),
    });
    expect(granted.status).toBe(200);
    expect((await granted.json()).collections).toEqual(['general', 'hr']);
    const answer = await (await ask(bob, 'What is the zanzibar salary band for staff engineers?')).json();
    expect(answer.sources[0].source).toBe('uploads/hr/salaries.md');
    await t.deps.auth.updateUser(
      (await t.deps.auth.fromSession(admin.split('=')[1] as string)) as never,
      t.ids.bob as string,
      {
        collections: ['general'],
      },
    );
    const audit = await (await t.request('/api/admin/audit', { headers: { cookie: admin } })).json();
    expect(audit.entries[0]).toMatchObject({ actor: ADMIN.email, action: 'user.update', target: `user:${BOB.email}` });
  });
});

describe('personal API tokens', () => {
  test('a token is shown once, works as Bearer on the API only, and stops working when revoked', async () => {
    const created = await t.request('/account/tokens', {
      method: 'POST',
      headers: fromPage(alice, { 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams({ name: 'my script' }),
    });
    expect(created.headers.get('cache-control')).toBe('no-store');
    const token = /rc_[A-Za-z0-9_-]{43}/.exec(await created.text())?.[0] as string;
    expect(token).toBeDefined();
    // Shown once: the account page lists it by name and hint only.
    const account = await (await t.request('/account', { headers: { cookie: alice } })).text();
    expect(account).toContain('my script');
    expect(account).not.toContain(token);

    const bearer = { authorization: `Bearer ${token}` };
    const me = await t.request('/api/me', { headers: bearer });
    expect(await me.json()).toMatchObject({ email: ALICE.email, role: 'member', collections: ['general', 'hr'] });
    // No Origin, no CSRF token: a token is not sent by a browser on its own.
    expect((await t.request('/api/chat', json({ message: 'How is an answer streamed?' }, bearer))).status).toBe(200);
    // The pages are for the browser session, not for tokens.
    expect((await t.request('/', { headers: bearer })).status).toBe(303);

    const id = (await t.deps.auth.listApiTokens((await t.deps.auth.fromApiToken(token)) as never))[0]?.id;
    expect((await t.request(`/account/tokens/${id}`, { method: 'DELETE', headers: fromPage(alice) })).status).toBe(200);
    const revoked = await t.request('/api/me', { headers: bearer });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toBe('Bearer realm="ragchat"');
    expect((await t.request('/api/me', { headers: { authorization: 'Bearer rc_made_up' } })).status).toBe(401);
  });
});

describe('cross-site requests', () => {
  test('a state change with the session cookie needs our own page: same origin and htmx or the CSRF token', async () => {
    const post = (headers: Record<string, string>) => t.request('/api/chat', json({ message: 'Hello?' }, headers));
    const evil = await post({ cookie: alice, origin: 'https://evil.example', 'hx-request': 'true' });
    expect(evil.status).toBe(403);
    expect((await evil.json()).error.message).toBe('This request came from another site and was refused.');
    expect((await post({ cookie: alice, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // A form another site submits is same-origin only in name: no htmx header, no token.
    const bare = await post({ cookie: alice, origin: 'http://localhost' });
    expect(bare.status).toBe(403);
    expect((await bare.json()).error.message).toContain('CSRF token');
    expect((await post(fromPage(alice))).status).toBe(200);
    const csrf = (await t.deps.auth.fromSession(alice.split('=')[1] as string))?.csrfToken as string;
    expect((await post({ cookie: alice, origin: 'http://localhost', 'x-csrf-token': csrf })).status).toBe(200);
    expect((await post({ cookie: alice, origin: 'http://localhost', 'x-csrf-token': 'wrong' })).status).toBe(403);
    // Reading is not a state change.
    expect(
      (await t.request('/api/conversations', { headers: { cookie: alice, origin: 'https://evil.example' } })).status,
    ).toBe(200);
  });
});

test('password guessing is slowed: login attempts per client address are limited', async () => {
  const { makeTestApp } = await import('../../support/test-deps.ts');
  const limited = await makeTestApp({
    seed: false,
    env: { AUTH_MODE: 'password', RATE_LIMIT_LOGINS_PER_MINUTE: '3' },
  });
  try {
    const attempt = () =>
      limited.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'x@example.com', password: 'guess-guess-guess' }),
      });
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const blocked = await attempt();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Too many login attempts');
    // With no admin yet, the login page says how to create one.
    expect(await (await limited.request('/login')).text()).toContain('npm run user:create -- --admin');
  } finally {
    await limited.cleanup();
  }
});

test('without accounts (AUTH_MODE=none), another site still cannot drive the local server', async () => {
  const { makeTestApp } = await import('../../support/test-deps.ts');
  const local = await makeTestApp({ seed: false });
  try {
    const evil = await local.request('/api/chat', json({ message: 'Hi' }, { origin: 'https://evil.example' }));
    expect(evil.status).toBe(403);
    expect((await local.request('/api/chat', json({ message: 'Hi' }))).status).toBe(200);
    expect((await local.request('/login')).status).toBe(303);
    expect((await local.request('/admin')).status).toBe(404);
  } finally {
    await local.cleanup();
  }
});
