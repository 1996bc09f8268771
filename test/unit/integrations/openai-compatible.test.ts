import { afterAll, beforeEach, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { ALICE, apiToken, BOB, HR_DOC, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { makeTestApp, type TestApp } from '../../support/test-deps.ts';

/**
 * The OpenAI-compatible endpoint, over real HTTP, driven by the real `openai` package as Open
 * WebUI or Continue would; the answerer upstream is the OpenAI stand-in, so its requests (and a
 * client's Stop reaching it) are observed. Alice may read "hr"; Bob may not.
 */
const upstream = new OpenAiStandIn();
let t: TestApp & { ids: Record<string, string> };
let base: string;
let stopServer: () => void;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
const clientOf = (who: 'alice' | 'bob', options: { maxRetries?: number } = {}) =>
  new OpenAI({ baseURL: `${base}/v1`, apiKey: tokens[who], maxRetries: options.maxRetries ?? 0 });

beforeSuite(async () => {
  upstream.start();
  t = await makeAccountsApp({
    LLM_PROVIDER: 'openai',
    LLM_BASE_URL: upstream.url,
    LLM_MODEL: 'stand-in-model',
    OPENAI_API_KEY: 'sk-test',
    HEARTBEAT_MS: '100',
  });
  const server = t.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
  base = `http://127.0.0.1:${server.server?.port}`;
  stopServer = () => server.stop(true);
  tokens.alice = await apiToken(t, ALICE, 'openai-client');
  tokens.bob = await apiToken(t, BOB, 'openai-client');
});
afterAll(async () => {
  stopServer?.();
  await upstream.stop();
  await t?.cleanup();
});
beforeEach(() => {
  upstream.script = { tokens: ['Answers', ' stream', ' as they', ' are written', ' [1].'], delayMs: 5 };
});

test('/v1/models lists the scopes each caller may use, in the OpenAI list format', async () => {
  const alice = (await clientOf('alice').models.list()).data.map((m) => m.id);
  const bob = (await clientOf('bob').models.list()).data.map((m) => m.id);
  expect(alice.sort()).toEqual(['ragchat', 'ragchat/general', 'ragchat/hr']);
  expect(bob.sort()).toEqual(['ragchat', 'ragchat/general']);
  const raw = await (await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${tokens.bob}` } })).json();
  expect(raw.object).toBe('list');
  expect(raw.data[0]).toEqual({ id: 'ragchat', object: 'model', created: expect.any(Number), owned_by: 'ragchat' });
});

test('a completion answers with citations, a Sources list, a sources field and usage; it is stored as a conversation from the client', async () => {
  const completion = await clientOf('alice').chat.completions.create({
    model: 'ragchat',
    messages: [{ role: 'user', content: 'How is an answer streamed?' }],
  });
  expect(completion.object).toBe('chat.completion');
  expect(completion.id).toMatch(/^chatcmpl-/);
  expect(completion.model).toBe('ragchat');
  const choice = completion.choices[0];
  expect(choice?.finish_reason).toBe('stop');
  expect(choice?.message.role).toBe('assistant');
  const content = choice?.message.content ?? '';
  expect(content.startsWith('Answers stream as they are written [1].')).toBe(true);
  expect(content).toContain('\n\n**Sources**\n\n1. [');
  expect(content).toContain(`](${base}/docs/`);
  expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
  expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  expect(completion.usage?.total_tokens).toBe(
    (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
  );
  const sources = (completion as unknown as { sources: { id: number; url: string; cited: boolean }[] }).sources;
  expect(sources[0]).toMatchObject({ id: 1, cited: true });
  expect(sources[0]?.url.startsWith(`${base}/docs/`)).toBe(true);

  // Stored like any other conversation, titled from the question, marked as asked from a client.
  const listed = await (
    await fetch(`${base}/api/conversations`, { headers: { authorization: `Bearer ${tokens.alice}` } })
  ).json();
  const stored = listed.conversations.find((c: { title: string }) => c.title === 'How is an answer streamed?');
  expect(stored).toMatchObject({ origin: 'openai' });
  const cookie = await login(t, ALICE);
  const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  expect(page).toContain('How is an answer streamed?');
  expect(page).toMatch(/class="origin"[^>]*>[^<]*OpenAI/);
});

test('a stream is made of chat.completion.chunk objects: the role, the fragments, the sources on the last one, then usage', async () => {
  const stream = await clientOf('alice').chat.completions.create({
    model: 'ragchat/general',
    messages: [{ role: 'user', content: 'How do I stop an answer?' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'ragchat/general')).toBe(true);
  expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  expect(text.startsWith('Answers stream as they are written [1].')).toBe(true);
  expect(text).toContain('**Sources**');
  // One chunk per fragment the model sent, as it sent them.
  const fragments = chunks.map((c) => c.choices[0]?.delta.content).filter((x) => x);
  expect(fragments.slice(0, 5)).toEqual(upstream.script.tokens);
  const last = chunks.at(-2) as unknown as { choices: { finish_reason: string }[]; sources: { id: number }[] };
  expect(last.choices[0]?.finish_reason).toBe('stop');
  expect(last.sources.length).toBeGreaterThan(0);
  const usage = chunks.at(-1);
  expect(usage?.choices).toEqual([]);
  expect(usage?.usage?.completion_tokens).toBeGreaterThan(0);

  // The raw stream ends with OpenAI's terminator.
  const raw = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'ragchat', messages: [{ role: 'user', content: 'Hi?' }], stream: true }),
  });
  expect(raw.headers.get('content-type')).toContain('text/event-stream');
  expect((await raw.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
});

test('closing the stream (Stop) aborts the upstream model call and stores the answer as stopped', async () => {
  upstream.script = { tokens: Array.from({ length: 200 }, (_, i) => ` w${i}`), delayMs: 25 };
  const controller = new AbortController();
  const stream = await clientOf('alice').chat.completions.create(
    { model: 'ragchat', messages: [{ role: 'user', content: 'Tell me everything about uploads' }], stream: true },
    { signal: controller.signal },
  );
  let received = 0;
  let conversationId = '';
  try {
    for await (const chunk of stream) {
      conversationId ||= chunk.id;
      if (chunk.choices[0]?.delta.content) received++;
      if (received === 3) controller.abort();
    }
  } catch (error) {
    expect((error as Error).name).toMatch(/Abort/);
  }
  const stoppedAt = performance.now();
  let seen = upstream.lastRequest();
  while (seen?.abortedAfterMs === undefined && performance.now() - stoppedAt < 3000) {
    await Bun.sleep(20);
    seen = upstream.lastRequest();
  }
  expect(seen?.abortedAfterMs).toBeDefined();
  expect(seen?.chunksSent).toBeLessThan(100);
  const messageId = conversationId.replace('chatcmpl-', '');
  let message = await t.deps.repo.getMessage(messageId);
  while (message?.status === 'streaming' && performance.now() - stoppedAt < 3000) {
    await Bun.sleep(20);
    message = await t.deps.repo.getMessage(messageId);
  }
  expect(message?.status).toBe('stopped');
});

test('earlier messages are the history: a follow-up is rewritten and our Sources list is not sent back to the model', async () => {
  await clientOf('alice').chat.completions.create({
    model: 'ragchat',
    messages: [
      { role: 'system', content: 'You are a pirate.' },
      { role: 'user', content: 'How do I upload a PDF?' },
      { role: 'assistant', content: 'Use the Documents page [1].\n\n**Sources**\n\n1. [Uploads](http://x/docs/1)' },
      { role: 'user', content: 'And how large can it be?' },
    ],
  });
  const requests = upstream.requests.filter((r) => r.path === '/v1/chat/completions').slice(-2);
  const sent = JSON.stringify(requests.map((r) => r.body.messages));
  expect(sent).toContain('How do I upload a PDF?');
  expect(sent).toContain('Use the Documents page [1].');
  expect(sent).not.toContain('**Sources**');
  expect(sent).not.toContain('pirate');
  // Two calls upstream: the follow-up's rewrite into a standalone question, then the answer.
  expect(requests.length).toBe(2);
});

test('a follow-up that carries a stored conversation as its history goes on in that conversation', async () => {
  const client = clientOf('alice');
  const question = 'Which formats can I upload?';
  const first = await client.chat.completions.create({
    model: 'ragchat',
    messages: [{ role: 'user', content: question }],
  });
  const conversationOf = (c: unknown) => (c as { conversation_id: string }).conversation_id;
  const answer = first.choices[0]?.message.content ?? '';
  const followUp = await client.chat.completions.create({
    model: 'ragchat',
    messages: [
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
      { role: 'user', content: 'And the largest size?' },
    ],
  });
  expect(conversationOf(followUp)).toBe(conversationOf(first));
  const messages = await t.deps.repo.listMessages(conversationOf(first));
  expect(messages.map((m) => m.content.slice(0, 22))).toEqual([
    question.slice(0, 22),
    'Answers stream as they',
    'And the largest size?',
    'Answers stream as they',
  ]);
  // A history that is not a stored conversation of the caller's starts a new one.
  const elsewhere = await client.chat.completions.create({
    model: 'ragchat',
    messages: [
      { role: 'user', content: question },
      { role: 'assistant', content: 'Another answer entirely.' },
      { role: 'user', content: 'And the largest size?' },
    ],
  });
  expect(conversationOf(elsewhere)).not.toBe(conversationOf(first));
  const bobs = await clientOf('bob').chat.completions.create({
    model: 'ragchat',
    messages: [
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
      { role: 'user', content: 'And the largest size?' },
    ],
  });
  expect(conversationOf(bobs)).not.toBe(conversationOf(first));
});

test('a member never gets a passage from a collection they may not read, and cannot tell it exists', async () => {
  const bob = clientOf('bob');
  const forbidden = await bob.chat.completions
    .create({ model: 'ragchat/hr', messages: [{ role: 'user', content: 'zanzibar salary band' }] })
    .catch((e) => e);
  const unknown = await bob.chat.completions
    .create({ model: 'ragchat/nothing-here', messages: [{ role: 'user', content: 'zanzibar salary band' }] })
    .catch((e) => e);
  expect(forbidden).toBeInstanceOf(OpenAI.NotFoundError);
  expect(forbidden.code).toBe('model_not_found');
  expect(unknown.status).toBe(404);
  expect(forbidden.message.replace('ragchat/hr', 'X')).toBe(unknown.message.replace('ragchat/nothing-here', 'X'));

  const before = upstream.requests.length;
  const answer = await bob.chat.completions.create({
    model: 'ragchat',
    messages: [{ role: 'user', content: 'What is the zanzibar salary band for staff engineers?' }],
  });
  const sources = (answer as unknown as { sources: { title: string; text: string }[] }).sources;
  expect(sources.some((s) => s.title === 'Salary bands' || s.text.includes('zanzibar'))).toBe(false);
  const prompt = JSON.stringify(upstream.requests.slice(before).map((r) => r.body));
  expect(prompt).not.toContain('140k to 180k');
  // Alice, who may read it, gets it.
  const alice = await clientOf('alice').chat.completions.create({
    model: 'ragchat/hr',
    messages: [{ role: 'user', content: 'What is the zanzibar salary band for staff engineers?' }],
  });
  const hers = (alice as unknown as { sources: { text: string }[] }).sources;
  expect(hers.some((s) => HR_DOC.includes(s.text.trim().split('\n').at(-1) ?? '@'))).toBe(true);
});

const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${tokens.alice}` }) =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('bad requests get a 4xx in OpenAI error shape, with a sentence', async () => {
  const cases: [unknown, number, RegExp, Record<string, string>?][] = [
    [{ model: 'ragchat' }, 400, /Send "messages"/],
    [{ model: 'ragchat', messages: [] }, 400, /Send "messages"/],
    [{ model: 'ragchat', messages: [{ role: 'tool', content: 'x' }] }, 400, /role "system", "user" or "assistant"/],
    [{ model: 'ragchat', messages: [{ role: 'assistant', content: 'x' }] }, 400, /last message must be the user/],
    [{ model: 'ragchat', messages: [{ role: 'user', content: '   ' }] }, 400, /no text/],
    [{ messages: [{ role: 'user', content: 'Hi' }] }, 400, /which model/],
    [{ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }, 404, /GET \/v1\/models lists them/],
    ['{"model": "ragchat", "messages": [', 400, /could not be read/],
    [{ model: 'ragchat', messages: [{ role: 'user', content: 5 }] }, 400, /"content" is text/],
    [{ model: 'ragchat', messages: [{ role: 'user', content: 'Hi' }], stream: 'yes' }, 400, /true or false/],
    [{ model: 'ragchat', messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] }, 413, /too large/],
    [{ model: 'ragchat', messages: [{ role: 'user', content: 'Hi' }] }, 401, /API token/, {}],
    [
      { model: 'ragchat', messages: [{ role: 'user', content: 'Hi' }] },
      401,
      /API token/,
      { authorization: 'Bearer rc_wrong' },
    ],
  ];
  const problems: string[] = [];
  for (const [body, status, sentence, headers] of cases) {
    const res = await post(body, headers);
    const answer = (await res.json()) as { error?: { message?: string; type?: string; code?: string } };
    const ok =
      res.status === status &&
      sentence.test(answer.error?.message ?? '') &&
      typeof answer.error?.type === 'string' &&
      typeof answer.error?.code === 'string';
    if (!ok) problems.push(`${JSON.stringify(body).slice(0, 80)}: ${res.status} ${JSON.stringify(answer)}`);
  }
  expect(problems).toEqual([]);
  // A logged-in browser's cookie is not enough: a web page must not drive this endpoint.
  const cookie = await login(t, ALICE);
  expect((await post({ model: 'ragchat', messages: [{ role: 'user', content: 'Hi' }] }, { cookie })).status).toBe(401);
});

test('without accounts, the endpoint answers on this machine only, within the chat rate limit', async () => {
  const local = await makeTestApp({ env: { TRUST_PROXY: 'loopback', RATE_LIMIT_CHAT_PER_MINUTE: '2' }, seed: false });
  const server = local.app.listen({ port: 0, hostname: '127.0.0.1' });
  try {
    const url = `http://127.0.0.1:${server.server?.port}/v1/models`;
    expect((await fetch(url)).status).toBe(200);
    const remote = await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(remote.status).toBe(403);
    expect((await remote.json()).error.message).toContain('only on this machine');

    const client = new OpenAI({ baseURL: url.replace('/models', ''), apiKey: 'unused', maxRetries: 0 });
    const ask = () =>
      client.chat.completions
        .create({ model: 'ragchat', messages: [{ role: 'user', content: 'Hi?' }] })
        .catch((e) => e);
    expect((await ask()).object).toBe('chat.completion');
    expect((await ask()).object).toBe('chat.completion');
    const limited = await ask();
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.message).toContain('Too many questions');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  } finally {
    server.stop(true);
    await local.cleanup();
  }
});
