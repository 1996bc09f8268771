import { expect, test } from 'bun:test';
import type { DocumentStore } from '../../src/stores/document-store.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

/** What every DocumentStore must do; `make` returns an empty store. */
export function runDocumentStoreContract(name: string, backend: ContractBackend<DocumentStore>) {
  const make = eachTest(backend);
  const bytes = (s: string) => new TextEncoder().encode(s);

  test(`${name}: stores, lists, reads back and deletes originals by key`, async () => {
    const store = await make();
    await store.put('docs/a.md', bytes('# A'));
    await store.put('docs/sub/b.md', bytes('# B'));
    await store.put('other/c.txt', bytes('C'));
    expect(await store.list()).toEqual(['docs/a.md', 'docs/sub/b.md', 'other/c.txt']);
    expect(await store.list('docs/')).toEqual(['docs/a.md', 'docs/sub/b.md']);
    expect(new TextDecoder().decode((await store.get('docs/sub/b.md')) as Uint8Array)).toBe('# B');
    await store.put('docs/a.md', bytes('# A2'));
    expect(new TextDecoder().decode((await store.get('docs/a.md')) as Uint8Array)).toBe('# A2');
    await store.delete('docs/a.md');
    expect(await store.get('docs/a.md')).toBeNull();
    await store.delete('docs/a.md');
  });

  test(`${name}: refuses keys that escape its root or are not paths`, async () => {
    const store = await make();
    for (const key of [
      '../escape.md',
      'docs/../../escape.md',
      '/etc/passwd',
      'a//b.md',
      './a.md',
      'a\\b.md',
      'a\u0000.md',
      '',
    ]) {
      await expect(store.put(key, bytes('x'))).rejects.toThrow(/outside the document folder/);
      await expect(store.get(key)).rejects.toThrow(/outside the document folder/);
      await expect(store.delete(key)).rejects.toThrow(/outside the document folder/);
    }
    expect(await store.list()).toEqual([]);
  });

  test(`${name}: keeps bytes exactly, names with spaces and unicode included`, async () => {
    const store = await make();
    const data = new Uint8Array(300_000).map((_, i) => (i * 31) % 256);
    await store.put('dir/ünïcode name (1).bin', data);
    expect(await store.get('dir/ünïcode name (1).bin')).toEqual(data);
    expect(await store.list('dir/')).toEqual(['dir/ünïcode name (1).bin']);
    await store.ping();
  });
}
