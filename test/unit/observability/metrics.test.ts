import { afterAll, describe, expect, test } from 'bun:test';
import { startMetricsListener } from '../../../src/observability/metrics-routes.ts';
import { OpenAiLlmClient } from '../../../src/providers/openai-llm-client.ts';
import { ADMIN, login, makeAccountsApp } from '../../support/accounts.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { json, makeTestApp, readEvents, type TestApp } from '../../support/test-deps.ts';

/** `/metrics` as Prometheus scrapes it: the text format, parsed here line by line. */
const started: TestApp[] = [];
const provider = new OpenAiStandIn();

beforeSuite(() => {
  provider.start();
});
afterAll(async () => {
  for (const t of started) await t.cleanup();
  await provider.stop();
});

/** `name{labels} value` lines into a lookup; `labels` matched as a subset. */
function parse(text: string) {
  const samples = text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not the Prometheus text format: ${l}`);
      const labels = Object.fromEntries(
        [...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1] as string, x[2] as string]),
      );
      return { name: m[1] as string, labels, value: Number(m[4]) };
    });
  return (name: string, labels: Record<string, string> = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(t: TestApp, headers: Record<string, string> = {}) {
  // Requests are counted after their response is sent, as the access line is written.
  await Bun.sleep(20);
  const res = await t.request('/metrics', { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return parse(await res.text());
}

async function chat(t: TestApp, message: string) {
  const res = await t.request('/api/chat', json({ message }, { accept: 'text/event-stream' }));
  const events: string[] = [];
  if (res.status === 200) for await (const e of readEvents(res)) events.push(e.event);
  await answersStored(t);
  return { status: res.status, events };
}

/** The answer's outcome is counted as it is stored, just before `done` reaches the reader. */
async function answersStored(t: TestApp) {
  for (let i = 0; i < 250 && t.deps.chat.activeCount > 0; i++) await Bun.sleep(20);
}

test('after one chat, /metrics shows the request, the answer, its latencies, retrieval, the provider and ingestion', async () => {
  const t = await makeTestApp({ env: { RATE_LIMIT_CHAT_PER_MINUTE: '1' } });
  started.push(t);
  const { events } = await chat(t, 'How are answers streamed to the browser?');
  expect(events.at(-1)).toBe('done');
  // A second question within the minute is refused by the limit, and counted.
  expect((await chat(t, 'And again?')).status).toBe(429);

  // A request is counted once its response has gone out (Elysia's after-response hook).
  let m = await scrape(t);
  for (let i = 0; i < 100 && m('ragchat_http_requests_total', { route: '/api/chat', status: '429' }) === 0; i++) {
    await Bun.sleep(20);
    m = await scrape(t);
  }
  expect(m('ragchat_http_requests_total', { method: 'POST', route: '/api/chat', status: '200' })).toBe(1);
  expect(m('ragchat_http_requests_total', { method: 'POST', route: '/api/chat', status: '429' })).toBe(1);
  expect(m('ragchat_http_request_duration_seconds_count', { route: '/api/chat' })).toBe(2);
  expect(m('ragchat_answers_started_total')).toBe(1);
  expect(m('ragchat_answers_finished_total', { status: 'complete' })).toBe(1);
  expect(m('ragchat_answers_in_progress')).toBe(0);
  expect(m('ragchat_answer_time_to_first_token_seconds_count')).toBe(1);
  expect(m('ragchat_answer_time_to_first_token_seconds_sum')).toBeGreaterThan(0);
  expect(m('ragchat_answer_duration_seconds_count', { status: 'complete' })).toBe(1);
  expect(m('ragchat_answer_tokens_total')).toBeGreaterThan(10);
  expect(m('ragchat_retrieval_duration_seconds_count')).toBe(1);
  expect(m('ragchat_search_duration_seconds_count', { backend: 'sqlite' })).toBe(1);
  expect(m('ragchat_provider_request_duration_seconds_count', { kind: 'llm', provider: 'offline' })).toBe(1);
  expect(m('ragchat_provider_time_to_first_token_seconds_count', { provider: 'offline' })).toBe(1);
  // The question's embedding and the sample corpus's, all through the measured seam.
  expect(
    m('ragchat_provider_request_duration_seconds_count', { kind: 'embeddings', provider: 'local' }),
  ).toBeGreaterThan(1);
  expect(m('ragchat_ingest_documents_total', { outcome: 'added' })).toBeGreaterThan(3);
  expect(m('ragchat_ingest_chunks_total', { outcome: 'added' })).toBeGreaterThan(10);
  expect(m('ragchat_rate_limited_total', { limit: 'chat' })).toBe(1);
  // Route patterns, never raw paths: one series per route whatever the ids.
  await t.request(`/api/conversations/${crypto.randomUUID()}`);
  const after = await scrape(t);
  expect(after('ragchat_http_requests_total', { route: '/api/conversations/:id', status: '404' })).toBe(1);
});

test('provider errors are counted by kind and reason; a stopped answer is not an error', async () => {
  const t = await makeTestApp({
    overrides: {
      llm: new OpenAiLlmClient({ baseURL: provider.url, model: 'gpt-test', firstTokenMs: 5000, silenceMs: 5000 }),
    },
    env: { LLM_BASE_URL: provider.url },
  });
  started.push(t);
  // The SDK retries a 500 twice; what fails the answer is one error, counted once.
  provider.script = { tokens: ['never'], failWithStatus: 500 };
  const failed = await chat(t, 'How are answers streamed to the browser?');
  expect(failed.events.at(-1)).toBe('error');
  // A stopped answer: the provider is slow, the user presses Stop.
  provider.script = { tokens: Array.from({ length: 50 }, (_, i) => `w${i} `), delayMs: 20 };
  const res = await t.request('/api/chat', json({ message: 'A slow one' }, { accept: 'text/event-stream' }));
  let messageId = '';
  for await (const e of readEvents(res)) {
    if (e.event === 'start') messageId = JSON.parse(e.data).messageId;
    if (e.event === 'token') {
      await t.request(`/api/chat/${messageId}/stop`, { method: 'POST' });
    }
    if (e.event === 'done' || e.event === 'error') break;
  }
  await answersStored(t);
  const m = await scrape(t);
  expect(m('ragchat_answers_finished_total', { status: 'stopped' })).toBe(1);
  expect(m('ragchat_provider_errors_total', { kind: 'llm', provider: 'openai', reason: 'server_error' })).toBe(1);
  expect(m('ragchat_answers_finished_total', { status: 'failed' })).toBe(1);
  expect(m('ragchat_provider_errors_total', { reason: 'unexpected' })).toBe(0);
});

describe('who may read /metrics', () => {
  test('with accounts on and no METRICS_TOKEN it is not served at all', async () => {
    const t = await makeAccountsApp();
    started.push(t);
    const res = await t.request('/metrics');
    expect(res.status).toBe(404);
    const cookie = await login(t, ADMIN);
    // Not even to an admin's session: metrics are for a scraper, and a page is not the way in.
    expect((await t.request('/metrics', { headers: { cookie } })).status).toBe(404);
  });

  test('with METRICS_TOKEN only a scraper sending it as a Bearer token gets them', async () => {
    const token = 'scrape-me-0123456789abcdef';
    const t = await makeAccountsApp({ METRICS_TOKEN: token });
    started.push(t);
    const none = await t.request('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await none.json()).error.message).toContain('METRICS_TOKEN');
    expect(
      (await t.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789ab' } })).status,
    ).toBe(401);
    const m = await scrape(t, { authorization: `Bearer ${token}` });
    expect(m('ragchat_answers_in_progress')).toBe(0);
  });

  test('METRICS_PORT is a second listener that serves /metrics and nothing else', async () => {
    const t = await makeAccountsApp();
    started.push(t);
    const listener = startMetricsListener(t.deps.telemetry, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('ragchat_answers_started_total');
      expect((await fetch(`http://127.0.0.1:${listener.port}/api/conversations`)).status).toBe(404);
    } finally {
      listener.stop();
    }
  });

  test('bad metrics settings are refused at start, by name', async () => {
    const { loadConfig } = await import('../../../src/config.ts');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ METRICS_PORT: '3000' })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'no pairs here' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS/);
    // Header values are secrets: never echoed back in the error.
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key' })).not.toThrow(/api-key/);
  });
});
