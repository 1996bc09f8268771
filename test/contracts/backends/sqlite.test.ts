import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAccountStore } from '../../../src/stores/sqlite-account-store.ts';
import { SqliteChatRepository } from '../../../src/stores/sqlite-chat-repository.ts';
import { openSqliteDatabase } from '../../../src/stores/sqlite-database.ts';
import { SqliteDocumentCatalog } from '../../../src/stores/sqlite-document-catalog.ts';
import { SqliteVectorStore } from '../../../src/stores/sqlite-vector-store.ts';
import { runAccountStoreContract } from '../account-store.contract.ts';
import { runChatRepositoryContract } from '../chat-repository.contract.ts';
import { runDocumentCatalogContract } from '../document-catalog.contract.ts';
import { runVectorStoreContract } from '../vector-store.contract.ts';

runChatRepositoryContract('SqliteChatRepository', {
  make: async () => new SqliteChatRepository(openSqliteDatabase(':memory:')),
});
runVectorStoreContract('SqliteVectorStore', {
  make: async () => new SqliteVectorStore(openSqliteDatabase(':memory:')),
});
runDocumentCatalogContract('SqliteDocumentCatalog', {
  make: async () => new SqliteDocumentCatalog(openSqliteDatabase(':memory:')),
});

runAccountStoreContract('SqliteAccountStore', {
  make: async () => new SqliteAccountStore(openSqliteDatabase(':memory:')),
});

test('migrations: an existing SQLite file gets message feedback, its history kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ragchat-sqlite-migrate-'));
  const path = join(dir, 'ragchat.sqlite');
  try {
    // The file as it was before migration 6 (and so before 7's languages and 8's conversation origin).
    const old = openSqliteDatabase(path);
    old.exec(`ALTER TABLE chunks DROP COLUMN language;
      ALTER TABLE documents DROP COLUMN language;
      ALTER TABLE conversations DROP COLUMN origin;
      ALTER TABLE messages DROP COLUMN feedback_rating;
      ALTER TABLE messages DROP COLUMN feedback_comment;
      ALTER TABLE messages DROP COLUMN feedback_at;
      PRAGMA user_version = 5;
      INSERT INTO users (id, name) VALUES ('u1', 'One');
      INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ('c1', 'u1', 'Old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
      INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES ('m1', 'c1', 'assistant', 'kept', 'complete', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');`);
    old.close();
    const db = openSqliteDatabase(path);
    const repo = new SqliteChatRepository(db);
    expect(await repo.getMessage('m1')).toMatchObject({ content: 'kept', feedback: null });
    expect((await repo.setFeedback('m1', { rating: 'up', comment: null }))?.feedback?.rating).toBe('up');
    expect((await repo.getConversation('c1'))?.origin).toBe('ragchat');
    expect(db.query('PRAGMA user_version').get()).toEqual({ user_version: 8 });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
