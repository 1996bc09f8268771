import { expect, test } from 'bun:test';
import { LOCAL_PRINCIPAL } from '../../../src/auth/auth-service.ts';
import { RateLimiter } from '../../../src/http/rate-limiter.ts';
import { json, makeTestApp } from '../../support/test-deps.ts';

test('a token bucket allows its capacity at once, then refills at its rate', () => {
  let now = 0;
  const limiter = new RateLimiter(6, 2, () => now);
  expect(limiter.take('a').ok).toBe(true);
  expect(limiter.take('a').ok).toBe(true);
  expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 10 });
  expect(limiter.take('b').ok).toBe(true);
  now += 10_000;
  expect(limiter.take('a').ok).toBe(true);
  expect(limiter.take('a').ok).toBe(false);
});

test('questions over the limit get a 429 with Retry-After, as JSON or a fragment; nothing is stored', async () => {
  const t = await makeTestApp({ env: { RATE_LIMIT_CHAT_PER_MINUTE: '2' } });
  try {
    expect((await t.request('/api/chat', json({ message: 'Where is my data?' }))).status).toBe(200);
    expect((await t.request('/api/chat', json({ message: 'Where is my data?' }))).status).toBe(200);
    const limited = await t.request('/api/chat', json({ message: 'Where is my data?' }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error.message).toMatch(/^Too many questions in a short time; try again in \d+ s\.$/);
    const page = await t.request('/chat/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
      body: new URLSearchParams({ message: 'again', conversationId: '' }),
    });
    expect(page.status).toBe(429);
    expect(await page.text()).toContain('Too many questions');
    expect((await (await t.request('/api/conversations')).json()).conversations.length).toBe(2);
  } finally {
    await t.cleanup();
  }
});

test('a user may have only so many answers being written at once', async () => {
  const t = await makeTestApp({ env: { MAX_STREAMS_PER_USER: '1' }, wordDelayMs: 30 });
  try {
    const first = await t.deps.chat.ask(LOCAL_PRINCIPAL, { message: 'How do I add my own documents?' });
    const second = await t.request('/api/chat', json({ message: 'And another?' }));
    expect(second.status).toBe(429);
    expect((await second.json()).error.message).toBe(
      'An answer is still being written; wait for it to finish or stop it.',
    );
    await first.generation.finished;
    expect((await t.request('/api/chat', json({ message: 'Where is my data?' }))).status).toBe(200);
  } finally {
    await t.cleanup();
  }
});

test('the stream cap holds for questions asked at the same moment, before any is stored', async () => {
  const t = await makeTestApp({ env: { MAX_STREAMS_PER_USER: '3' }, wordDelayMs: 30 });
  try {
    const asked = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => t.deps.chat.ask(LOCAL_PRINCIPAL, { message: `Question ${i}?` })),
    );
    const started = asked.filter((a) => a.status === 'fulfilled');
    expect(started.length).toBe(3);
    expect(asked.filter((a) => a.status === 'rejected').map((a) => (a.reason as { status: number }).status)).toEqual(
      Array(7).fill(429),
    );
    await Promise.all(started.map((a) => a.value.generation.finished));
    // Every slot is given back when its answer ends.
    expect((await t.request('/api/chat', json({ message: 'Where is my data?' }))).status).toBe(200);
  } finally {
    await t.cleanup();
  }
});
