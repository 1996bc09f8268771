import { join } from 'node:path';
import type { Config } from '../config.ts';
import { SqliteAccountStore } from '../stores/sqlite-account-store.ts';
import { SqliteChatRepository } from '../stores/sqlite-chat-repository.ts';
import { migrateSqlite, openSqliteDatabase } from '../stores/sqlite-database.ts';
import { SqliteDocumentCatalog } from '../stores/sqlite-document-catalog.ts';

/** The embedded database's file in the data folder. */
export const sqlitePath = (config: Pick<Config, 'dataDir'>) => join(config.dataDir, 'ragchat.sqlite');

/**
 * The embedded backends over one SQLite file: history, accounts, the catalog and (without
 * Qdrant) the index. The file is opened here, its migrations left to the start-up step.
 */
export function sqliteBackends(config: Pick<Config, 'dataDir'>) {
  const db = openSqliteDatabase(sqlitePath(config), { migrate: false });
  return {
    db,
    repo: new SqliteChatRepository(db),
    accounts: new SqliteAccountStore(db),
    catalog: new SqliteDocumentCatalog(db),
    migrate: async () => migrateSqlite(db),
    close: async () => db.close(),
  };
}

/** SQLite is opened only when a backend lives in it: all of them but the index without Postgres, the index without Qdrant. */
export const usesSqlite = (config: Pick<Config, 'database' | 'qdrant'>) => !config.database || !config.qdrant;
