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

test('the keyword side is searched while the question is being embedded, and the search budget starts after', async () => {
  // An embedder as slow as a remote one, and a store that notes when its work ran.
  const slow = {
    ...embedder,
    dimensions: embedder.dimensions,
    model: embedder.model,
    embed: async (texts: string[]) => {
      await Bun.sleep(150);
      return embedder.embed(texts);
    },
  } as typeof embedder;
  const events: string[] = [];
  const store = {
    search: async (query: { vector: Float32Array | Promise<Float32Array> }) => {
      events.push(query.vector instanceof Promise ? 'search started, vector pending' : 'search started');
      await query.vector;
      events.push('vector arrived');
      // Longer than the embedding took, shorter than the search budget: within it, counted from the vector.
      await Bun.sleep(170);
      return [found];
    },
  } as unknown as VectorStore;
  const started = performance.now();
  const results = await new Retriever(slow, store, new NoopReranker(), observed, BUDGETS).retrieve('cats', 3);
  expect(results.map((r) => r.id)).toEqual(['c0']);
  expect(events).toEqual(['search started, vector pending', 'vector arrived']);
  expect(performance.now() - started).toBeGreaterThanOrEqual(300);
});

test('an embedding that fails fails the retrieval with its own error, whatever the search does', async () => {
  const failing = {
    ...embedder,
    embed: async () => {
      await Bun.sleep(20);
      throw new Error('embedder down');
    },
  } as unknown as typeof embedder;
  const store = {
    search: async (query: { vector: Promise<Float32Array> }) => [await query.vector, found][1],
  } as unknown as VectorStore;
  await expect(
    new Retriever(failing, store, new NoopReranker(), observed, BUDGETS).retrieve('cats', 3),
  ).rejects.toThrow('embedder down');
});
