import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeSuite } from '../../support/before-suite.ts';
import { makeTestApp, type TestApp } from '../../support/test-deps.ts';

let t: TestApp;
let folder: string;

beforeSuite(async () => {
  t = await makeTestApp({ seed: false });
  folder = join(mkdtempSync(join(tmpdir(), 'ragchat-ingest-')), 'handbook');
  mkdirSync(join(folder, 'ops'), { recursive: true });
  writeFileSync(
    join(folder, 'vacation.md'),
    '# Vacation policy\n\n## Requesting leave\n\nRequest leave in the HR portal two weeks ahead.\n',
  );
  writeFileSync(
    join(folder, 'ops', 'oncall.md'),
    '# On-call\n\nThe on-call engineer answers pages within fifteen minutes.\n',
  );
  writeFileSync(join(folder, 'notes.txt'), 'Parking\n\nVisitors park on level two.');
  writeFileSync(join(folder, 'image.png'), 'not text');
  writeFileSync(join(folder, 'empty.md'), '\n\n');
});
afterAll(async () => {
  await t.cleanup();
  rmSync(join(folder, '..'), { recursive: true, force: true });
});

const ask = async (q: string) => {
  const [vector] = await t.deps.embedder.embed([q]);
  return t.deps.vectors.search({ vector: vector as Float32Array, text: q, topK: 3 });
};

test('ingests supported files recursively, keyed by folder, and makes them searchable', async () => {
  const s = await t.deps.ingestion.ingestPaths([folder]);
  expect(s).toMatchObject({ documents: 4, added: 3, empty: 1, unchanged: 0, chunks: 3 });
  const docs = await t.deps.catalog.list();
  expect(docs.map((d) => d.source)).toEqual(['handbook/notes.txt', 'handbook/ops/oncall.md', 'handbook/vacation.md']);
  const hits = await ask('how fast must on-call answer pages');
  expect(hits[0]).toMatchObject({ title: 'On-call', source: 'handbook/ops/oncall.md' });
  const leave = await ask('request leave');
  expect(leave[0]).toMatchObject({ title: 'Vacation policy', location: 'Requesting leave' });
  // The original is kept in the document store.
  expect(new TextDecoder().decode((await t.deps.documents.get('handbook/notes.txt')) as Uint8Array)).toContain(
    'level two',
  );
});

test('a second run skips unchanged files; a changed file has its chunks replaced', async () => {
  const again = await t.deps.ingestion.ingestPaths([folder]);
  expect(again).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
  writeFileSync(join(folder, 'vacation.md'), '# Vacation policy\n\nLeave is requested by email to your manager.\n');
  const changed = await t.deps.ingestion.ingestPaths([folder]);
  expect(changed).toMatchObject({ updated: 1, unchanged: 2 });
  expect(await t.deps.vectors.count()).toBe(3);
  const hits = await ask('HR portal two weeks ahead');
  expect(hits.some((h) => h.text.includes('HR portal'))).toBe(false);
});

test('--prune removes documents no longer on disk, with their chunks and originals', async () => {
  rmSync(join(folder, 'notes.txt'));
  const s = await t.deps.ingestion.ingestPaths([folder], { prune: true });
  expect(s.removed).toBe(1);
  expect((await t.deps.catalog.list()).map((d) => d.source)).not.toContain('handbook/notes.txt');
  expect(await t.deps.vectors.count()).toBe(2);
  expect(await t.deps.documents.get('handbook/notes.txt')).toBeNull();
});

test('a path that does not exist is a clear error', async () => {
  await expect(t.deps.ingestion.ingestPaths([join(folder, 'missing')])).rejects.toThrow(/No such file or folder/);
});

test('a shorter new version leaves no chunk of the old one behind', async () => {
  const long = Array.from({ length: 120 }, (_, i) => `Paragraph ${i} explains retention rule ${i} in detail.\n`).join(
    '\n',
  );
  writeFileSync(join(folder, 'retention.md'), `# Retention\n\n${long}`);
  await t.deps.ingestion.ingestPaths([folder]);
  const id = (await t.deps.catalog.list()).find((d) => d.source === 'handbook/retention.md')?.id as string;
  const before = (await t.deps.vectors.documentIds()).get(id) ?? 0;
  expect(before).toBeGreaterThan(1);
  writeFileSync(join(folder, 'retention.md'), '# Retention\n\nKeep records for seven years.\n');
  await t.deps.ingestion.ingestPaths([folder]);
  expect((await t.deps.vectors.documentIds()).get(id)).toBe(1);
  expect(await t.deps.ingestion.audit()).toMatchObject({
    orphanDocuments: [],
    danglingKeywordEntries: 0,
    orphanOriginals: [],
    missingChunks: [],
  });
});

test('uploads dedupe by content: the same bytes under another name are a no-op that says so', async () => {
  const bytes = new TextEncoder().encode('# Expenses\n\nSubmit receipts within 30 days.\n');
  const first = await t.deps.ingestion.ingestFile('uploads/expenses.md', bytes, { dedupe: true });
  expect(first.outcome).toBe('added');
  const again = await t.deps.ingestion.ingestFile('uploads/expenses-copy.md', bytes, { dedupe: true });
  expect(again).toMatchObject({ outcome: 'unchanged', id: first.id, duplicateOf: 'uploads/expenses.md' });
  expect((await t.deps.catalog.list()).filter((d) => d.source.startsWith('uploads/')).length).toBe(1);
});

test('a file that is not text is refused by name and the others still go in', async () => {
  writeFileSync(join(folder, 'binary.md'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
  writeFileSync(join(folder, 'ok.md'), '# Fine\n\nThis one is text.\n');
  const s = await t.deps.ingestion.ingestPaths([folder]);
  expect(s.failed).toEqual([{ key: 'handbook/binary.md', message: 'binary.md is not a text file ragchat can read.' }]);
  expect((await t.deps.catalog.list()).map((d) => d.source)).toContain('handbook/ok.md');
  rmSync(join(folder, 'binary.md'));
});

test('check finds chunks and originals no document owns, and repair removes them', async () => {
  // Leftovers of an interrupted run: chunks and an original, no catalog entry.
  const bytes = new TextEncoder().encode('# Ghost\n\nHalf-ingested text.\n');
  const ghost = await t.deps.ingestion.ingestFile('ghosts/ghost.md', bytes);
  await t.deps.catalog.delete(ghost.id);
  const found = await t.deps.ingestion.audit();
  expect(found.orphanDocuments).toEqual([{ id: ghost.id, chunks: 1 }]);
  expect(found.orphanOriginals).toEqual(['ghosts/ghost.md']);
  await t.deps.ingestion.audit({ repair: true });
  expect(await t.deps.ingestion.audit()).toMatchObject({
    orphanDocuments: [],
    orphanOriginals: [],
    danglingKeywordEntries: 0,
  });
  expect((await t.deps.vectors.documentIds()).has(ghost.id)).toBe(false);
});

test('an ingest that fails midway leaves no passage behind that no document owns', async () => {
  const { LocalEmbeddingClient } = await import('../../../src/providers/local-embedding-client.ts');
  const local = new LocalEmbeddingClient();
  let calls = 0;
  const failsOnSecondBatch = {
    model: local.model,
    dimensions: () => local.dimensions(),
    embed: async (texts: string[]) => {
      if (++calls === 2) throw new Error('embedding service: HTTP 500');
      return local.embed(texts);
    },
  };
  const app = await makeTestApp({ seed: false, overrides: { embedder: failsOnSecondBatch } });
  try {
    const long = Array.from({ length: 3000 }, (_, i) => `Paragraph ${i} about the failing ingest number ${i}.`).join(
      '\n\n',
    );
    await expect(
      app.deps.ingestion.ingestFile('uploads/big.md', new TextEncoder().encode(`# Big\n\n${long}`)),
    ).rejects.toThrow('HTTP 500');
    expect(await app.deps.vectors.count()).toBe(0);
    expect(await app.deps.documents.get('uploads/big.md')).toBeNull();
    expect(await app.deps.ingestion.audit()).toMatchObject({ orphanDocuments: [], orphanOriginals: [] });
  } finally {
    await app.cleanup();
  }
});
