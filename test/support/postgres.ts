import { migratePostgres, openPostgres, type Sql } from '../../src/stores/postgres-database.ts';

/**
 * The real Postgres on this machine (trust auth on 127.0.0.1:5432). Each call gets a fresh schema
 * with the migrations applied, so suites never see each other's rows. Never skipped: a missing
 * Postgres is a failed test that says how to start it.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const opened: { sql: Sql; schema: string }[] = [];

export async function freshSchema(): Promise<{ sql: Sql; schema: string; url: string }> {
  const schema = `ragchat_test_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = openPostgres({ url: TEST_DATABASE_URL, poolSize: 1, connectTimeout: 5 });
  try {
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
  } catch (error) {
    throw new Error(
      `Postgres is needed at ${TEST_DATABASE_URL} (${(error as Error).message}). Start it with: ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  } finally {
    await admin.end();
  }
  const sql = openPostgres({ url: TEST_DATABASE_URL, poolSize: 4, schema });
  await migratePostgres(sql);
  opened.push({ sql, schema });
  return { sql, schema, url: TEST_DATABASE_URL };
}

export async function dropSchemas(): Promise<void> {
  const admin = openPostgres({ url: TEST_DATABASE_URL, poolSize: 1 });
  for (const { sql, schema } of opened.splice(0)) {
    await sql.end();
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
  }
  await admin.end();
}
