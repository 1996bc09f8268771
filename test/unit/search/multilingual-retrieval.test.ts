import { afterAll, expect, test } from 'bun:test';
import type { EmbeddedChunk } from '../../../src/domain.ts';
import { LocalEmbeddingClient } from '../../../src/providers/local-embedding-client.ts';
import { QdrantVectorStore } from '../../../src/stores/qdrant-vector-store.ts';
import { openSqliteDatabase } from '../../../src/stores/sqlite-database.ts';
import { SqliteVectorStore } from '../../../src/stores/sqlite-vector-store.ts';
import type { VectorStore } from '../../../src/stores/vector-store.ts';
import passages from '../../fixtures/multilingual/passages.json';
import questions from '../../fixtures/multilingual/questions.json';
import { beforeSuite } from '../../support/before-suite.ts';
import { QdrantStandIn } from '../../support/qdrant-stand-in.ts';

/*
 * A mixed-language corpus (English, Spanish, Chinese, Russian, German, Arabic, Thai) searched by
 * keywords alone, in both backends: each question finds the passage in its own language first,
 * and the two backends agree, because both index the same analysed terms.
 */
const embedder = new LocalEmbeddingClient(64);
const standIn = new QdrantStandIn();
beforeSuite(async () => {
  await standIn.start();
});
afterAll(async () => {
  await standIn.stop();
  expect(standIn.violations).toEqual([]);
});

async function chunks(): Promise<EmbeddedChunk[]> {
  const vectors = await embedder.embed(passages.map((p) => p.text));
  return passages.map((p, i) => ({
    id: crypto.randomUUID(),
    documentId: p.id,
    source: `${p.id}.md`,
    title: p.title,
    location: '',
    index: 0,
    text: p.text,
    contentHash: 'h',
    collection: 'general',
    vector: vectors[i] as Float32Array,
  }));
}

async function firstHits(store: VectorStore): Promise<string[]> {
  await store.open({ model: embedder.model, dimensions: 64 });
  await store.upsert(await chunks());
  const firsts: string[] = [];
  for (const q of questions) {
    const [vector] = await embedder.embed([q.question]);
    const hits = await store.search({ vector: vector as Float32Array, text: q.question, topK: 3 });
    firsts.push(hits[0]?.documentId ?? '(nothing)');
  }
  return firsts;
}

const expected = questions.map((q) => q.answer);

test('the embedded store finds each question’s passage among those of other languages, and tags their languages', async () => {
  const db = openSqliteDatabase(':memory:');
  const store = new SqliteVectorStore(db, { keywordWeight: 1, vectorWeight: 0 });
  expect(await firstHits(store)).toEqual(expected);
  const [zh] = await store.search({ vector: new Float32Array(64), text: '出差住宿标准是多少？', topK: 1 });
  expect(zh?.language).toBe('zh');
});

test('Qdrant (through the stand-in) ranks them alike with its sparse vectors', async () => {
  const store = new QdrantVectorStore({
    url: standIn.url,
    collection: `ragchat_languages_${crypto.randomUUID().slice(0, 8)}`,
    timeoutMs: 5000,
    keywordWeight: 1,
    vectorWeight: 0,
  });
  expect(await firstHits(store)).toEqual(expected);
});

test('an index from before the language-aware analysis is re-analysed from its stored chunks when opened', async () => {
  const db = openSqliteDatabase(':memory:');
  const first = new SqliteVectorStore(db, { keywordWeight: 1, vectorWeight: 0 });
  await first.open({ model: embedder.model, dimensions: 64 });
  await first.upsert(await chunks());
  // What migration 7 leaves of an older index: chunks without a language, an empty keyword index.
  db.exec(
    "UPDATE chunks SET language = ''; DELETE FROM chunks_fts; DELETE FROM index_meta WHERE key = 'text_analysis'",
  );
  const reopened = new SqliteVectorStore(db, { keywordWeight: 1, vectorWeight: 0 });
  await reopened.open({ model: embedder.model, dimensions: 64 });
  const [hit] = await reopened.search({
    vector: new Float32Array(64),
    text: '¿Cuánto cuesta el alojamiento?',
    topK: 1,
  });
  expect(hit?.documentId).toBe('es-viajes');
  expect(hit?.language).toBe('es');
});
