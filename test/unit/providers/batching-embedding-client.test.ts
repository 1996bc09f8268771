import { expect, test } from 'bun:test';
import { BatchingEmbeddingClient } from '../../../src/providers/batching-embedding-client.ts';
import type { EmbeddingClient } from '../../../src/providers/embedding-client.ts';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';

function counting(fail?: (texts: string[]) => boolean) {
  const local = new LocalEmbeddingClient(16);
  const calls: string[][] = [];
  const client: EmbeddingClient = {
    model: local.model,
    dimensions: () => local.dimensions(),
    embed: async (texts) => {
      calls.push(texts);
      if (fail?.(texts)) throw new Error('refused');
      return local.embed(texts);
    },
  };
  return { client, calls, local };
}

test('concurrent calls share requests, up to the batch size, and each gets its own vectors back', async () => {
  const { client, calls, local } = counting();
  const batching = new BatchingEmbeddingClient(client, { maxBatch: 4, maxInFlight: 2 });
  const texts = Array.from({ length: 10 }, (_, i) => [`text ${i}`]);
  const results = await Promise.all(texts.map((t) => batching.embed(t)));
  expect(calls.length).toBe(3);
  expect(calls.every((c) => c.length <= 4)).toBe(true);
  for (const [i, r] of results.entries()) expect(r).toEqual(await local.embed(texts[i] as string[]));
});

test('when a shared request fails, each caller is retried alone and only the bad one fails', async () => {
  const { client } = counting((texts) => texts.includes('bad'));
  const batching = new BatchingEmbeddingClient(client, { maxBatch: 8, maxInFlight: 1 });
  const outcomes = await Promise.allSettled([
    batching.embed(['good 1']),
    batching.embed(['bad']),
    batching.embed(['good 2']),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
});
