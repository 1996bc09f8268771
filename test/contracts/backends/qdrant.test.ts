import { afterAll, describe, expect, test } from 'bun:test';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';
import { QdrantVectorStore } from '../../../src/stores/qdrant-vector-store.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { QdrantStandIn } from '../../support/qdrant-stand-in.ts';
import { runVectorStoreContract } from '../vector-store.contract.ts';

const standIn = new QdrantStandIn();
beforeSuite(async () => {
  await standIn.start();
});
afterAll(async () => {
  await standIn.stop();
  // Every request ragchat made, and every answer the stand-in gave, kept to Qdrant's contract.
  expect(standIn.violations).toEqual([]);
});

const storeAt = (url: string, options: { attempts?: number; apiKey?: string } = {}) =>
  new QdrantVectorStore({
    url,
    collection: `ragchat_test_${crypto.randomUUID().slice(0, 8)}`,
    timeoutMs: 5000,
    ...options,
  });

runVectorStoreContract('QdrantVectorStore (stand-in held to the OpenAPI contract)', {
  make: async () => storeAt(standIn.url),
});

// Against a real Qdrant when one is configured (docker run -p 6333:6333 qdrant/qdrant).
const realUrl = process.env.QDRANT_URL;
if (realUrl) {
  runVectorStoreContract('QdrantVectorStore (real Qdrant at QDRANT_URL)', {
    make: async () => storeAt(realUrl, { apiKey: process.env.QDRANT_API_KEY }),
  });
}

describe('QdrantVectorStore against the stand-in', () => {
  test('a search aborted on its way cancels the request: it rejects with the abort, and Qdrant sees the client go', async () => {
    const store = storeAt(standIn.url);
    await store.open({ model: 'm-1', dimensions: 8 });
    standIn.queryDelayMs = 5_000;
    try {
      const cancelledBefore = standIn.cancelledQueries;
      const controller = new AbortController();
      const started = performance.now();
      const search = store.search({ vector: new Float32Array(8).fill(0.35), text: 'stop', topK: 3 }, controller.signal);
      setTimeout(() => controller.abort(), 100);
      await expect(search).rejects.toMatchObject({ name: 'AbortError' });
      // Long before the stand-in would have answered, and the request itself was closed.
      expect(performance.now() - started).toBeLessThan(2_000);
      for (let i = 0; i < 40 && standIn.cancelledQueries === cancelledBefore; i++) await Bun.sleep(25);
      expect(standIn.cancelledQueries).toBe(cancelledBefore + 1);
    } finally {
      standIn.queryDelayMs = 0;
      await store.reset();
    }
  });

  test('creates the collection with named dense and IDF sparse vectors, payload indexes and the model', async () => {
    const store = storeAt(standIn.url);
    await store.open({ model: 'm-1', dimensions: 8 });
    const name = [...standIn.collections.keys()].at(-1) as string;
    const collection = standIn.collections.get(name);
    expect(collection?.config).toMatchObject({
      vectors: { dense: { size: 8, distance: 'Cosine' } },
      sparse_vectors: { keywords: { modifier: 'idf' } },
      metadata: { embedding_model: 'm-1', embedding_dimensions: 8 },
    });
    expect([...(collection?.indexes ?? [])].sort()).toEqual(['chunk_index', 'collection', 'document_id', 'source']);
    // Opening again with the same embedder is fine; another dimension is refused.
    await store.open({ model: 'm-1', dimensions: 8 });
    await expect(store.open({ model: 'm-1', dimensions: 16 })).rejects.toThrow(
      /"m-1" \(8 dimensions\).*"m-1" \(16 dimensions\).*--reindex/s,
    );
  });

  test('searches are hybrid inside Qdrant: dense and sparse prefetches fused by weighted RRF', async () => {
    const store = new QdrantVectorStore({
      url: standIn.url,
      collection: `ragchat_hybrid_${crypto.randomUUID().slice(0, 8)}`,
      timeoutMs: 5000,
      keywordWeight: 1,
      vectorWeight: 0.5,
    });
    await store.open({ model: 'm', dimensions: 64 });
    const [vector] = await new LocalEmbeddingClient(64).embed(['streaming answers']);
    await store.search({ vector: vector as Float32Array, text: 'streaming answers', topK: 5 });
    const body = standIn.lastQuery as { prefetch: { using: string; query: unknown }[]; query: unknown; limit: number };
    expect(body.prefetch.map((p) => p.using)).toEqual(['dense', 'keywords']);
    expect(Array.isArray(body.prefetch[0]?.query)).toBe(true);
    expect(body.prefetch[1]?.query).toMatchObject({ indices: expect.any(Array), values: expect.any(Array) });
    expect(body.query).toEqual({ rrf: { k: 61, weights: [0.5, 1] } });
    expect(body.limit).toBe(5);
  });

  test('two instances opening a new collection at once both succeed; missing indexes are added later', async () => {
    const collection = `ragchat_race_${crypto.randomUUID().slice(0, 8)}`;
    const make = () => new QdrantVectorStore({ url: standIn.url, collection, timeoutMs: 5000 });
    await Promise.all([make().open({ model: 'm', dimensions: 8 }), make().open({ model: 'm', dimensions: 8 })]);
    const state = standIn.collections.get(collection);
    state?.indexes.delete('chunk_index');
    await make().open({ model: 'm', dimensions: 8 });
    expect([...(state?.indexes ?? [])].sort()).toEqual(['chunk_index', 'collection', 'document_id', 'source']);
  });

  test('429 and 5xx are retried, honouring Retry-After; 4xx are not; both end as a sentence', async () => {
    const store = storeAt(standIn.url);
    await store.open({ model: 'm', dimensions: 8 });
    standIn.faults = { status: 503, count: 2, retryAfter: 0 };
    const before = standIn.requests;
    expect(await store.count()).toBe(0);
    expect(standIn.requests - before).toBe(4); // exists (2 failures + 1) and count

    // The server's Retry-After (1 s) is waited for, not the default backoff (200 ms).
    standIn.faults = { status: 503, count: 1, retryAfter: 1 };
    const started = performance.now();
    expect(await store.count()).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);

    standIn.faults = { status: 429, count: 5, retryAfter: 0 };
    await expect(store.count()).rejects.toThrow(
      'The vector store (Qdrant) could not check the collection: it answered HTTP 429',
    );

    standIn.faults = { status: 400, count: 1 };
    const start400 = standIn.requests;
    await expect(store.count()).rejects.toThrow(/answered HTTP 400/);
    expect(standIn.requests - start400).toBe(1);
    standIn.faults = null;
  });

  test('a Qdrant that is not there is named as unreachable', async () => {
    await expect(storeAt('http://127.0.0.1:9').ping()).rejects.toThrow(
      'The vector store (Qdrant) could not answer: it could not be reached.',
    );
  });

  test('the stand-in rejects what the contract rejects', async () => {
    const store = storeAt(standIn.url);
    await store.open({ model: 'm', dimensions: 8 });
    const name = [...standIn.collections.keys()].at(-1) as string;
    // One violation per request, each of which only the contract forbids.
    const put = (query: string, body: unknown) =>
      fetch(`${standIn.url}/collections/${name}/points${query}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const point = { id: 7, vector: { dense: Array.from({ length: 8 }, () => 0.1) } };
    expect((await put('?wait=true', { points: [point] })).status).toBe(200);
    for (const [query, body] of [
      ['?wait=yes', { points: [point] }],
      ['?wait=true', { points: [{ ...point, id: 'not-a-uuid-or-int' }] }],
      ['?wait=true', { points: [{ ...point, id: -1 }] }],
      ['?wait=true', { points: [{ ...point, vector: 'dense' }] }],
      ['?wait=true', { points: [{ ...point, vector: { dense: ['x'] } }] }],
      ['?wait=true&unknown=1', { points: [point] }],
    ] as const) {
      const before = standIn.violations.length;
      const bad = await put(query, body);
      expect(bad.status, JSON.stringify([query, body])).toBe(400);
      expect((await bad.json()).status.error).toContain('Format error in JSON body');
      expect(standIn.violations.length).toBe(before + 1);
    }
    standIn.violations.length = 0;

    // Semantics the contract cannot express: a wrong dimension is refused like Qdrant does.
    const [vector] = await new LocalEmbeddingClient(16).embed(['x']);
    const wrong = await fetch(`${standIn.url}/collections/${name}/points?wait=true`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: [{ id: 1, vector: { dense: Array.from(vector as Float32Array) } }] }),
    });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).status.error).toContain('Vector dimension error: expected dim: 8, got 16');
  });
});
