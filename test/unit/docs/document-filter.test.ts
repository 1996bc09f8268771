import { afterAll, expect, test } from 'bun:test';
import { filterDocuments, parseDocumentFilter } from '../../../src/docs/document-filter.ts';
import type { DocumentRecord } from '../../../src/domain.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { makeTestApp, type TestApp } from '../../support/test-deps.ts';

const doc = (source: string, title: string, collection: string, chunkCount: number, updatedAt: string) =>
  ({ id: source, source, title, collection, chunkCount, updatedAt, contentHash: 'h' }) as DocumentRecord;

const DOCS = [
  doc('uploads/hr/salaries.md', 'Salary bands', 'hr', 1, '2026-01-03T00:00:00Z'),
  doc('sample-docs/offline-mode.md', 'Offline mode', 'general', 3, '2026-01-01T00:00:00Z'),
  doc('sample-docs/asking-questions.md', 'asking questions', 'general', 6, '2026-01-02T00:00:00Z'),
  doc('uploads/runbook-10.md', 'Runbook 10', 'general', 2, '2026-01-04T00:00:00Z'),
  doc('uploads/runbook-9.md', 'Runbook 9', 'general', 2, '2026-01-04T00:00:00Z'),
];
const titles = (q: Record<string, string>) => filterDocuments(DOCS, parseDocumentFilter(q)).map((d) => d.title);

test('every word must appear in the title or the path, in any case; collection narrows it', () => {
  expect(titles({ q: 'OFFLINE' })).toEqual(['Offline mode']);
  expect(titles({ q: 'sample questions' })).toEqual(['asking questions']);
  expect(titles({ q: 'runbook', collection: 'hr' })).toEqual([]);
  expect(titles({ collection: 'hr' })).toEqual(['Salary bands']);
  expect(titles({ q: '  ' })).toHaveLength(DOCS.length);
});

test('sorts by title (case and numbers as a person reads them), newest, file name or most chunks', () => {
  expect(titles({})).toEqual(['asking questions', 'Offline mode', 'Runbook 9', 'Runbook 10', 'Salary bands']);
  expect(titles({ sort: 'updated' })).toEqual([
    'Runbook 9',
    'Runbook 10',
    'Salary bands',
    'asking questions',
    'Offline mode',
  ]);
  expect(titles({ sort: 'chunks' })[0]).toBe('asking questions');
  expect(titles({ sort: 'source' })[0]).toBe('asking questions');
});

test('a bad sort or an over-long filter is refused with a sentence', () => {
  expect(() => parseDocumentFilter({ sort: 'size' })).toThrow('Sort by one of: title, updated, source, chunks.');
  expect(() => parseDocumentFilter({ q: 'x'.repeat(201) })).toThrow('at most 200 characters');
  expect(() => parseDocumentFilter({ q: ['a', 'b'] })).toThrow('Give "q" once, as text.');
});

let t: TestApp;
beforeSuite(async () => {
  t = await makeTestApp();
});
afterAll(() => t?.cleanup());

test('the JSON list and the page take the same filter; a bad one is a 400, not a 500', async () => {
  const api = await (await t.request('/api/docs?q=offline')).json();
  expect(api.documents.map((d: { title: string }) => d.title)).toEqual(['Offline mode']);
  const bad = await t.request('/api/docs?sort=size');
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.message).toBe('Sort by one of: title, updated, source, chunks.');
  // htmx asks for the list only; a browser gets the whole page, filter filled in.
  const fragment = await (await t.request('/docs?q=offline', { headers: { 'hx-request': 'true' } })).text();
  expect(fragment).toStartWith('<section id="documents"');
  expect(fragment).toContain('Offline mode');
  expect(fragment).not.toContain('Troubleshooting');
  const page = await (await t.request('/docs?q=offline&sort=chunks')).text();
  expect(page).toContain('value="offline"');
  expect(page).toContain('<option value="chunks" selected>');
  expect((await t.request('/docs?sort=size')).status).toBe(400);
});
