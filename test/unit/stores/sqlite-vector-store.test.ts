import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedChunk } from '../../../src/domain.ts';
import { openSqliteDatabase } from '../../../src/stores/sqlite-database.ts';
import { SqliteVectorStore } from '../../../src/stores/sqlite-vector-store.ts';
import { prng as random } from '../../support/prng.ts';

const DIMS = 96;
const IDENTITY = { model: 'test-random', dimensions: DIMS };
const rand = random(42);

function unitVector(): Float32Array {
  const v = Float32Array.from({ length: DIMS }, () => rand() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function chunk(i: number, collection = 'general'): EmbeddedChunk {
  return {
    id: `c${i}`,
    documentId: `d${Math.floor(i / 10)}`,
    source: 's.md',
    title: 'T',
    location: '',
    index: i % 10,
    text: `text ${i}`,
    contentHash: 'h',
    collection,
    vector: unitVector(),
  };
}

/** The ranking the store had before the int8 pass: every vector scored exactly, cosine above 0. */
function exactTop(chunks: EmbeddedChunk[], q: Float32Array, k: number): string[] {
  return chunks
    .map((c) => ({ id: c.id, score: c.vector.reduce((s, x, d) => s + x * (q[d] as number), 0) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((r) => r.id);
}

const dense = (db: ReturnType<typeof openSqliteDatabase>) =>
  new SqliteVectorStore(db, { keywordWeight: 0, vectorWeight: 1 });

describe('SqliteVectorStore dense search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ragchat-vectors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('ranks as an exact scan does, among the permitted collections only', async () => {
    const store = dense(openSqliteDatabase(':memory:'));
    await store.open(IDENTITY);
    const chunks = Array.from({ length: 3000 }, (_, i) => chunk(i, i % 3 === 0 ? 'hr' : 'general'));
    await store.upsert(chunks);
    for (let i = 0; i < 20; i++) {
      const q = unitVector();
      const all = await store.search({ vector: q, text: '', topK: 10 });
      expect(all.map((r) => r.id)).toEqual(exactTop(chunks, q, 10));
      const hr = await store.search({ vector: q, text: '', topK: 10, collections: ['hr'] });
      expect(hr.map((r) => r.id)).toEqual(
        exactTop(
          chunks.filter((c) => c.collection === 'hr'),
          q,
          10,
        ),
      );
    }
  });

  test('keeps the in-memory vectors in step with upserts and deletions', async () => {
    const store = dense(openSqliteDatabase(':memory:'));
    await store.open(IDENTITY);
    const chunks = Array.from({ length: 200 }, (_, i) => chunk(i));
    await store.upsert(chunks);
    const probe = chunks[57] as EmbeddedChunk;
    expect((await store.search({ vector: probe.vector, text: '', topK: 1 }))[0]?.id).toBe('c57');
    // c57 (document d5) goes; c123 takes c57's vector.
    await store.deleteDocument('d5');
    await store.upsert([{ ...(chunks[123] as EmbeddedChunk), vector: probe.vector }]);
    const after = await store.search({ vector: probe.vector, text: '', topK: 20 });
    expect(after[0]?.id).toBe('c123');
    expect(after.some((r) => r.documentId === 'd5')).toBe(false);
    // Trimming a document removes only its later chunks.
    await store.deleteDocument('d7', 5);
    for (let i = 70; i < 80; i++) {
      const [top] = await store.search({ vector: (chunks[i] as EmbeddedChunk).vector, text: '', topK: 1 });
      expect(top?.id === `c${i}`).toBe(i < 75);
    }
    await store.reset();
    await store.open(IDENTITY);
    expect(await store.search({ vector: probe.vector, text: '', topK: 5 })).toEqual([]);
  });

  test('sees what another process wrote to the same file', async () => {
    const path = join(dir, 'shared.sqlite');
    const server = dense(openSqliteDatabase(path));
    const ingest = dense(openSqliteDatabase(path));
    await server.open(IDENTITY);
    await ingest.open(IDENTITY);
    const first = chunk(1);
    await server.upsert([first]);
    expect((await server.search({ vector: first.vector, text: '', topK: 5 })).map((r) => r.id)).toEqual(['c1']);
    const second = chunk(2);
    await ingest.upsert([second]);
    expect((await server.search({ vector: second.vector, text: '', topK: 1 })).map((r) => r.id)).toEqual(['c2']);
  });

  test('re-scores from memory while the vectors fit, from the file past that, with the same results', async () => {
    const db = openSqliteDatabase(':memory:');
    const inMemory = dense(db);
    // 600 rows of 96 float32s are 230 KB: this one outgrows its copies at the first growth past 64 KB.
    const fromFile = new SqliteVectorStore(db, { keywordWeight: 0, exactCopyBytes: 64 * 1024 });
    await inMemory.open(IDENTITY);
    await fromFile.open(IDENTITY);
    const chunks = Array.from({ length: 600 }, (_, i) => chunk(i));
    await inMemory.upsert(chunks);
    for (let i = 0; i < 10; i++) {
      const q = unitVector();
      const expected = exactTop(chunks, q, 10);
      expect((await inMemory.search({ vector: q, text: '', topK: 10 })).map((r) => r.id)).toEqual(expected);
      expect((await fromFile.search({ vector: q, text: '', topK: 10 })).map((r) => r.id)).toEqual(expected);
    }
    // The copies follow deletions and replacements (a removed row's slot is refilled by the last).
    const probe = chunks[599] as EmbeddedChunk;
    await inMemory.deleteDocument('d3');
    await inMemory.upsert([{ ...(chunks[42] as EmbeddedChunk), vector: probe.vector }]);
    const top = await inMemory.search({ vector: probe.vector, text: '', topK: 2 });
    expect(top.map((r) => r.id).sort()).toEqual(['c42', 'c599']);
  });

  test('the portable kernel gives the same results', async () => {
    const db = openSqliteDatabase(':memory:');
    const simd = dense(db);
    const js = new SqliteVectorStore(db, { keywordWeight: 0, kernel: 'js' });
    await simd.open(IDENTITY);
    await js.open(IDENTITY);
    await simd.upsert(Array.from({ length: 500 }, (_, i) => chunk(i)));
    for (let i = 0; i < 5; i++) {
      const q = unitVector();
      expect(await js.search({ vector: q, text: '', topK: 10 })).toEqual(
        await simd.search({ vector: q, text: '', topK: 10 }),
      );
    }
  });
});

describe('SqliteVectorStore keyword filter', () => {
  test('a collection another process adds is filtered from then on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ragchat-keywords-'));
    try {
      const path = join(dir, 'shared.sqlite');
      const server = new SqliteVectorStore(openSqliteDatabase(path), { vectorWeight: 0 });
      const ingest = new SqliteVectorStore(openSqliteDatabase(path), { vectorWeight: 0 });
      await server.open(IDENTITY);
      await ingest.open(IDENTITY);
      await server.upsert([{ ...chunk(1), text: 'quarterly salary bands' }]);
      const ask = () =>
        server.search({ vector: unitVector(), text: 'salary bands', topK: 5, collections: ['general'] });
      expect((await ask()).map((r) => r.id)).toEqual(['c1']);
      await ingest.upsert([{ ...chunk(2, 'hr'), text: 'salary bands for engineers' }]);
      expect((await ask()).map((r) => r.id)).toEqual(['c1']);
      await server.upsert([{ ...chunk(3, 'board'), text: 'salary bands of the board' }]);
      expect((await ask()).map((r) => r.id)).toEqual(['c1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
