import { afterAll, expect, test } from 'bun:test';
import type { AppError } from '../../../src/errors.ts';
import type { LlmRequest } from '../../../src/providers/llm-client.ts';
import { OpenAiLlmClient } from '../../../src/providers/openai-llm-client.ts';
import { CONTRACT_REQUEST } from '../../contracts/llm-client.contract.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';

const standIn = new OpenAiStandIn();
beforeSuite(() => {
  standIn.start();
});
afterAll(() => standIn.stop());

async function run(client: OpenAiLlmClient, request: LlmRequest = CONTRACT_REQUEST) {
  const fragments: string[] = [];
  try {
    for await (const f of client.stream(request, new AbortController().signal)) fragments.push(f);
    return { fragments, error: null };
  } catch (error) {
    return { fragments, error: error as AppError };
  }
}

const client = (timeoutMs = 10_000) =>
  new OpenAiLlmClient({
    baseURL: standIn.url,
    apiKey: 'sk-test',
    model: 'stand-in-model',
    firstTokenMs: timeoutMs,
    silenceMs: timeoutMs,
  });

test('sends the key, the model, the messages and max_tokens, streamed', async () => {
  standIn.script = { tokens: ['a', 'b'] };
  await run(client());
  const seen = standIn.lastRequest();
  expect(seen?.authorization).toBe('Bearer sk-test');
  expect(seen?.body).toMatchObject({
    model: 'stand-in-model',
    stream: true,
    max_tokens: 200,
    messages: CONTRACT_REQUEST.messages,
  });
});

test('a provider that goes silent mid-answer is cut off after the timeout, as unavailable', async () => {
  standIn.script = { tokens: ['one', ' two', ' three'], stallAfter: 2 };
  const started = performance.now();
  const { fragments, error } = await run(client(300));
  expect(fragments).toEqual(['one', ' two']);
  expect(error?.code).toBe('unavailable:llm');
  expect(error?.message).toBe('The language model stopped responding for 300 ms in the middle of the answer.');
  expect(performance.now() - started).toBeLessThan(3000);
  await Bun.sleep(100);
  expect(standIn.lastRequest()?.abortedAfterMs).toBeDefined();
});

test('server errors are retried, client errors are not, and each reads as a sentence', async () => {
  for (const [status, requests, message] of [
    [500, 3, 'The language model answered with an error (HTTP 500).'],
    [429, 3, 'The language model is rate limiting requests; try again shortly.'],
    [401, 1, 'The language model rejected the API key.'],
    [404, 1, 'The language model does not know the configured model.'],
  ] as const) {
    standIn.script = { tokens: ['x'], failWithStatus: status };
    const before = standIn.requests.length;
    const { error } = await run(client());
    expect(error?.code).toBe('unavailable:llm');
    expect(error?.message).toBe(message);
    expect(standIn.requests.length - before).toBe(requests);
  }
});

test('a server that is not there is named as unreachable', async () => {
  const down = new OpenAiLlmClient({
    baseURL: 'http://127.0.0.1:9/v1',
    model: 'm',
    firstTokenMs: 2000,
    silenceMs: 2000,
  });
  const { error } = await run(down);
  expect(error?.message).toBe('The language model could not be reached.');
  await expect(down.ping()).rejects.toThrow('could not be reached');
});
