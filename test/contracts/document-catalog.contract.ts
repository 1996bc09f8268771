import { expect, test } from 'bun:test';
import type { DocumentRecord } from '../../src/domain.ts';
import type { DocumentCatalog } from '../../src/stores/document-catalog.ts';

const record = (id: string, source: string, hash: string): DocumentRecord => ({
  id,
  source,
  title: `Title of ${source}`,
  contentHash: hash,
  chunkCount: 3,
  updatedAt: new Date('2026-01-02T03:04:05.000Z').toISOString(),
});

/** What every DocumentCatalog must do; `make` returns an empty catalog. */
export function runDocumentCatalogContract(name: string, make: () => Promise<DocumentCatalog>) {
  test(`${name}: records documents, finds them by id and by content hash, lists by source`, async () => {
    const catalog = await make();
    await catalog.upsert(record('b', 'docs/b.md', 'h2'));
    await catalog.upsert(record('a', 'docs/a.md', 'h1'));
    expect(await catalog.get('a')).toEqual(record('a', 'docs/a.md', 'h1'));
    expect((await catalog.findByHash('h2'))?.id).toBe('b');
    expect(await catalog.findByHash('nope')).toBeNull();
    expect((await catalog.list()).map((d) => d.source)).toEqual(['docs/a.md', 'docs/b.md']);
  });

  test(`${name}: an upsert replaces the record; delete removes it`, async () => {
    const catalog = await make();
    await catalog.upsert(record('a', 'docs/a.md', 'h1'));
    await catalog.upsert({ ...record('a', 'docs/a.md', 'h9'), chunkCount: 7 });
    expect(await catalog.get('a')).toMatchObject({ contentHash: 'h9', chunkCount: 7 });
    expect(await catalog.findByHash('h1')).toBeNull();
    await catalog.delete('a');
    await catalog.delete('a');
    expect(await catalog.get('a')).toBeNull();
    expect(await catalog.list()).toEqual([]);
  });
}
