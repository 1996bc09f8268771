import { afterAll, expect, test } from 'bun:test';
import type { EmbeddingClient } from '../../../src/providers/embedding-client.ts';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { QdrantStandIn } from '../../support/qdrant-stand-in.ts';
import { json, makeTestApp, type ParsedEvent, readEvents, SAMPLE_DOCS, type TestApp } from '../../support/test-deps.ts';

/** Faults at the seams: a backend that goes down is named, and answers fail fast and clearly. */
const qdrant = new QdrantStandIn();
let t: TestApp;

beforeSuite(async () => {
  await qdrant.start();
  t = await makeTestApp({ env: { QDRANT_URL: qdrant.url, QDRANT_COLLECTION: 'down_test', STORE_TIMEOUT_MS: '2000' } });
  await qdrant.stop();
});
afterAll(() => t?.cleanup());

test('readyz names the backend that is down', async () => {
  const res = await t.request('/readyz');
  expect(res.status).toBe(503);
  const body = await res.json();
  expect(body.status).toBe('unavailable');
  const down = body.checks.filter((c: { ok: boolean }) => !c.ok);
  expect(down.map((c: { name: string }) => c.name)).toEqual(['vector-store (qdrant)']);
  expect(down[0].error).toBe('The vector store (Qdrant) could not answer: it could not be reached.');
});

test('a chat answers a clear 503 in JSON, an error event in SSE, an error bubble on the page, and keeps the question', async () => {
  const started = performance.now();
  const res = await t.request('/api/chat', json({ message: 'Anything there?' }));
  expect(res.status).toBe(503);
  const body = await res.json();
  expect(body.error).toEqual({
    code: 'unavailable:vector-store',
    message: 'The vector store (Qdrant) could not search: it could not be reached.',
  });
  expect(performance.now() - started).toBeLessThan(5000);
  const stored = await (await t.request(`/api/conversations/${body.conversationId}`)).json();
  expect(stored.messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
    ['user', 'complete'],
    ['assistant', 'failed'],
  ]);

  const events: ParsedEvent[] = [];
  for await (const e of readEvents(
    await t.request('/api/chat', json({ message: 'And now?' }, { accept: 'text/event-stream' })),
  )) {
    events.push(e);
  }
  expect(events.at(-1)?.event).toBe('error');
  expect(JSON.parse(events.at(-1)?.data ?? '{}').code).toBe('unavailable:vector-store');

  const page = await t.request('/chat/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
    body: new URLSearchParams({ message: 'From the page?', conversationId: '' }),
  });
  const raw = await page.text();
  expect(raw).toContain('class="msg assistant failed"');
  expect(raw).toContain('The vector store (Qdrant) could not search: it could not be reached.');
});

test('an ingest batch that fails is reported by document; a re-run finishes without duplicates', async () => {
  const local = new LocalEmbeddingClient();
  let broken = true;
  // An embedding service that fails for one document until it recovers.
  const flaky: EmbeddingClient = {
    model: local.model,
    dimensions: () => local.dimensions(),
    embed: async (texts) => {
      if (broken && texts.some((x) => x.includes('Offline mode'))) throw new Error('embedding service: HTTP 500');
      return local.embed(texts);
    },
  };
  const app = await makeTestApp({ seed: false, overrides: { embedder: flaky } });
  try {
    const first = await app.deps.ingestion.ingestPaths([SAMPLE_DOCS]);
    expect(first.failed).toEqual([{ key: 'sample-docs/offline-mode.md', message: 'embedding service: HTTP 500' }]);
    expect(first.added).toBe(5);

    broken = false;
    const second = await app.deps.ingestion.ingestPaths([SAMPLE_DOCS]);
    expect(second).toMatchObject({ added: 1, unchanged: 5, failed: [] });
    const catalog = await app.deps.catalog.list();
    const indexed = await app.deps.vectors.documentIds();
    expect(catalog.length).toBe(6);
    for (const doc of catalog) expect(indexed.get(doc.id)).toBe(doc.chunkCount);
    expect(await app.deps.vectors.count()).toBe(catalog.reduce((n, d) => n + d.chunkCount, 0));
  } finally {
    await app.cleanup();
  }
});
