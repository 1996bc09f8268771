import { afterAll, describe, expect, test } from 'bun:test';
import { ANSWER_PHASES } from '../../../src/observability/answer-timings.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, readEvents, type TestApp } from '../../support/test-deps.ts';

let t: TestApp;
beforeSuite(async () => {
  t = await makeTestApp();
});
afterAll(() => t?.cleanup());

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('POST /api/chat', () => {
  test('answers from the sample documents with cited sources, and stores both messages', async () => {
    const res = await t.request('/api/chat', json({ message: 'How do I add my own documents?' }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('complete');
    expect(body.response).toContain('[1]');
    expect(body.sources.length).toBeGreaterThan(0);
    expect(body.sources[0]).toMatchObject({
      id: expect.any(Number),
      title: expect.any(String),
      source: expect.stringMatching(/^sample-docs\//),
      cited: true,
    });
    expect(body.sources.some((s: { title: string }) => s.title === 'Adding your own documents')).toBe(true);

    const conv = await (await t.request(`/api/conversations/${body.conversationId}`)).json();
    expect(conv.title).toBe('How do I add my own documents?');
    expect(conv.messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(conv.messages[1].id).toBe(body.messageId);
    expect(conv.messages[1].sources).toEqual(body.sources);
  });

  test('a follow-up goes into the same conversation', async () => {
    const first = await (await t.request('/api/chat', json({ message: 'What does the offline mode do?' }))).json();
    const second = await (
      await t.request(
        '/api/chat',
        json({ message: 'How do I leave offline mode?', conversationId: first.conversationId }),
      )
    ).json();
    expect(second.conversationId).toBe(first.conversationId);
    const conv = await (await t.request(`/api/conversations/${first.conversationId}`)).json();
    expect(conv.messages.length).toBe(4);
    const list = await (await t.request('/api/conversations')).json();
    expect(list.conversations[0].id).toBe(first.conversationId);
  });

  test.each([
    ['an empty message', { message: '' }, 400, 'Write a question before sending.'],
    ['a whitespace message', { message: '   \n\t ' }, 400, 'Write a question before sending.'],
    [
      'a missing message',
      {},
      400,
      'The request has no "message". Send JSON like {"message": "your question"} with Content-Type: application/json.',
    ],
    ['a message of the wrong type', { message: 42 }, 400, 'The message must be text.'],
    [
      'a message over the limit',
      { message: 'x'.repeat(4001) },
      400,
      'The message is 4,001 characters long; the limit is 4,000.',
    ],
    [
      'a conversation id of the wrong type',
      { message: 'hi', conversationId: 7 },
      400,
      'conversationId must be a string (the id of an existing conversation).',
    ],
    [
      'a malformed conversation id',
      { message: 'hi', conversationId: 'nope' },
      404,
      'That conversation id is not valid.',
    ],
    [
      'an unknown conversation id',
      { message: 'hi', conversationId: '01a20b4e-0000-7000-8000-000000000000' },
      404,
      'That conversation was not found.',
    ],
  ])('refuses %s with a clear message', async (_name, body, status, message) => {
    const before = (await (await t.request('/api/conversations')).json()).conversations.length;
    const res = await t.request('/api/chat', json(body));
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect((await errorOf(res)).message).toBe(message);
    // Nothing half-created.
    expect((await (await t.request('/api/conversations')).json()).conversations.length).toBe(before);
  });

  test.each([
    ['malformed JSON', '{"message": "hi"', 'application/json'],
    ['a JSON array', '["hi"]', 'application/json'],
    ['a JSON string', '"hi"', 'application/json'],
  ])('refuses %s with a 400 and no stack trace', async (_name, raw, type) => {
    const res = await t.request('/api/chat', { method: 'POST', headers: { 'content-type': type }, body: raw });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(JSON.parse(text).error.message.length).toBeGreaterThan(10);
  });
});

test('JSON sent without a JSON content type is told how to send it', async () => {
  const res = await t.request('/api/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '{"message":"hi"}',
  });
  expect(res.status).toBe(400);
  expect((await errorOf(res)).message).toContain('Content-Type: application/json');
});

test('a body over 1 MB is refused with a readable 413, as JSON for the API and a fragment for the page', async () => {
  const big = JSON.stringify({ message: 'x'.repeat(1_100_000) });
  const api = await t.request('/api/chat', json(JSON.parse(big), { 'content-length': String(big.length) }));
  expect(api.status).toBe(413);
  expect((await errorOf(api)).message).toBe('The request is too large: 1 MB at most.');
  const page = await t.request('/chat/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '2000000', 'hx-request': 'true' },
    body: `message=${'y'.repeat(2_000_000)}`,
  });
  expect(page.status).toBe(413);
  expect(await page.text()).toContain('The request is too large');
});

describe('conversations and messages', () => {
  test('GET an unknown or malformed conversation is a 404 with a sentence', async () => {
    for (const id of ['01a20b4e-0000-7000-8000-000000000000', 'not-an-id', '%00']) {
      const res = await t.request(`/api/conversations/${id}`);
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
    }
  });

  test('DELETE removes a conversation and its messages', async () => {
    const { conversationId } = await (await t.request('/api/chat', json({ message: 'How do I stop ragchat?' }))).json();
    expect((await t.request(`/api/conversations/${conversationId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.request(`/api/conversations/${conversationId}`)).status).toBe(404);
    expect((await t.request(`/api/conversations/${conversationId}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('stopping a finished answer changes nothing; stopping an unknown one is a 404', async () => {
    const { messageId } = await (await t.request('/api/chat', json({ message: 'Where is my data?' }))).json();
    const res = await t.request(`/api/chat/${messageId}/stop`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('complete');
    expect((await t.request('/api/chat/01a20b4e-0000-7000-8000-000000000000/stop', { method: 'POST' })).status).toBe(
      404,
    );
    expect((await t.request('/api/chat/garbage/stop', { method: 'POST' })).status).toBe(404);
  });

  test('an unknown API route answers JSON 404', async () => {
    const res = await t.request('/api/nothing-here');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toContain('no such API endpoint');
  });
});

describe('health', () => {
  test('healthz says alive and readyz checks every backend', async () => {
    expect(await (await t.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.status).toBe('ready');
    expect(body.checks.map((c: { name: string }) => c.name)).toEqual([
      'database (sqlite)',
      'vector-store (sqlite)',
      'document-store (disk)',
      'llm',
    ]);
  });
});

/** Every phase is there, none negative, and together they fit in the total. */
function expectTimings(timings: Record<string, number>) {
  expect(Object.keys(timings).sort()).toEqual([...ANSWER_PHASES, 'total'].sort());
  for (const value of Object.values(timings)) expect(value).toBeGreaterThanOrEqual(0);
  const sum = ANSWER_PHASES.reduce((n, phase) => n + (timings[phase] as number), 0);
  expect(sum).toBeLessThanOrEqual((timings.total as number) + 1e-9);
}

/** `name;dur=ms` metrics of a Server-Timing header (W3C Server Timing), as a map. */
function parseServerTiming(header: string): Map<string, number> {
  return new Map(
    header.split(',').map((metric) => {
      const [name, ...params] = metric.trim().split(';');
      const dur = params.find((p) => p.trim().startsWith('dur='));
      return [name?.trim() as string, Number(dur?.trim().slice(4))];
    }),
  );
}

describe('where the time goes', () => {
  test('the JSON answer carries its timings, and the same figures in a Server-Timing header', async () => {
    const res = await t.request('/api/chat', json({ message: 'How do I add my own documents?' }));
    const body = await res.json();
    expectTimings(body.timings);
    // A first question is not rewritten, and the JSON answer writes no event before it ends.
    expect(body.timings.firstEvent).toBe(0);
    expect(body.timings.provider).toBeGreaterThanOrEqual(0);
    const header = parseServerTiming(res.headers.get('server-timing') ?? '');
    expect([...header.keys()]).toEqual([...ANSWER_PHASES, 'total']);
    for (const [name, dur] of header) expect(dur).toBe(body.timings[name]);
  });

  test("the stream's done event carries the timings, the first event written included", async () => {
    const res = await t.request('/api/chat', json({ message: 'Where is my data?' }, { accept: 'text/event-stream' }));
    let done: { timings: Record<string, number> } | undefined;
    for await (const e of readEvents(res)) if (e.event === 'done') done = JSON.parse(e.data);
    expectTimings(done?.timings ?? {});
    expect(done?.timings.firstEvent).toBeGreaterThanOrEqual(0);
    expect(done?.timings.total).toBeGreaterThan(0);
  });

  test('the OpenAPI document describes every phase of `timings`', async () => {
    const spec = await (await t.request('/openapi.json')).json();
    const answer = spec.paths['/api/chat'].post.responses['200'];
    const schema = answer.content['application/json'].schema.properties.timings;
    expect(Object.keys(schema.properties)).toEqual([...ANSWER_PHASES, 'total']);
    expect(answer.headers['Server-Timing']).toBeDefined();
  });
});

describe('OpenAPI', () => {
  test('/openapi.json documents the JSON API and nothing of the page', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const spec = await res.json();
    expect(spec.info.title).toBe('ragchat API');
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        '/api/chat',
        '/api/chat/{messageId}/stop',
        '/api/chat/{messageId}/stream',
        '/api/conversations',
        '/api/conversations/{id}',
        '/api/conversations/{id}/export',
        '/api/conversations/{id}/regenerate',
        '/api/messages/{id}',
        '/api/messages/{id}/markdown',
        '/api/messages/{id}/edit',
        '/api/messages/{id}/feedback',
        '/api/docs',
        '/api/docs/upload',
        '/api/docs/{id}',
        '/api/me',
        '/api/admin/users',
        '/api/admin/users/{id}',
        '/api/admin/collections',
        '/api/admin/audit',
        '/healthz',
        '/metrics',
        '/readyz',
        '/v1/models',
        '/v1/chat/completions',
        '/mcp',
      ].sort(),
    );
    // The OpenAI-compatible endpoint's body comes from its schema, so it cannot drift.
    const completions = spec.paths['/v1/chat/completions'].post;
    expect(completions.requestBody.content['application/json'].schema.required.sort()).toEqual(['messages', 'model']);
    expect(completions.tags).toEqual(['OpenAI-compatible']);
    expect(Object.keys(spec.paths['/mcp']).sort()).toEqual(['delete', 'get', 'post']);
    expect(spec.paths['/api/chat'].post.requestBody.content['application/json'].schema.required).toEqual(['message']);
    expect(Object.keys(spec.paths['/api/chat'].post.responses)).toEqual(['200', '400', '404', '502']);
  });
});
