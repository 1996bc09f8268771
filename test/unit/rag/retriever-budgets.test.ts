import { afterAll, expect, test } from 'bun:test';
import type { ScoredChunk } from '../../../src/domain.ts';
import { Telemetry } from '../../../src/observability/telemetry.ts';
import { HttpReranker } from '../../../src/providers/http-reranker.ts';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';
import { NoopReranker } from '../../../src/providers/noop-reranker.ts';
import { Retriever } from '../../../src/rag/retriever.ts';
import type { VectorStore } from '../../../src/stores/vector-store.ts';

/** The search phase (the store, then the reranker) keeps to one budget and names the part that hung. */
const BUDGETS = { embeddingMs: 200, searchMs: 200 };
const observed = { telemetry: new Telemetry(), storeBackend: 'test' };
const embedder = new LocalEmbeddingClient(16);

const found: ScoredChunk = {
  collection: 'general',
  id: 'c0',
  documentId: 'd0',
  source: 'd0.md',
  title: 'Doc 0',
  location: '',
  index: 0,
  text: 'cats purr',
  contentHash: 'h',
  score: 1,
};

// A /rerank server that accepts the request and never answers.
const hung = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  idleTimeout: 0,
  fetch: async (req) => {
    while (!req.signal.aborted) await Bun.sleep(10);
    return new Response(null, { status: 499 });
  },
});
afterAll(() => hung.stop(true));

test('a store whose search never returns (and ignores its signal) ends at the search budget', async () => {
  // Like the Qdrant client, whose calls take no signal: only the phase's own deadline can end it.
  const store = { search: () => new Promise(() => {}) } as unknown as VectorStore;
  const started = performance.now();
  const retrieval = new Retriever(embedder, store, new NoopReranker(), observed, BUDGETS).retrieve('cats', 3);
  await expect(retrieval).rejects.toMatchObject({
    code: 'unavailable:vector-store',
    reason: 'timeout',
    message: 'The search did not finish within 200 ms: the vector store did not answer.',
  });
  expect(performance.now() - started).toBeLessThan(2 * BUDGETS.searchMs + 300);
});

test('a hung reranker ends within what is left of the search budget, and is named', async () => {
  const store = { search: async () => [found] } as unknown as VectorStore;
  // Its own per-request timeout is far longer: the phase budget is what ends it.
  const reranker = new HttpReranker({ baseURL: `http://127.0.0.1:${hung.port}`, model: 'm', timeoutMs: 60_000 });
  const started = performance.now();
  const retrieval = new Retriever(embedder, store, reranker, observed, BUDGETS).retrieve('cats', 3);
  await expect(retrieval).rejects.toMatchObject({
    code: 'unavailable:reranker',
    message: 'The search did not finish within 200 ms: the reranker did not answer.',
  });
  expect(performance.now() - started).toBeLessThan(2 * BUDGETS.searchMs + 300);
});

test('a stop during the search is a stop, not a timeout', async () => {
  const store = { search: () => new Promise(() => {}) } as unknown as VectorStore;
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const retrieval = new Retriever(embedder, store, new NoopReranker(), observed, BUDGETS).retrieve(
    'cats',
    3,
    controller.signal,
  );
  await expect(retrieval).rejects.toMatchObject({ name: 'AbortError' });
});
