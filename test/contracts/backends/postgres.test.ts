import { afterAll, expect, test } from 'bun:test';
import { PostgresCoordinator } from '../../../src/fleet/postgres-coordinator.ts';
import { silentLogger } from '../../../src/logger.ts';
import { PostgresAccountStore } from '../../../src/stores/postgres-account-store.ts';
import { PostgresChatRepository } from '../../../src/stores/postgres-chat-repository.ts';
import { migratePostgres, openPostgres, POSTGRES_MIGRATIONS } from '../../../src/stores/postgres-database.ts';
import { PostgresDocumentCatalog } from '../../../src/stores/postgres-document-catalog.ts';
import { dropSchemas, freshSchema } from '../../support/postgres.ts';
import { runAccountStoreContract } from '../account-store.contract.ts';
import { runChatRepositoryContract } from '../chat-repository.contract.ts';
import { runCoordinatorContract } from '../coordinator.contract.ts';
import { runDocumentCatalogContract } from '../document-catalog.contract.ts';

afterAll(dropSchemas);

runChatRepositoryContract('PostgresChatRepository', {
  make: async () => new PostgresChatRepository((await freshSchema()).sql),
});
runAccountStoreContract('PostgresAccountStore', {
  make: async () => new PostgresAccountStore((await freshSchema()).sql),
});
runDocumentCatalogContract('PostgresDocumentCatalog', {
  make: async () => new PostgresDocumentCatalog((await freshSchema()).sql),
});

// Two instances on one database: each its own pool and listening connection, as two servers have.
runCoordinatorContract('PostgresCoordinator', {
  make: async () => {
    const { sql, schema, url } = await freshSchema();
    const pools = [openPostgres({ url, schema, poolSize: 3 }), openPostgres({ url, schema, poolSize: 3 })] as const;
    const [a, b] = pools.map((pool) => new PostgresCoordinator(pool, silentLogger, { flushMs: 50, heartbeatMs: 1000 }));
    const repo = new PostgresChatRepository(sql);
    await repo.ensureUser({ id: 'u', name: 'U' });
    const conversation = await repo.createConversation({ id: Bun.randomUUIDv7(), userId: 'u', title: 't' });
    return {
      a: a as PostgresCoordinator,
      b: b as PostgresCoordinator,
      streaming: async (id) => {
        await repo.addMessage({
          id,
          conversationId: conversation.id,
          role: 'assistant',
          content: '',
          status: 'streaming',
        });
      },
      pools,
    };
  },
  dispose: async ({ a, b, pools }) => {
    await a.close();
    await b.close();
    for (const pool of pools) await pool.end();
  },
});

test('migrations: two instances starting at once apply each version exactly once', async () => {
  const { sql, schema, url } = await freshSchema();
  await sql`DROP TABLE schema_migrations, messages, conversations, users, documents, sessions, api_tokens, collections, collection_grants, audit_log, fleet_instances, stream_slots, rate_buckets, login_throttle, embedded_index CASCADE`;
  await sql`DROP FUNCTION take_stream_slot, take_rate_tokens`;
  const a = openPostgres({ url, schema, poolSize: 2 });
  const b = openPostgres({ url, schema, poolSize: 2 });
  try {
    const [first, second] = await Promise.all([migratePostgres(a), migratePostgres(b)]);
    const all = POSTGRES_MIGRATIONS.map((m) => m.version);
    expect([...first, ...second].sort()).toEqual(all);
    // One instance applied everything, the other waited for the lock and found nothing to do.
    expect([first.length, second.length].sort()).toEqual([0, all.length]);
    expect(await migratePostgres(a)).toEqual([]);
    const rows = await sql`SELECT version FROM schema_migrations`;
    expect(rows.map((r) => r.version).sort()).toEqual(all);
  } finally {
    await a.end();
    await b.end();
  }
});

test('a database that is not there is reported as unavailable, by name', async () => {
  const repo = new PostgresChatRepository(
    openPostgres({ url: 'postgres://postgres@127.0.0.1:9/none', connectTimeout: 2 }),
  );
  await expect(repo.ping()).rejects.toThrow(/The database could not be reached \(ECONNREFUSED\)/);
});

test('many writers at once with a small pool: the document locks never starve the queries', async () => {
  const { schema, url } = await freshSchema();
  const pool = openPostgres({ url, schema, poolSize: 3 });
  const locks = openPostgres({ url, schema, poolSize: 2 });
  try {
    const catalog = new PostgresDocumentCatalog(pool, locks);
    // With one pool for both, this hangs (the test times out): every connection held by a lock.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        catalog.withDocumentLock(`doc-${i % 7}`, async () => {
          await catalog.get(`doc-${i}`);
          await catalog.upsert({
            id: `doc-${i}`,
            source: `d${i}.md`,
            title: 't',
            collection: 'general',
            contentHash: 'h',
            chunkCount: 1,
            updatedAt: new Date().toISOString(),
          });
        }),
      ),
    );
    expect((await catalog.list()).length).toBe(20);
  } finally {
    await pool.end();
    await locks.end();
  }
});

test('migrations: an existing database gets message feedback, its history kept', async () => {
  const { sql } = await freshSchema();
  // The database as it was before migration 4.
  await sql`ALTER TABLE messages DROP COLUMN feedback_rating, DROP COLUMN feedback_comment, DROP COLUMN feedback_at`;
  await sql`DELETE FROM schema_migrations WHERE version = 4`;
  await sql`INSERT INTO users (id, name) VALUES ('u1', 'One')`;
  await sql`INSERT INTO conversations (id, user_id, title) VALUES ('c1', 'u1', 'Old')`;
  await sql`INSERT INTO messages (id, conversation_id, role, content, status) VALUES ('m1', 'c1', 'assistant', 'kept', 'complete')`;
  expect(await migratePostgres(sql)).toEqual([4]);
  const repo = new PostgresChatRepository(sql);
  expect(await repo.getMessage('m1')).toMatchObject({ content: 'kept', feedback: null });
  expect((await repo.setFeedback('m1', { rating: 'down', comment: 'old answer' }))?.feedback).toMatchObject({
    rating: 'down',
    comment: 'old answer',
  });
});
