import { afterAll, expect, test } from 'bun:test';
import type { ScoredChunk } from '../../../src/domain.ts';
import { HttpReranker } from '../../../src/providers/http-reranker.ts';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';
import { NoopReranker } from '../../../src/providers/noop-reranker.ts';
import { Retriever } from '../../../src/rag/retriever.ts';
import type { VectorStore } from '../../../src/stores/vector-store.ts';

/** A `/rerank` server in the shape TEI, Jina and Cohere share: it scores documents mentioning "cats" highest. */
let seen: { query: string; documents: string[]; top_n: number; model: string } | null = null;
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: async (req) => {
    seen = (await req.json()) as typeof seen;
    const results = (seen?.documents ?? []).map((d, index) => ({
      index,
      relevance_score: d.includes('cats') ? 5 : d.includes('dogs') ? 0 : -5,
    }));
    return Response.json({ results: results.reverse() });
  },
});
afterAll(() => server.stop(true));

const chunk = (i: number, text: string): ScoredChunk => ({
  collection: 'general',
  id: `c${i}`,
  documentId: `d${i}`,
  source: `d${i}.md`,
  title: `Doc ${i}`,
  location: '',
  index: 0,
  text,
  contentHash: 'h',
  score: 1 - i / 10,
});

test('the HTTP reranker reorders by the provider’s scores and keeps topK', async () => {
  const reranker = new HttpReranker({
    baseURL: `http://127.0.0.1:${server.port}`,
    model: 'bge-reranker',
    timeoutMs: 2000,
  });
  const out = await reranker.rerank('pets', [chunk(0, 'dogs bark'), chunk(1, 'cats purr'), chunk(2, 'fish swim')], 2);
  expect(out.map((c) => c.id)).toEqual(['c1', 'c0']);
  expect(out[0]?.score).toBeGreaterThan(0.99);
  expect(seen).toMatchObject({ query: 'pets', model: 'bge-reranker', top_n: 2 });
  expect(seen?.documents[1]).toBe('Doc 1\ncats purr');
});

test('the retriever asks the store for more candidates when a reranker is configured', async () => {
  const asked: number[] = [];
  const store = {
    search: async (q: { topK: number }) => {
      asked.push(q.topK);
      return [];
    },
  } as unknown as VectorStore;
  const embedder = new LocalEmbeddingClient(16);
  await new Retriever(embedder, store, new NoopReranker()).retrieve('x', 5);
  await new Retriever(
    embedder,
    store,
    new HttpReranker({ baseURL: 'http://127.0.0.1:9', model: 'm', timeoutMs: 100 }),
  ).retrieve('x', 5);
  expect(asked).toEqual([5, 20]);
});

test('a reranker that is down is named', async () => {
  const down = new HttpReranker({ baseURL: 'http://127.0.0.1:9', model: 'm', timeoutMs: 500 });
  await expect(down.rerank('q', [chunk(0, 'x')], 1)).rejects.toThrow('The reranker could not be reached.');
});
