import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemDocumentStore } from '../../../src/stores/filesystem-document-store.ts';
import { runDocumentStoreContract } from '../document-store.contract.ts';

runDocumentStoreContract('FilesystemDocumentStore', {
  make: async () => new FilesystemDocumentStore(join(mkdtempSync(join(tmpdir(), 'ragchat-docs-')), 'store')),
});
