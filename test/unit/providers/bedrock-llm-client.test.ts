import { afterAll, expect, test } from 'bun:test';
import { isAbortError } from '../../../src/errors.ts';
import { bedrockError } from '../../../src/providers/bedrock-errors.ts';
import { BedrockLlmClient, toConverse } from '../../../src/providers/bedrock-llm-client.ts';
import type { LlmRequest } from '../../../src/providers/llm-client.ts';
import { type BedrockFault, BedrockStandIn } from '../../support/bedrock-stand-in.ts';
import { beforeSuite } from '../../support/before-suite.ts';

const standIn = new BedrockStandIn();
beforeSuite(() => {
  standIn.start();
});
afterAll(() => standIn.stop());

const credentials = { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' };
const client = (timeoutMs = 10_000, endpoint = standIn.url) =>
  new BedrockLlmClient({
    model: 'amazon.nova-lite-v1:0',
    firstTokenMs: timeoutMs,
    silenceMs: timeoutMs,
    region: 'us-east-1',
    endpoint,
    credentials,
  });
const request: LlmRequest = {
  messages: [
    { role: 'system', content: 'Answer from the passages.' },
    { role: 'user', content: 'Hi' },
  ],
  passages: [],
  question: 'Hi',
  maxTokens: 50,
};

async function drain(stream: AsyncIterable<string>): Promise<{ fragments: string[]; error: unknown }> {
  const fragments: string[] = [];
  try {
    for await (const f of stream) fragments.push(f);
    return { fragments, error: null };
  } catch (error) {
    return { fragments, error };
  }
}

test('turns map onto Converse: system apart, a user turn first, roles alternating, no blank text', () => {
  expect(
    toConverse([
      { role: 'system', content: 'Rules.' },
      { role: 'assistant', content: 'A reply whose question the budget cut.' },
      { role: 'user', content: 'First?' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Second?' },
      { role: 'system', content: 'More rules.' },
      { role: 'assistant', content: 'Answer.' },
      { role: 'user', content: 'Third?' },
    ]),
  ).toEqual({
    system: [{ text: 'Rules.' }, { text: 'More rules.' }],
    messages: [
      { role: 'user', content: [{ text: 'First?' }, { text: 'Second?' }] },
      { role: 'assistant', content: [{ text: 'Answer.' }] },
      { role: 'user', content: [{ text: 'Third?' }] },
    ],
  });
});

test('a model that goes silent mid-answer is aborted as stalled, keeping what it sent', async () => {
  standIn.setScript({ tokens: ['One', ' two', ' three'], stallAfter: 2 });
  const { fragments, error } = await drain(client(300).stream(request, new AbortController().signal));
  expect(fragments).toEqual(['One', ' two']);
  expect(error).toMatchObject({ code: 'unavailable:llm', reason: 'stalled' });
  // The connection is closed, so Bedrock stops generating (and billing) too.
  const upstream = standIn.lastRequest() as { abortedAfterMs?: number };
  const since = performance.now();
  while (upstream.abortedAfterMs === undefined && performance.now() - since < 1000) await Bun.sleep(10);
  expect(upstream.abortedAfterMs).toBeDefined();
});

test('an exception inside the stream is translated by its kind', async () => {
  for (const [type, reason] of [
    ['throttlingException', 'rate_limited'],
    ['validationException', 'bad_request'],
    ['internalServerException', 'server_error'],
    ['modelStreamErrorException', 'server_error'],
  ] as const) {
    standIn.setScript({ tokens: ['a', 'b'], streamException: { after: 1, type } });
    const { fragments, error } = await drain(client().stream(request, new AbortController().signal));
    expect(fragments).toEqual(['a']);
    expect(error).toMatchObject({ code: 'unavailable:llm', reason });
  }
});

test('HTTP faults are translated; only throttling and 5xx are retried, and at most 3 attempts', async () => {
  const cases: [BedrockFault, string, number][] = [
    ['ResourceNotFoundException', 'model_not_found', 1],
    ['ValidationException', 'bad_request', 1],
    ['ServiceUnavailableException', 'server_error', 3],
  ];
  for (const [fault, reason, attempts] of cases) {
    standIn.setScript({ tokens: ['x'], fault });
    const before = standIn.requests.length;
    const { error } = await drain(client().stream(request, new AbortController().signal));
    expect(error).toMatchObject({ code: 'unavailable:llm', reason });
    expect(((error as Error).cause as Error).name).toBe(fault);
    expect((error as Error).message).not.toContain('stand-in');
    expect(standIn.requests.length - before).toBe(attempts);
  }
});

test('a Bedrock that cannot be reached, or that does not answer in time, says so', async () => {
  const closed = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const url = `http://127.0.0.1:${closed.port}`;
  await closed.stop(true);
  expect((await drain(client(10_000, url).stream(request, new AbortController().signal))).error).toMatchObject({
    reason: 'unreachable',
  });
  standIn.setScript({ tokens: ['late'], latencyMs: 1000 });
  const { error } = await drain(client(200).stream(request, new AbortController().signal));
  expect(error).toMatchObject({
    code: 'unavailable:llm',
    reason: 'timeout',
    message: 'The language model (Amazon Bedrock) did not start answering within 200 ms.',
  });
});

test('a stop before the first token aborts the request as an abort, not a failure', async () => {
  standIn.setScript({ tokens: ['never'], latencyMs: 500 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const { fragments, error } = await drain(client().stream(request, controller.signal));
  expect(fragments).toEqual([]);
  expect(isAbortError(error) || error === controller.signal.reason).toBe(true);
});

test('missing credentials are an auth failure that says so; the SDK text stays in the cause', () => {
  const sdk = Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });
  const error = bedrockError('llm', sdk) as Error & { reason: string };
  expect(error.message).toBe('The language model (Amazon Bedrock) could not be called: no AWS credentials were found.');
  expect(error.reason).toBe('auth');
  expect(error.cause).toBe(sdk);
});

test('ping resolves the configured credentials without calling a model', async () => {
  const before = standIn.requests.length;
  await client().ping(AbortSignal.timeout(1000));
  expect(standIn.requests.length).toBe(before);
  expect(standIn.violations).toEqual([]);
});

test('the first-token budget holds the SDK retries: throttled attempts end at it, named as such', async () => {
  // Every attempt is throttled after 150 ms; three attempts and their backoff would take longer.
  standIn.setScript({ tokens: ['late'], latencyMs: 150, fault: 'ThrottlingException' });
  const started = performance.now();
  const { error } = await drain(client(300).stream(request, new AbortController().signal));
  expect(error).toMatchObject({
    code: 'unavailable:llm',
    reason: 'timeout',
    message: 'The language model (Amazon Bedrock) did not start answering within 300 ms.',
  });
  expect(performance.now() - started).toBeLessThan(2 * 300 + 300);
});

test('a stream that opens and then sends no text did not start answering; one that stops midway stalled', async () => {
  standIn.setScript({ tokens: ['one', ' two'], stallAfter: 0 });
  const first = await drain(client(300).stream(request, new AbortController().signal));
  expect(first.error).toMatchObject({
    message: 'The language model (Amazon Bedrock) did not start answering within 300 ms.',
  });
  standIn.setScript({ tokens: ['one', ' two'], stallAfter: 1 });
  const midway = await drain(client(300).stream(request, new AbortController().signal));
  expect(midway.fragments).toEqual(['one']);
  expect(midway.error).toMatchObject({
    reason: 'stalled',
    message: 'The language model (Amazon Bedrock) stopped responding for 300 ms in the middle of the answer.',
  });
});
