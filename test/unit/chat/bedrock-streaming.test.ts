import { afterAll, beforeEach, expect, test } from 'bun:test';
import { BedrockStandIn } from '../../support/bedrock-stand-in.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, type ParsedEvent, readEvents, type TestApp } from '../../support/test-deps.ts';

/**
 * A chat through Amazon Bedrock as a user meets it: the app built from the config
 * (`LLM_PROVIDER=bedrock`) on a port, the real AWS SDK, and a stand-in speaking ConverseStream's
 * event-stream wire format. Compare streaming.test.ts, which does the same for OpenAI.
 */
const MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const standIn = new BedrockStandIn();
let t: TestApp;
let base: string;
let stopServer: () => void;

beforeSuite(async () => {
  standIn.start();
  t = await makeTestApp({
    env: {
      LLM_PROVIDER: 'bedrock',
      LLM_MODEL: MODEL,
      BEDROCK_REGION: 'us-east-1',
      BEDROCK_ENDPOINT: standIn.url,
      HEARTBEAT_MS: '100',
    },
    overrides: { bedrockCredentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' } },
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
  standIn.setScript({ tokens: ['Press', ' Stop', ' to end', ' an answer', ' early', ' [1].'], delayMs: 40 });
});

const ask = (message: string) => fetch(`${base}/api/chat`, json({ message }, { accept: 'text/event-stream' }));

async function collect(response: Response): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  for await (const e of readEvents(response)) events.push(e);
  return events;
}

const conversation = async (id: string) => (await fetch(`${base}/api/conversations/${id}`)).json();

test('an answer streams from Bedrock over SSE as the model sends it, and is stored complete', async () => {
  const events = await collect(await ask('How do I stop an answer?'));
  expect(events.map((e) => e.event).slice(-2)).toEqual(['sources', 'done']);
  const tokens = events.filter((e) => e.event === 'token');
  expect(tokens.map((e) => JSON.parse(e.data).text)).toEqual(standIn.script.tokens);
  // Incremental: Bedrock spaced its deltas 40 ms apart, and so do the events.
  expect((tokens.at(-1) as ParsedEvent).at - (tokens[0] as ParsedEvent).at).toBeGreaterThan(150);

  // Converse's shape: the instructions and passages in `system`, the question as the user turn.
  const sent = standIn.lastRequest()?.body as {
    system: { text: string }[];
    messages: { role: string; content: { text: string }[] }[];
    inferenceConfig: { maxTokens: number };
  };
  expect(standIn.lastRequest()?.modelId).toBe(MODEL);
  expect(sent.system[0]?.text).toContain('[1] ');
  expect(sent.messages.at(-1)).toEqual({ role: 'user', content: [{ text: 'How do I stop an answer?' }] });
  expect(sent.inferenceConfig.maxTokens).toBe(t.config.maxAnswerTokens);

  const { conversationId } = JSON.parse((events[0] as ParsedEvent).data);
  const stored = await conversation(conversationId);
  expect(stored.messages[1]).toMatchObject({
    content: standIn.script.tokens.join(''),
    status: 'complete',
    model: MODEL,
  });

  // A follow-up carries the history as alternating user and assistant turns.
  await collect(
    await fetch(`${base}/api/chat`, json({ message: 'And then?', conversationId }, { accept: 'text/event-stream' })),
  );
  const roles = ((standIn.lastRequest()?.body.messages ?? []) as { role: string }[]).map((m) => m.role);
  expect(roles).toEqual(['user', 'assistant', 'user']);
  expect(standIn.violations).toEqual([]);
});

test('Stop aborts the call to Bedrock and stores the partial answer as stopped', async () => {
  standIn.setScript({ tokens: Array.from({ length: 200 }, (_, i) => ` w${i}`), delayMs: 25 });
  const received: string[] = [];
  let ids: { conversationId: string; messageId: string } | null = null;
  let last: ParsedEvent | null = null;
  let stopAt = 0;
  for await (const e of readEvents(await ask('Tell me everything'))) {
    last = e;
    if (e.event === 'start') ids = JSON.parse(e.data);
    if (e.event === 'token' && received.push(JSON.parse(e.data).text) === 5 && ids) {
      stopAt = performance.now();
      expect((await fetch(`${base}/api/chat/${ids.messageId}/stop`, { method: 'POST' })).status).toBe(200);
    }
  }
  expect(JSON.parse((last as ParsedEvent).data).status).toBe('stopped');
  // The stand-in sees the connection close long before all 200 deltas were sent.
  const upstream = standIn.lastRequest() as { abortedAfterMs?: number; deltasSent: number };
  while (upstream.abortedAfterMs === undefined && performance.now() - stopAt < 1000) await Bun.sleep(10);
  expect(upstream.abortedAfterMs).toBeDefined();
  expect(upstream.deltasSent).toBeLessThan(20);
  const message = await t.deps.repo.getMessage((ids as { messageId: string }).messageId);
  expect(message?.status).toBe('stopped');
  expect(message?.content.startsWith(received.join(''))).toBe(true);
  expect(message?.content.length).toBeGreaterThan(0);
});

test('a throttled first attempt is retried with backoff and the answer completes', async () => {
  standIn.setScript({ tokens: ['Retried', ' fine.'], fault: 'ThrottlingException', faultTimes: 1 });
  const before = standIn.requests.length;
  const events = await collect(await ask('Are you busy?'));
  expect(events.at(-1)?.event).toBe('done');
  expect(events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text)).toEqual(['Retried', ' fine.']);
  expect(standIn.requests.length - before).toBe(2);
});

/** Asks, expects an `error` event, and returns it with the stored conversation. */
async function askExpectingFailure(question: string) {
  const events = await collect(await ask(question));
  const last = events.at(-1) as ParsedEvent;
  expect(last.event).toBe('error');
  const error = JSON.parse(last.data);
  const stored = await conversation(error.conversationId);
  expect(stored.messages[0]).toMatchObject({ role: 'user', content: question });
  expect(stored.messages[1]).toMatchObject({ id: error.messageId, status: 'failed', error: error.message });
  return { error, events };
}

test('persistent throttling ends, after the bounded retries, as a clear error; the question is kept', async () => {
  standIn.setScript({ tokens: ['x'], fault: 'ThrottlingException' });
  const before = standIn.requests.length;
  const { error } = await askExpectingFailure('Still busy?');
  expect(error).toMatchObject({
    code: 'unavailable:llm',
    message: 'The language model (Amazon Bedrock) is rate limiting requests; try again shortly.',
  });
  expect(standIn.requests.length - before).toBe(3);
});

test('access denied is not retried and says to check the credentials; the provider text is never shown', async () => {
  standIn.setScript({ tokens: ['x'], fault: 'AccessDeniedException' });
  const before = standIn.requests.length;
  const { error } = await askExpectingFailure('May I?');
  expect(error.message).toBe(
    'The language model (Amazon Bedrock) refused these AWS credentials (check the IAM permissions).',
  );
  expect(error.message).not.toContain('stand-in');
  expect(standIn.requests.length - before).toBe(1);
});

test('an exception inside the stream keeps the partial answer, stored as failed', async () => {
  standIn.setScript({
    tokens: ['One', ' two', ' three'],
    delayMs: 5,
    streamException: { after: 2, type: 'modelStreamErrorException' },
  });
  const { error, events } = await askExpectingFailure('Count for me');
  expect(events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text)).toEqual(['One', ' two']);
  expect(error.message).toBe('The language model (Amazon Bedrock) answered with an error.');
  expect((await t.deps.repo.getMessage(error.messageId))?.content).toBe('One two');
});

test('readiness checks Bedrock without spending tokens', async () => {
  const before = standIn.requests.length;
  const res = await fetch(`${base}/readyz`);
  expect(res.status).toBe(200);
  expect((await res.json()).checks).toContainEqual({ name: 'llm', ok: true });
  expect(standIn.requests.length).toBe(before);
});

test("Bedrock's calls and failures reach /metrics under its own name, by reason", async () => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (series: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(series))
        ?.split(' ')
        .at(-1) ?? Number.NaN,
    );
  expect(value('ragchat_provider_request_duration_seconds_count{kind="llm",provider="bedrock"}')).toBeGreaterThan(3);
  expect(value('ragchat_provider_errors_total{kind="llm",provider="bedrock",reason="rate_limited"}')).toBe(1);
  expect(value('ragchat_provider_errors_total{kind="llm",provider="bedrock",reason="auth"}')).toBe(1);
  expect(value('ragchat_provider_errors_total{kind="llm",provider="bedrock",reason="server_error"}')).toBe(1);
  // Stop is not a failure of the provider.
  expect(text).not.toContain('provider="bedrock",reason="unexpected"');
});
