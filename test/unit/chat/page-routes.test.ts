import { afterAll, expect, test } from 'bun:test';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

let t: TestApp;
beforeSuite(async () => {
  t = await makeTestApp();
});
afterAll(() => t?.cleanup());

const form = (
  fields: Record<string, string>,
  headers: Record<string, string> = { 'hx-request': 'true' },
): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields),
});

test('GET / renders the chat page with htmx and its SSE extension served locally', async () => {
  const res = await t.request('/');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/html');
  const html = await res.text();
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).toContain('<script src="/assets/vendor/htmx.min.js"');
  expect(html).toContain('<script src="/assets/vendor/hx-sse.min.js"');
  expect(html).not.toMatch(/https?:\/\/(?!localhost)[^"']*\.js/);
  expect(html).toContain('hx-post="/chat/messages"');
  expect(html).toContain('Offline mode');
  for (const asset of [
    '/assets/vendor/htmx.min.js',
    '/assets/vendor/hx-sse.min.js',
    '/assets/app.css',
    '/assets/app.js',
  ]) {
    const r = await t.request(asset);
    expect(r.status).toBe(200);
    expect((await r.text()).length).toBeGreaterThan(500);
  }
});

test('a conversation page shows its messages, with the user text escaped', async () => {
  const { conversationId } = await (
    await t.request('/api/chat', json({ message: 'What is <img src=x onerror=alert(1)> offline mode?' }))
  ).json();
  // The markup's words are not in the documents, so that answer says they do not say; the next
  // one quotes them, with citations.
  await t.request('/api/chat', json({ message: 'What does the offline mode do?', conversationId }));
  const html = await (await t.request(`/c/${conversationId}`)).text();
  expect(html).toContain('What is &lt;img src=x onerror=alert(1)&gt; offline mode?');
  // No markup from the question outside quoted attribute values (where `<` cannot open a tag).
  expect(html.replace(/"[^"]*"/g, '""')).not.toContain('<img');
  expect(html).toContain('class="msg assistant complete"');
  expect(html).toContain('class="cite"');
  expect(html).toContain('class="sources"');
});

test('an unknown conversation is a 404 page, or a fragment for htmx', async () => {
  const page = await t.request('/c/01a20b4e-0000-7000-8000-000000000000');
  expect(page.status).toBe(404);
  expect(await page.text()).toContain('Back to the chat');
  const fragment = await t.request('/c/nope', { headers: { 'hx-request': 'true' } });
  expect(fragment.status).toBe(404);
  expect(await fragment.text()).toBe('<div class="notice error" role="alert">That conversation id is not valid.</div>');
});

test('posting an empty or too long message from the page answers a 400 fragment', async () => {
  const empty = await t.request('/chat/messages', form({ message: '  ', conversationId: '' }));
  expect(empty.status).toBe(400);
  expect(await empty.text()).toContain('Write a question before sending.');
  const long = await t.request('/chat/messages', form({ message: 'y'.repeat(4001), conversationId: '' }));
  expect(long.status).toBe(400);
  expect(await long.text()).toContain('the limit is 4,000');
});

test('deleting the conversation on screen redirects to a new chat', async () => {
  const { conversationId } = await (await t.request('/api/chat', json({ message: 'How do I run the tests?' }))).json();
  const res = await t.request(`/c/${conversationId}`, {
    method: 'DELETE',
    headers: { 'hx-request': 'true', 'hx-current-url': `http://localhost/c/${conversationId}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('hx-redirect')).toBe('/');
  expect((await t.request(`/c/${conversationId}`)).status).toBe(404);
});

test('an unknown page is a 404 page, not a stack trace', async () => {
  const res = await t.request('/does/not/exist');
  expect(res.status).toBe(404);
  expect(await res.text()).toContain('There is nothing at this address.');
});

test('an answer left "streaming" that this server is not writing is shown as such, never re-attached', async () => {
  const { conversationId } = await (await t.request('/api/chat', json({ message: 'Where is my data?' }))).json();
  const orphan = await t.deps.repo.addMessage({
    id: Bun.randomUUIDv7(),
    conversationId,
    role: 'assistant',
    content: 'half an answer',
    status: 'streaming',
  });
  const html = await (await t.request(`/c/${conversationId}`)).text();
  expect(html).toContain('half an answer');
  expect(html).toContain('This answer is still being written.');
  expect(html).not.toContain('hx-trigger="load"');
  // The stream endpoint, if called anyway, answers once with no re-attaching bubble.
  const stream = await (await t.request(`/chat/messages/${orphan.id}/stream`)).text();
  expect(stream).toContain('This answer is still being written.');
  expect(stream).not.toContain('hx-trigger="load"');
});

test('every answer carries a strict content security policy and the other protective headers', async () => {
  for (const path of ['/', '/assets/app.js', '/api/conversations', '/does/not/exist']) {
    const res = await t.request(path);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  }
  // A client's own X-Forwarded-Proto is not believed without TRUST_PROXY (see hosts-and-proxies).
  const claimed = await t.request('/', { headers: { 'x-forwarded-proto': 'https' } });
  expect(claimed.headers.get('strict-transport-security')).toBeNull();
  const https = await t.app.handle(new Request('https://localhost/'));
  expect(https.headers.get('strict-transport-security')).toContain('max-age=');
});
