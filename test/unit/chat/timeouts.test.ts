import { afterAll, beforeEach, expect, test } from 'bun:test';
import type { Message } from '../../../src/domain.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { json, makeTestApp, type ParsedEvent, readEvents, type TestApp } from '../../support/test-deps.ts';

/**
 * Each phase of an answer keeps to its own budget, retries included, and says which phase ran out:
 * the app built from the configuration (the real `openai` client for answers and embeddings)
 * against an OpenAI-compatible stand-in told to hang in one place at a time. Budgets are small
 * here; the bounds allow twice the budget plus slack for a shared two-core machine.
 */
const standIn = new OpenAiStandIn();
let t: TestApp;

const BUDGETS = {
  EMBEDDING_TIMEOUT_MS: 300,
  SEARCH_TIMEOUT_MS: 300,
  QUERY_REWRITE_TIMEOUT_MS: 300,
  LLM_FIRST_TOKEN_TIMEOUT_MS: 400,
  LLM_SILENCE_TIMEOUT_MS: 300,
  ANSWER_TIMEOUT_MS: 1500,
};
const SLACK_MS = 500;

beforeSuite(async () => {
  standIn.start();
  t = await makeTestApp({
    env: {
      LLM_PROVIDER: 'openai',
      LLM_BASE_URL: standIn.url,
      LLM_MODEL: 'stand-in-model',
      EMBEDDINGS_BASE_URL: standIn.url,
      EMBEDDING_MODEL: 'stand-in-embedder',
      ...Object.fromEntries(Object.entries(BUDGETS).map(([k, v]) => [k, String(v)])),
    },
  });
});
afterAll(async () => {
  await t?.cleanup();
  await standIn.stop();
});
beforeEach(() => {
  standIn.script = { tokens: ['The answer', ' is', ' here [1].'] };
});

interface Asked {
  elapsedMs: number;
  events: ParsedEvent[];
  tokens: string[];
  /** The `error` event's body, if the stream ended with one. */
  error?: { code: string; message: string };
  conversationId: string;
  stored: Message[];
}

/** Asks over SSE, as the page does, and reads back what was stored. */
async function ask(message: string, conversationId?: string): Promise<Asked> {
  const started = performance.now();
  const response = await t.request('/api/chat', json({ message, conversationId }, { accept: 'text/event-stream' }));
  const events: ParsedEvent[] = [];
  for await (const e of readEvents(response, started)) events.push(e);
  const elapsedMs = performance.now() - started;
  const first = JSON.parse(events[0]?.data ?? '{}') as { conversationId: string };
  const last = events.at(-1);
  const stored = (await (await t.request(`/api/conversations/${first.conversationId}`)).json()).messages as Message[];
  return {
    elapsedMs,
    events,
    tokens: events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text),
    error: last?.event === 'error' ? JSON.parse(last.data) : undefined,
    conversationId: first.conversationId,
    stored,
  };
}

/** The question is stored before anything can fail, and the failure is stored with the answer. */
function expectStoredFailure(asked: Asked, question: string, message: string, content = '') {
  const [user, assistant] = asked.stored.slice(-2);
  expect(user).toMatchObject({ role: 'user', content: question, status: 'complete' });
  expect(assistant).toMatchObject({ role: 'assistant', status: 'failed', error: message, content });
}

test('a hung embedding server fails the answer within the embedding budget, naming that phase', async () => {
  standIn.script = { tokens: ['unused'], hang: { embeddings: true } };
  const asked = await ask('What is the offline mode?');
  const message = 'The embedding service did not answer within 300 ms.';
  expect(asked.error).toMatchObject({ code: 'unavailable:embeddings', message });
  expect(asked.elapsedMs).toBeLessThan(2 * BUDGETS.EMBEDDING_TIMEOUT_MS + SLACK_MS);
  expectStoredFailure(asked, 'What is the offline mode?', message);
  // The SDK's request was aborted at the deadline, not left to its own (ingest) timeout.
  await Bun.sleep(50);
  expect(standIn.lastRequest('/v1/embeddings')?.abortedAfterMs).toBeLessThan(BUDGETS.EMBEDDING_TIMEOUT_MS + SLACK_MS);
  // And /metrics counts it as the embedder's timeout.
  const metrics = await (await t.request('/metrics')).text();
  expect(metrics).toContain('ragchat_provider_errors_total{kind="embeddings",provider="openai",reason="timeout"} 1');
});

test('a model that never sends its response "did not start answering", after the first-token budget', async () => {
  standIn.script = { tokens: ['unused'], hang: { chat: true } };
  const before = standIn.requests.filter((r) => r.path === '/v1/chat/completions').length;
  const asked = await ask('How do I stop an answer?');
  const message = 'The language model did not start answering within 400 ms.';
  expect(asked.error).toMatchObject({ code: 'unavailable:llm', message });
  expect(asked.elapsedMs).toBeLessThan(2 * BUDGETS.LLM_FIRST_TOKEN_TIMEOUT_MS + SLACK_MS);
  expectStoredFailure(asked, 'How do I stop an answer?', message);
  // One attempt: the SDK's retries live inside the budget, they do not extend it.
  expect(standIn.requests.filter((r) => r.path === '/v1/chat/completions').length - before).toBe(1);
});

test('a model that opens the stream and then says nothing also "did not start answering"', async () => {
  standIn.script = { tokens: ['never', ' sent'], stallAfter: 0 };
  const asked = await ask('How do I stop an answer?');
  expect(asked.error?.message).toBe('The language model did not start answering within 400 ms.');
  expect(asked.tokens).toEqual([]);
  expect(asked.elapsedMs).toBeLessThan(2 * BUDGETS.LLM_FIRST_TOKEN_TIMEOUT_MS + SLACK_MS);
});

test('a 429 whose Retry-After outlasts a budget ends at the budget, not after the SDK has waited', async () => {
  // The SDK sleeps 30 s before its retry, deaf to its signal; the phase ends on time regardless.
  standIn.script = { tokens: ['unused'], failWithStatus: 429, retryAfterSeconds: 30 };
  const embedding = await ask('How do I stop an answer?');
  expect(embedding.error?.message).toBe('The embedding service did not answer within 300 ms.');
  expect(embedding.elapsedMs).toBeLessThan(2 * BUDGETS.EMBEDDING_TIMEOUT_MS + SLACK_MS);

  standIn.script = { tokens: ['unused'], failWithStatus: 429, retryAfterSeconds: 30, failChatOnly: true };
  const answer = await ask('How do I stop an answer?');
  expect(answer.error?.message).toBe('The language model did not start answering within 400 ms.');
  expect(answer.elapsedMs).toBeLessThan(2 * BUDGETS.LLM_FIRST_TOKEN_TIMEOUT_MS + SLACK_MS);
});

test('silence in the middle of the answer is reported as such, and the partial text is kept', async () => {
  standIn.script = { tokens: ['Press', ' Stop', ' to end'], stallAfter: 2 };
  const asked = await ask('How do I stop an answer?');
  const message = 'The language model stopped responding for 300 ms in the middle of the answer.';
  expect(asked.tokens).toEqual(['Press', ' Stop']);
  expect(asked.error).toMatchObject({ code: 'unavailable:llm', message });
  expect(asked.elapsedMs).toBeLessThan(2 * BUDGETS.LLM_SILENCE_TIMEOUT_MS + SLACK_MS);
  expectStoredFailure(asked, 'How do I stop an answer?', message, 'Press Stop');
});

test('an answer that trickles on past the whole-answer budget is cut off there, keeping its text', async () => {
  // Each fragment well inside the silence budget (a loaded machine may delay one by far more than
  // its 40 ms), but 100 of them take 4 s.
  standIn.script = { tokens: Array.from({ length: 100 }, (_, i) => ` w${i}`), delayMs: 40 };
  const asked = await ask('Tell me everything');
  const message = 'The answer was not finished within 1.5 s; it was cut off there.';
  expect(asked.error).toMatchObject({ code: 'answer_timeout', message });
  expect(asked.elapsedMs).toBeGreaterThan(BUDGETS.ANSWER_TIMEOUT_MS - 100);
  expect(asked.elapsedMs).toBeLessThan(BUDGETS.ANSWER_TIMEOUT_MS + SLACK_MS);
  expect(asked.tokens.length).toBeGreaterThan(5);
  expectStoredFailure(asked, 'Tell me everything', message, asked.tokens.join(''));
});

test('a follow-up whose rewrite hangs is searched with the heuristic rewrite after the rewrite budget', async () => {
  const first = await ask('What is the offline mode?');
  expect(first.error).toBeUndefined();
  // The next chat request (the rewrite) hangs; the answer after it is served.
  standIn.script = { tokens: ['Set it', ' in the config [1].'], hang: { chat: 1 } };
  const followUp = await ask('How do I configure it?', first.conversationId);
  expect(followUp.error).toBeUndefined();
  expect(followUp.tokens.join('')).toBe('Set it in the config [1].');
  expect(followUp.elapsedMs).toBeLessThan(2 * BUDGETS.QUERY_REWRITE_TIMEOUT_MS + SLACK_MS);
  expect(followUp.stored.at(-1)).toMatchObject({
    status: 'complete',
    searchQuery: 'How do I configure it? offline mode',
  });
});

test('a follow-up with a hung model is bounded by the rewrite and first-token budgets, and says the model is hung', async () => {
  const first = await ask('What is the offline mode?');
  standIn.script = { tokens: ['unused'], hang: { chat: true } };
  const followUp = await ask('How do I configure it?', first.conversationId);
  const message = 'The language model did not start answering within 400 ms.';
  expect(followUp.error).toMatchObject({ code: 'unavailable:llm', message });
  expect(followUp.elapsedMs).toBeLessThan(
    2 * (BUDGETS.QUERY_REWRITE_TIMEOUT_MS + BUDGETS.LLM_FIRST_TOKEN_TIMEOUT_MS) + SLACK_MS,
  );
  expectStoredFailure(followUp, 'How do I configure it?', message);
});
