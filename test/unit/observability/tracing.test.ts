import { afterAll, expect, test } from 'bun:test';
import { createLogger } from '../../../src/logger.ts';
import { Telemetry } from '../../../src/observability/telemetry.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OtlpStandIn, type ReceivedSpan } from '../../support/otlp-stand-in.ts';
import { json, makeTestApp, readEvents, type TestApp } from '../../support/test-deps.ts';

/**
 * Traces over real OTLP/HTTP: the SDK's protobuf exporter posts to a receiver on loopback that
 * decodes what it gets. One question is one trace, with a span for each step of the answer.
 */
const collector = new OtlpStandIn();
const otherCollector = new OtlpStandIn();
let reranker: ReturnType<typeof Bun.serve>;
const started: TestApp[] = [];

beforeSuite(() => {
  collector.start();
  otherCollector.start();
  // A cross-encoder with the /rerank API, so the reranking step is there too.
  reranker = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req) => {
      const body = (await req.json()) as { documents: string[] };
      return Response.json({
        results: body.documents.map((_, index) => ({ index, relevance_score: 1 / (index + 1) })),
      });
    },
  });
});
afterAll(async () => {
  for (const t of started) await t.cleanup();
  await collector.stop();
  await otherCollector.stop();
  reranker?.stop(true);
  expect(collector.violations).toEqual([]);
});

async function tracedApp(env: Record<string, string>, lines?: string[]) {
  const config = {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    RERANK_BASE_URL: `http://127.0.0.1:${reranker.port}`,
    ...env,
  };
  const { loadConfig } = await import('../../../src/config.ts');
  const telemetry = await Telemetry.create({ tracing: loadConfig(config).tracing });
  const t = await makeTestApp({
    env: config,
    overrides: { telemetry, ...(lines ? { logger: createLogger('info', (l) => lines.push(l)) } : {}) },
  });
  started.push(t);
  return { t, telemetry };
}

async function ask(t: TestApp, message: string): Promise<string> {
  const res = await t.request('/api/chat', json({ message }, { accept: 'text/event-stream' }));
  expect(res.status).toBe(200);
  let messageId = '';
  for await (const e of readEvents(res)) {
    if (e.event === 'start') messageId = JSON.parse(e.data).messageId;
    if (e.event === 'done' || e.event === 'error') break;
  }
  // The answer is stored just before `done` is sent; wait for the service to finish with it.
  await t.deps.chat.shutdown(5000);
  return messageId;
}

const ANSWER_STEPS = [
  'chat.store_question',
  'chat.answer',
  'rag.rewrite_query',
  'rag.retrieve',
  'embeddings.embed',
  'vector_store.search',
  'reranker.rerank',
  'llm.stream',
  'chat.store_answer',
];

function traceOf(spans: ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === root.traceId);
}

test('one question is one trace: the request span, then every step of the answer beneath it', async () => {
  const lines: string[] = [];
  const { t, telemetry } = await tracedApp({}, lines);
  const question = 'How are answers streamed to the browser?';
  await ask(t, question);
  await telemetry.flush();
  const spans = await collector.waitFor((all) => all.some((s) => s.name === 'chat.store_answer'));

  const root = spans.find((s) => s.name === 'POST /api/chat') as ReceivedSpan;
  expect(root).toBeDefined();
  expect(root.parentSpanId).toBe('');
  expect(root.kind).toBe(2); // SPAN_KIND_SERVER
  expect(root.service).toBe('ragchat');
  expect(root.attributes['http.response.status_code']).toBe(200);
  const trace = traceOf(spans, root);
  for (const step of ANSWER_STEPS) expect(trace.map((s) => s.name)).toContain(step);

  // Every span hangs from the request: following parents always reaches the root.
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  for (const span of trace) {
    let at: ReceivedSpan | undefined = span;
    for (let hops = 0; at && at !== root && hops < 10; hops++) at = byId.get(at.parentSpanId);
    expect(at?.name).toBe(root.name);
  }
  const parentOf = (name: string) => byId.get(trace.find((s) => s.name === name)?.parentSpanId ?? '')?.name;
  expect(parentOf('vector_store.search')).toBe('rag.retrieve');
  expect(parentOf('embeddings.embed')).toBe('rag.retrieve');
  expect(parentOf('llm.stream')).toBe('chat.answer');

  const search = trace.find((s) => s.name === 'vector_store.search') as ReceivedSpan;
  expect(search.attributes['db.system']).toBe('sqlite');
  const llm = trace.find((s) => s.name === 'llm.stream') as ReceivedSpan;
  expect(llm.events).toContain('first_token');
  expect(llm.attributes['gen_ai.system']).toBe('offline');
  expect(trace.find((s) => s.name === 'chat.answer')?.attributes['ragchat.status']).toBe('complete');

  // No user content in any span by default: not the question, not a word of the documents.
  const everything = JSON.stringify(trace);
  expect(everything).not.toContain('streamed to the browser');
  expect(everything).not.toContain('text/event-stream');

  // The request's log lines carry its trace id: the access line and the stored answer's line.
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const access = logged.find((l) => l.message === 'request' && l.path === '/api/chat');
  expect(access?.traceId).toBe(root.traceId);
  expect(logged.find((l) => l.message === 'answer stored')?.traceId).toBe(root.traceId);
});

test('a caller that sends a W3C traceparent gets the request in its own trace', async () => {
  const { t, telemetry } = await tracedApp({});
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await t.request('/api/conversations', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  expect(res.status).toBe(200);
  await telemetry.flush();
  const spans = await collector.waitFor((all) => all.some((s) => s.traceId === traceId));
  const root = spans.find((s) => s.traceId === traceId) as ReceivedSpan;
  expect(root.name).toBe('GET /api/conversations');
  expect(root.parentSpanId).toBe('00f067aa0ba902b7');
});

test('with OTEL_RECORD_CONTENT=true the question and the search query go into the spans; headers reach the collector', async () => {
  const { t, telemetry } = await tracedApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: otherCollector.url,
    OTEL_RECORD_CONTENT: 'true',
    OTEL_SERVICE_NAME: 'ragchat-content-test',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=collector-secret',
  });
  await ask(t, 'What does the offline answerer do?');
  await telemetry.flush();
  const spans = await otherCollector.waitFor((all) => all.some((s) => s.name === 'chat.answer'));
  const answer = spans.find((s) => s.name === 'chat.answer') as ReceivedSpan;
  expect(answer.attributes['ragchat.question']).toBe('What does the offline answerer do?');
  expect(answer.service).toBe('ragchat-content-test');
  expect(otherCollector.lastHeaders?.get('x-api-key')).toBe('collector-secret');
});

test('without OTEL_EXPORTER_OTLP_ENDPOINT nothing is sent and log lines carry no trace id', async () => {
  const lines: string[] = [];
  const quiet = new OtlpStandIn().start();
  try {
    const t = await makeTestApp({ overrides: { logger: createLogger('info', (l) => lines.push(l)) } });
    started.push(t);
    expect(t.deps.telemetry.tracing).toBe(false);
    await ask(t, 'How are answers streamed to the browser?');
    await t.deps.telemetry.flush();
    await Bun.sleep(100);
    expect(quiet.exports).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('traceId'))).toBe(false);
  } finally {
    await quiet.stop();
  }
});
