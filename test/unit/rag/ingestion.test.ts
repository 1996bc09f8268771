import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestApp, type TestApp } from '../../support/test-deps.ts';

let t: TestApp;
let folder: string;

beforeAll(async () => {
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
