import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../../src/errors.ts';
import type { AccountStore } from '../../../src/stores/account-store.ts';
import type { ChatRepository } from '../../../src/stores/chat-repository.ts';
import { PostgresAccountStore } from '../../../src/stores/postgres-account-store.ts';
import { PostgresChatRepository } from '../../../src/stores/postgres-chat-repository.ts';
import { openPostgres } from '../../../src/stores/postgres-database.ts';
import { SqliteAccountStore } from '../../../src/stores/sqlite-account-store.ts';
import { SqliteChatRepository } from '../../../src/stores/sqlite-chat-repository.ts';
import { openSqliteDatabase } from '../../../src/stores/sqlite-database.ts';
import { dropSchemas, freshSchema } from '../../support/postgres.ts';

/**
 * The same mistake gets the same error from either relational backend: the code, the status and
 * the sentence a person reads, whichever driver's error stood behind it.
 */

const folder = mkdtempSync(join(tmpdir(), 'ragchat-db-errors-'));
afterAll(async () => {
  await dropSchemas();
  rmSync(folder, { recursive: true, force: true });
});

interface Backend {
  accounts(): Promise<AccountStore>;
  /** A chat repository whose database cannot serve now, and the driver code that says why. */
  unavailable(): Promise<{ repo: ChatRepository; code: string; release(): Promise<void> }>;
}

const backends: Record<string, Backend> = {
  SQLite: {
    accounts: async () => new SqliteAccountStore(openSqliteDatabase(':memory:')),
    unavailable: async () => {
      // Another process holds the file's write lock, and this one does not wait for it.
      const path = join(folder, `${crypto.randomUUID()}.sqlite`);
      const db = openSqliteDatabase(path);
      db.exec('PRAGMA busy_timeout = 0');
      const other = new Database(path);
      other.exec('BEGIN EXCLUSIVE');
      return {
        repo: new SqliteChatRepository(db),
        code: 'SQLITE_BUSY',
        release: async () => {
          other.exec('ROLLBACK');
          other.close();
          db.close();
        },
      };
    },
  },
  Postgres: {
    accounts: async () => new PostgresAccountStore((await freshSchema()).sql),
    unavailable: async () => {
      // Nothing listens on port 9 (discard): the connection is refused.
      const sql = openPostgres({ url: 'postgres://nobody@127.0.0.1:9/none', connectTimeout: 2 });
      return { repo: new PostgresChatRepository(sql), code: 'ECONNREFUSED', release: () => sql.end() };
    },
  },
};

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const user = (email: string) => ({
  id: crypto.randomUUID(),
  email,
  name: 'Ada',
  role: 'member' as const,
  passwordHash: 'x',
});

for (const [name, backend] of Object.entries(backends)) {
  describe(name, () => {
    test('a second account with the same email (in any case) is refused: email_taken, 409', async () => {
      const accounts = await backend.accounts();
      await accounts.createUser(user('ada@example.com'));
      const error = await failure(accounts.createUser(user('ADA@example.com')));
      expect({ code: error.code, status: error.status, message: error.message }).toEqual({
        code: 'email_taken',
        status: 409,
        message: 'An account with that email exists.',
      });
    });

    test('a second collection with the same id or name is refused: collection_exists, 409', async () => {
      const accounts = await backend.accounts();
      await accounts.createCollection({ id: 'eng', name: 'Engineering' });
      for (const again of [
        { id: 'eng', name: 'Other' },
        { id: 'other', name: 'Engineering' },
      ]) {
        const error = await failure(accounts.createCollection(again));
        expect({ code: error.code, status: error.status, message: error.message }).toEqual({
          code: 'collection_exists',
          status: 409,
          message: 'A collection with that id or name exists.',
        });
      }
    });

    test('a database that cannot serve now is unavailable:database, 503, naming the reason', async () => {
      const { repo, code, release } = await backend.unavailable();
      try {
        const error = await failure(repo.ensureUser({ id: 'u1', name: 'Ada' }));
        expect(error.code).toBe('unavailable:database');
        expect(error.status).toBe(503);
        expect(error.message).toStartWith(`The database could not be reached (${code}); could not `);
        expect(error.message).not.toContain('\n');
      } finally {
        await release();
      }
    });
  });
}
