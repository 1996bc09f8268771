import { expect, test } from 'bun:test';
import type { EmbeddedChunk } from '../../src/domain.ts';
import { LocalEmbeddingClient } from '../../src/providers/local-embedding-client.ts';
import { stableId } from '../../src/rag/ingestion.ts';
import type { VectorStore } from '../../src/stores/vector-store.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

const embedder = new LocalEmbeddingClient(64);
const IDENTITY = { model: embedder.model, dimensions: 64 };

async function chunk(
  documentId: string,
  index: number,
  text: string,
  title = 'Doc',
  collection = 'general',
): Promise<EmbeddedChunk> {
  const [vector] = await embedder.embed([text]);
  return {
    id: stableId(`${documentId}:${index}`),
    documentId,
    source: `${documentId}.md`,
    title,
    location: 'Section',
    index,
    text,
    contentHash: 'h',
    collection,
    vector: vector as Float32Array,
  };
}

async function search(store: VectorStore, text: string, topK = 5, collections?: string[]) {
  const [vector] = await embedder.embed([text]);
  return store.search({ vector: vector as Float32Array, text, topK, collections });
}

/** What every VectorStore must do; `make` returns an empty store. */
export function runVectorStoreContract(name: string, backend: ContractBackend<VectorStore>) {
  const make = eachTest(backend);

  test(`${name}: a search whose signal is aborted rejects with the signal's reason`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert([await chunk('a', 0, 'Press Stop to end an answer early; the partial text is kept.')]);
    const [vector] = await embedder.embed(['stop an answer']);
    const controller = new AbortController();
    controller.abort();
    const query = { vector: vector as Float32Array, text: 'stop an answer', topK: 5 };
    await expect(store.search(query, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect((await store.search(query, new AbortController().signal))[0]?.documentId).toBe('a');
  });
  test(`${name}: finds the chunk that answers, best first, with its metadata`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert([
      await chunk('a', 0, 'Press Stop to end an answer early; the partial text is kept.'),
      await chunk('a', 1, 'Conversations are listed newest first in the side list.'),
      await chunk('b', 0, 'Pulumi deploys the image to ECS Fargate behind a load balancer.', 'Deploy'),
    ]);
    expect(await store.count()).toBe(3);
    const results = await search(store, 'how do I stop an answer');
    expect(results[0]?.text).toContain('Press Stop');
    expect(results[0]?.documentId).toBe('a');
    expect(results[0]?.source).toBe('a.md');
    expect(results[0]?.location).toBe('Section');
    expect(results[0]?.index).toBe(0);
    for (let i = 1; i < results.length; i++) {
      expect((results[i - 1] as { score: number }).score).toBeGreaterThanOrEqual(
        (results[i] as { score: number }).score,
      );
    }
  });

  test(`${name}: a collection filter keeps every other collection out of both the keyword and the vector side`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    // The secret passage is the best match for the question by any measure, in both rankings.
    await store.upsert([
      await chunk('secret', 0, 'Salary bands for 2027: engineers earn between 90k and 140k.', 'Salaries', 'hr'),
      await chunk('public', 0, 'The office kitchen is cleaned on Fridays.', 'Office', 'general'),
      await chunk('public', 1, 'Expense reports are due by the fifth of each month.', 'Office', 'general'),
    ]);
    const everyone = await search(store, 'salary bands engineers earn', 5);
    expect(everyone[0]?.documentId).toBe('secret');
    expect(everyone[0]?.collection).toBe('hr');

    const general = await search(store, 'salary bands engineers earn', 5, ['general']);
    expect(general.map((r) => r.documentId)).not.toContain('secret');
    expect(general.every((r) => r.collection === 'general')).toBe(true);

    expect((await search(store, 'salary bands engineers earn', 5, ['hr'])).map((r) => r.documentId)).toEqual([
      'secret',
    ]);
    expect(await search(store, 'salary bands engineers earn', 5, [])).toEqual([]);
    expect(await search(store, 'salary bands engineers earn', 5, ['no-such-collection'])).toEqual([]);
  });

  test(`${name}: re-upserting the same ids overwrites instead of duplicating`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert([await chunk('a', 0, 'first version of the text about kittens')]);
    await store.upsert([await chunk('a', 0, 'second version of the text about puppies')]);
    expect(await store.count()).toBe(1);
    expect((await search(store, 'kittens')).map((r) => r.text)).not.toContain(
      'first version of the text about kittens',
    );
    expect((await search(store, 'puppies'))[0]?.text).toBe('second version of the text about puppies');
  });

  test(`${name}: deleting a document removes its vectors and keyword entries, and only those`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert([
      await chunk('a', 0, 'alpha bravo charlie'),
      await chunk('a', 1, 'alpha again'),
      await chunk('b', 0, 'delta echo foxtrot'),
    ]);
    expect(await store.documentIds()).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    await store.deleteDocument('a');
    expect(await store.count()).toBe(1);
    expect(await store.documentIds()).toEqual(new Map([['b', 1]]));
    expect(await store.danglingKeywordEntries(false)).toBe(0);
    // Neither by meaning nor by keyword does anything of "a" come back.
    const results = await search(store, 'alpha bravo charlie');
    expect(results.every((r) => r.documentId !== 'a')).toBe(true);
    expect((await search(store, 'delta echo'))[0]?.documentId).toBe('b');
  });

  test(`${name}: trims a document from a chunk index on (a new, shorter version)`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert(await Promise.all([0, 1, 2, 3].map((i) => chunk('a', i, `part ${i} of the long version`))));
    await store.upsert([await chunk('b', 0, 'another document')]);
    await store.deleteDocument('a', 2);
    expect(await store.documentIds()).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    const left = await search(store, 'part of the long version', 10);
    expect(
      left
        .filter((r) => r.documentId === 'a')
        .map((r) => r.index)
        .sort(),
    ).toEqual([0, 1]);
  });

  test(`${name}: finds by keyword alone, where the words are rare`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    const filler = await Promise.all(
      Array.from({ length: 20 }, (_, i) => chunk('f', i, `general note ${i} about answers and documents`)),
    );
    await store.upsert([...filler, await chunk('k', 0, 'The xylophone quartet rehearses on Thursdays.')]);
    const results = await search(store, 'when does the xylophone quartet rehearse');
    expect(results[0]?.documentId).toBe('k');
  });

  test(`${name}: respects topK and survives queries with search syntax in them`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert(
      await Promise.all(Array.from({ length: 12 }, (_, i) => chunk('d', i, `note ${i} about answers`))),
    );
    expect((await search(store, 'answers', 4)).length).toBe(4);
    for (const q of ['"unbalanced', 'NEAR(a b)', 'a AND OR NOT', '*', 'title:answers', "'; DROP TABLE chunks; --"]) {
      expect(Array.isArray(await search(store, q))).toBe(true);
    }
    expect(await store.count()).toBe(12);
  });

  test(`${name}: refuses an index built by another embedder, naming both and the fix`, async () => {
    const store = await make();
    await store.open(IDENTITY);
    await store.upsert([await chunk('a', 0, 'some text')]);
    let message = '';
    try {
      await store.open({ model: 'text-embedding-3-small', dimensions: 1536 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(IDENTITY.model);
    expect(message).toContain('text-embedding-3-small');
    expect(message).toContain('--reindex');
    await store.reset();
    await store.open({ model: 'text-embedding-3-small', dimensions: 1536 });
    expect(await store.count()).toBe(0);
  });
}
