import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/**
 * Chats, accounts, the catalog and the fleet's coordination in Postgres (DATABASE_URL). Builds
 * the pools and stores only: postgres.js connects at the first query, and the migrations are the
 * start-up step's (`migrate`). Connections per instance: the pool (DATABASE_POOL_SIZE), the lock
 * pool (DATABASE_LOCK_POOL_SIZE) and the coordinator's one listening connection (infra/README.md
 * counts them for the prod database).
 */
export async function postgresBackends(
  database: NonNullable<Config['database']>,
  live: Config['live'],
  logger: Logger,
) {
  const [
    { migratePostgres, openPostgres },
    { PostgresChatRepository },
    { PostgresAccountStore },
    { PostgresDocumentCatalog },
    { PostgresCoordinator },
  ] = await Promise.all([
    import('../stores/postgres-database.ts'),
    import('../stores/postgres-chat-repository.ts'),
    import('../stores/postgres-account-store.ts'),
    import('../stores/postgres-document-catalog.ts'),
    import('../fleet/postgres-coordinator.ts'),
  ]);
  // Every connection of this instance carries its id as application name (pg_stat_activity).
  const instanceId = Bun.randomUUIDv7();
  const applicationName = `ragchat/${instanceId}`;
  const pg = openPostgres({
    url: database.url,
    poolSize: database.poolSize,
    statementTimeoutMs: database.timeoutMs,
    applicationName,
  });
  const pgLocks = openPostgres({ url: database.url, poolSize: database.lockPoolSize, applicationName });
  const coordinator = new PostgresCoordinator(pg, logger, {
    flushMs: live.flushMs,
    heartbeatMs: live.sweepMs,
    instanceId,
  });
  return {
    repo: new PostgresChatRepository(pg),
    accounts: new PostgresAccountStore(pg),
    catalog: new PostgresDocumentCatalog(pg, pgLocks),
    coordinator,
    connections: database.poolSize + database.lockPoolSize + coordinator.connections,
    migrate: async () => {
      await migratePostgres(pg);
    },
    close: async () => {
      await coordinator.close();
      await pg.end({ timeout: 5 });
      await pgLocks.end({ timeout: 5 });
    },
  };
}
