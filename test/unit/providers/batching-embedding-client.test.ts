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

test('with no linger, questions asked together share a request, and a request is given up only when all its callers are', async () => {
  const { client, calls } = counting();
  const batching = new BatchingEmbeddingClient(client, { maxBatch: 64, maxInFlight: 4, lingerMs: 0 });
  await Promise.all(Array.from({ length: 5 }, (_, i) => batching.embed([`question ${i}`])));
  expect(calls.length).toBe(1);

  const signals: (AbortSignal | undefined)[] = [];
  const hung = new BatchingEmbeddingClient(
    {
      ...client,
      embed: (_texts, signal) => {
        signals.push(signal);
        return new Promise(() => {});
      },
    },
    { maxBatch: 64, maxInFlight: 4, lingerMs: 0 },
  );
  const [a, b] = [new AbortController(), new AbortController()];
  const asked = [hung.embed(['one'], a.signal), hung.embed(['two'], b.signal)];
  await Bun.sleep(5);
  a.abort(new Error('first gave up'));
  await expect(asked[0] as Promise<unknown>).rejects.toThrow('first gave up');
  expect(signals[0]?.aborted).toBe(false);
  b.abort(new Error('second gave up'));
  await expect(asked[1] as Promise<unknown>).rejects.toThrow('second gave up');
  expect(signals[0]?.aborted).toBe(true);
});
