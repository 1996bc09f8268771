import { expect, test } from 'bun:test';
import type { DocumentRecord } from '../../src/domain.ts';
import type { DocumentCatalog } from '../../src/stores/document-catalog.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

const record = (id: string, source: string, hash: string): DocumentRecord => ({
  id,
  source,
  title: `Title of ${source}`,
  contentHash: hash,
  chunkCount: 3,
  updatedAt: new Date('2026-01-02T03:04:05.000Z').toISOString(),
  collection: 'general',
});

/** What every DocumentCatalog must do; `make` returns an empty catalog. */
export function runDocumentCatalogContract(name: string, backend: ContractBackend<DocumentCatalog>) {
  const make = eachTest(backend);
  test(`${name}: records documents, finds them by id and by content hash, lists by source`, async () => {
    const catalog = await make();
    await catalog.upsert(record('b', 'docs/b.md', 'h2'));
    await catalog.upsert(record('a', 'docs/a.md', 'h1'));
    expect(await catalog.get('a')).toEqual(record('a', 'docs/a.md', 'h1'));
    expect((await catalog.findByHash('h2', 'general'))?.id).toBe('b');
    expect(await catalog.findByHash('nope', 'general')).toBeNull();
    expect((await catalog.list()).map((d) => d.source)).toEqual(['docs/a.md', 'docs/b.md']);
  });

  test(`${name}: an upsert replaces the record; delete removes it`, async () => {
    const catalog = await make();
    await catalog.upsert(record('a', 'docs/a.md', 'h1'));
    await catalog.upsert({ ...record('a', 'docs/a.md', 'h9'), chunkCount: 7 });
    expect(await catalog.get('a')).toMatchObject({ contentHash: 'h9', chunkCount: 7 });
    expect(await catalog.findByHash('h1', 'general')).toBeNull();
    await catalog.delete('a');
    await catalog.delete('a');
    expect(await catalog.get('a')).toBeNull();
    expect(await catalog.list()).toEqual([]);
  });

  test(`${name}: a document keeps its collection; the same bytes are found only within a collection`, async () => {
    const catalog = await make();
    await catalog.upsert({ ...record('x', 'uploads/hr/x.md', 'same'), collection: 'hr' });
    expect((await catalog.get('x'))?.collection).toBe('hr');
    expect((await catalog.findByHash('same', 'hr'))?.id).toBe('x');
    expect(await catalog.findByHash('same', 'general')).toBeNull();
  });
}
