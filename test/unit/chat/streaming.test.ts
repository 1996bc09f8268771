import { afterAll, beforeEach, expect, test } from 'bun:test';
import { LOCAL_PRINCIPAL } from '../../../src/auth/auth-service.ts';
import { silentLogger } from '../../../src/logger.ts';
import { OpenAiLlmClient } from '../../../src/providers/openai-llm-client.ts';
import { openDeps } from '../../../src/startup.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { json, makeTestApp, type ParsedEvent, readEvents, type TestApp } from '../../support/test-deps.ts';

/**
 * The streaming contract, end to end over real HTTP: the app on a port, the real `openai` client,
 * and an OpenAI-compatible stand-in streaming the real wire format.
 */
const standIn = new OpenAiStandIn();
let t: TestApp;
let base: string;
let stopServer: () => void;

beforeSuite(async () => {
  standIn.start();
  t = await makeTestApp({
    env: { HEARTBEAT_MS: '100' },
    overrides: {
      llm: new OpenAiLlmClient({
        baseURL: standIn.url,
        apiKey: 'sk-test',
        model: 'stand-in-model',
        firstTokenMs: 10_000,
        silenceMs: 10_000,
      }),
    },
  });
  const server = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  base = `http://127.0.0.1:${server.server?.port}`;
  stopServer = () => server.stop(true);
});
afterAll(async () => {
  stopServer();
  await standIn.stop();
  await t.cleanup();
});
beforeEach(() => {
  standIn.script = { tokens: ['Press', ' Stop', ' to end', ' an answer', ' early', ' [1].'], delayMs: 40 };
});

const ask = (body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${base}/api/chat`, { ...json(body, { accept: 'text/event-stream' }), signal });

/** What the page's form sends (htmx posts the form urlencoded). */
const askFromPage = (message: string) =>
  fetch(`${base}/chat/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
    body: new URLSearchParams({ message, conversationId: '' }),
  });

async function collect(response: Response): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  for await (const e of readEvents(response)) events.push(e);
  return events;
}

test('events arrive in order: start, tokens as the provider sends them, sources, done', async () => {
  const response = await ask({ message: 'How do I stop an answer?' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events = await collect(response);
  const names = events.map((e) => e.event);
  expect(names[0]).toBe('start');
  expect(names.slice(-2)).toEqual(['sources', 'done']);
  const tokens = events.filter((e) => e.event === 'token');
  expect(tokens.map((e) => JSON.parse(e.data).text)).toEqual(standIn.script.tokens);
  // Incremental: the provider spaced its chunks 40 ms apart, and so do the events.
  const times = tokens.map((e) => e.at);
  expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThan(150);
  expect(new Set(times.map((x) => Math.round(x / 20))).size).toBeGreaterThanOrEqual(3);

  const { conversationId, messageId } = JSON.parse((events[0] as ParsedEvent).data);
  expect(JSON.parse((events.at(-1) as ParsedEvent).data)).toEqual({
    conversationId,
    messageId,
    status: 'complete',
    searchQuery: null,
    timings: expect.any(Object),
  });
  const sources = JSON.parse((events.at(-2) as ParsedEvent).data);
  expect(sources[0]).toMatchObject({ id: 1, cited: true });
  expect(Object.keys(sources[0]).sort()).toEqual(
    ['chunkId', 'cited', 'documentId', 'id', 'location', 'score', 'snippet', 'source', 'text', 'title', 'url'].sort(),
  );

  // The prompt the provider received numbers the passages and asks for citations.
  const sent = standIn.lastRequest()?.body as { messages: { role: string; content: string }[]; stream: boolean };
  expect(sent.stream).toBe(true);
  expect(sent.messages[0]?.role).toBe('system');
  expect(sent.messages[0]?.content).toContain('[1] ');
  expect(sent.messages.at(-1)).toEqual({ role: 'user', content: 'How do I stop an answer?' });

  const stored = await (await fetch(`${base}/api/conversations/${conversationId}`)).json();
  expect(stored.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
  expect(stored.messages[1]).toMatchObject({
    id: messageId,
    content: standIn.script.tokens.join(''),
    status: 'complete',
  });
  expect(stored.messages[1].sources.length).toBe(sources.length);
  expect(stored.messages[1].latencyMs).toBeGreaterThan(0);
});

test('Stop aborts the upstream request within a second and stores the partial answer as stopped', async () => {
  standIn.script = { tokens: Array.from({ length: 200 }, (_, i) => ` w${i}`), delayMs: 25 };
  const response = await ask({ message: 'Tell me everything' });
  const received: string[] = [];
  let ids: { conversationId: string; messageId: string } | null = null;
  let last: ParsedEvent | null = null;
  let stopAt = 0;
  for await (const e of readEvents(response)) {
    last = e;
    if (e.event === 'start') ids = JSON.parse(e.data);
    if (e.event === 'token') {
      received.push(JSON.parse(e.data).text);
      if (received.length === 5 && ids) {
        stopAt = performance.now();
        const stop = await fetch(`${base}/api/chat/${ids.messageId}/stop`, { method: 'POST' });
        expect(stop.status).toBe(200);
        expect((await stop.json()).status).toBe('stopped');
      }
    }
  }
  expect(last?.event).toBe('done');
  expect(JSON.parse((last as ParsedEvent).data).status).toBe('stopped');
  // The provider notices the closed connection at its next write; give it up to a second.
  const upstream = standIn.lastRequest() as { abortedAfterMs?: number; chunksSent: number };
  while (upstream.abortedAfterMs === undefined && performance.now() - stopAt < 1000) await Bun.sleep(10);
  expect(upstream.abortedAfterMs).toBeDefined();
  expect(upstream.chunksSent).toBeLessThan(20);

  const message = await t.deps.repo.getMessage((ids as { messageId: string }).messageId);
  expect(message?.status).toBe('stopped');
  expect(message?.content.length).toBeGreaterThan(0);
  expect(message?.content.startsWith(received.join(''))).toBe(true);
});

test('a closed connection is not a stop: the answer runs to its end and is stored complete', async () => {
  standIn.script = { tokens: Array.from({ length: 30 }, (_, i) => ` part${i}`), delayMs: 15 };
  const controller = new AbortController();
  const response = await ask({ message: 'What happens if I close the tab?' }, controller.signal);
  let messageId = '';
  let tokens = 0;
  try {
    for await (const e of readEvents(response)) {
      if (e.event === 'start') messageId = JSON.parse(e.data).messageId;
      if (e.event === 'token' && ++tokens === 3) controller.abort();
    }
  } catch {
    // The reader sees its own abort.
  }
  const generation = t.deps.chat.activeGeneration('local', messageId);
  expect(generation).not.toBeNull();
  await generation?.finished;
  const message = await t.deps.repo.getMessage(messageId);
  expect(message?.status).toBe('complete');
  expect(message?.content).toBe(standIn.script.tokens.join(''));
  expect(standIn.lastRequest()?.abortedAfterMs).toBeUndefined();
});

test('a provider that fails says so in an error event; the question and the failure are stored', async () => {
  standIn.script = { tokens: ['x'], failWithStatus: 401 };
  const before = standIn.requests.length;
  const events = await collect(await ask({ message: 'Will this work?' }));
  const last = events.at(-1) as ParsedEvent;
  expect(last.event).toBe('error');
  const error = JSON.parse(last.data);
  expect(error.code).toBe('unavailable:llm');
  expect(error.message).toBe('The language model rejected the API key.');
  // A 401 is not retried.
  expect(standIn.requests.length - before).toBe(1);

  const { messageId, conversationId } = error;
  const stored = await (await fetch(`${base}/api/conversations/${conversationId}`)).json();
  expect(stored.messages[0]).toMatchObject({ role: 'user', content: 'Will this work?' });
  expect(stored.messages[1]).toMatchObject({
    id: messageId,
    status: 'failed',
    error: 'The language model rejected the API key.',
  });
});

test('a stream cut midway keeps the partial answer, stored as failed', async () => {
  standIn.script = { tokens: ['One', ' two', ' three', ' four'], delayMs: 5, cutAfter: 2 };
  const events = await collect(await ask({ message: 'Count for me' }));
  expect(events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text)).toEqual(['One', ' two']);
  const last = events.at(-1) as ParsedEvent;
  expect(last.event).toBe('error');
  const message = await t.deps.repo.getMessage(JSON.parse(last.data).messageId);
  expect(message).toMatchObject({ status: 'failed', content: 'One two' });
});

test('a slow answer gets heartbeat comments, and fragments with newlines survive the framing', async () => {
  standIn.script = { tokens: ['Line one\n\nLine two', '\r\nafter'], delayMs: 350 };
  const response = await ask({ message: 'Two lines please' });
  const raw = await response.text();
  expect(raw).toContain(': keep-alive\n\n');
  const events: ParsedEvent[] = [];
  for await (const e of readEvents(new Response(raw))) events.push(e);
  expect(events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text)).toEqual([
    'Line one\n\nLine two',
    '\r\nafter',
  ]);
});

test('the page stream sends HTML fragments whose newlines are framed as several data lines', async () => {
  standIn.script = { tokens: ['<b>not bold</b>\n\nsecond paragraph'], delayMs: 0 };
  const response = await askFromPage('Show me <script>alert(1)</script>');
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const raw = await response.text();
  const events: ParsedEvent[] = [];
  for await (const e of readEvents(new Response(raw))) events.push(e);
  // First event: the question (escaped) and the empty answer bubble.
  expect(events[0]?.data).toContain('Show me &lt;script&gt;alert(1)&lt;/script&gt;');
  expect(events[0]?.data).toContain('class="msg assistant streaming"');
  expect(events[1]?.event).toBe('ragchat:conversation');
  // The answer so far, rendered as Markdown: raw HTML from the model stays text.
  const fragment = events.find((e) => e.data.includes('hx-swap="innerHTML"') && e.data.includes('not bold'));
  expect(fragment?.data).toContain('<p>&lt;b&gt;not bold&lt;/b&gt;</p>\n<p>second paragraph</p>');
  expect(raw).toContain('&lt;b&gt;not bold&lt;/b&gt;</p>\ndata: <p>second paragraph</p>');
  expect(raw).not.toContain('<b>not bold</b>');
  // No markup from the question outside quoted attribute values (where `<` cannot open a tag).
  expect(raw.replace(/"[^"]*"/g, '""')).not.toContain('<script>');
  // The live bubble carries its own Stop button; the last event replaces it with the stored
  // message, which has none.
  expect(events[0]?.data).toContain('class="stop" hx-post="/chat/messages/');
  expect(events.at(-1)?.data).toContain('class="msg assistant complete"');
  expect(events.at(-1)?.data).not.toContain('class="stop"');
});

test('on the page, a failed answer ends with the stored message saying what went wrong', async () => {
  standIn.script = { tokens: ['x'], failWithStatus: 401 };
  const events = await collect(await askFromPage('Does this fail?'));
  const last = events.at(-1)?.data ?? '';
  expect(last).toContain('class="msg assistant failed"');
  expect(last).toContain('<span class="badge failed" role="alert">The language model rejected the API key.</span>');
});

test('a conversation deleted while a JSON answer is written gives a 404 with a sentence, not a 500', async () => {
  standIn.script = { tokens: Array.from({ length: 40 }, (_, i) => ` t${i}`), delayMs: 10 };
  const pending = fetch(`${base}/api/chat`, json({ message: 'Will you finish?' }));
  let conversationId = '';
  while (!conversationId) {
    await Bun.sleep(20);
    conversationId = (await (await fetch(`${base}/api/conversations`)).json()).conversations[0]?.id ?? '';
    const conv = conversationId ? await (await fetch(`${base}/api/conversations/${conversationId}`)).json() : null;
    if (conv?.title !== 'Will you finish?') conversationId = '';
  }
  expect((await fetch(`${base}/api/conversations/${conversationId}`, { method: 'DELETE' })).status).toBe(204);
  const res = await pending;
  expect(res.status).toBe(404);
  expect((await res.json()).error.message).toBe('The conversation was deleted while the answer was being written.');
});

test('a second process opening the same data (the ingest command) leaves answers in flight alone', async () => {
  standIn.script = { tokens: Array.from({ length: 20 }, (_, i) => ` t${i}`), delayMs: 15 };
  const started = await t.deps.chat.ask(LOCAL_PRINCIPAL, { message: 'Keep going while I ingest' });
  const other = await openDeps(t.config, { logger: silentLogger });
  try {
    expect((await other.repo.getMessage(started.generation.messageId))?.status).toBe('streaming');
  } finally {
    await other.close();
  }
  await started.generation.finished;
  expect((await t.deps.repo.getMessage(started.generation.messageId))?.status).toBe('complete');
});
