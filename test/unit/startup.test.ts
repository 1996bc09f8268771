import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { buildDeps } from '../../src/deps.ts';
import { silentLogger } from '../../src/logger.ts';
import { configOrReport, openDepsOrReport, startUp } from '../../src/startup.ts';
import { openPostgres } from '../../src/stores/postgres-database.ts';
import { TEST_DATABASE_URL } from '../support/postgres.ts';
import { remoteStandIns } from '../support/remote-stand-ins.ts';

/** buildDeps builds objects and opens clients; startUp migrates, opens the index and bootstraps. */

const { qdrant, s3 } = remoteStandIns();
const admin = openPostgres({ url: TEST_DATABASE_URL, poolSize: 1 });
const schemas: string[] = [];
const folders: string[] = [];

afterAll(async () => {
  for (const schema of schemas) await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const dataFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'ragchat-startup-'));
  folders.push(folder);
  return folder;
};

/** An empty schema: no migration applied yet, so the test sees who applies them. */
async function emptySchema(): Promise<string> {
  const schema = `ragchat_startup_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await admin.unsafe(`CREATE SCHEMA ${schema}`);
  schemas.push(schema);
  return schema;
}

const tablesIn = async (schema: string) =>
  (
    await admin<
      { table_name: string }[]
    >`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`
  ).map((r) => r.table_name);

test('with every backend remote, no SQLite file is created, and only the start-up step touches the backends', async () => {
  const dataDir = dataFolder();
  const schema = await emptySchema();
  const collection = `startup_${crypto.randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    DATA_DIR: dataDir,
    SEED_DOCS_DIR: 'off',
    DATABASE_URL: `${TEST_DATABASE_URL}?search_path=${schema}`,
    QDRANT_URL: qdrant.url,
    QDRANT_COLLECTION: collection,
    DOCS_BUCKET: await s3.createBucket(),
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AUTH_MODE: 'password',
    ADMIN_EMAIL: 'first@example.com',
    ADMIN_PASSWORD: 'a long enough first password',
  });
  const requestsBefore = qdrant.requests;
  const deps = await buildDeps(config, { logger: silentLogger });
  try {
    // Built: nothing migrated, no collection asked for, no admin, no file in the data folder.
    expect(await tablesIn(schema)).toEqual([]);
    expect(qdrant.requests).toBe(requestsBefore);
    expect(qdrant.collections.has(collection)).toBe(false);
    expect(existsSync(join(dataDir, 'ragchat.sqlite'))).toBe(false);

    await startUp(deps);
    expect(await tablesIn(schema)).toContain('schema_migrations');
    expect(qdrant.collections.has(collection)).toBe(true);
    expect((await deps.accounts.findLogin('first@example.com'))?.user.role).toBe('admin');
    // Started, and still no SQLite file anywhere in the data folder.
    expect(readdirSync(dataDir).filter((f) => f.includes('sqlite'))).toEqual([]);
    expect((await deps.readiness()).filter((c) => !c.ok)).toEqual([]);
  } finally {
    await deps.close();
  }
});

test('embedded: the SQLite file is opened by buildDeps but migrated by the start-up step', async () => {
  const dataDir = dataFolder();
  const deps = await buildDeps(loadConfig({ DATA_DIR: dataDir, SEED_DOCS_DIR: 'off' }), { logger: silentLogger });
  const version = () => {
    const db = new Database(join(dataDir, 'ragchat.sqlite'), { readonly: true });
    try {
      return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
    } finally {
      db.close();
    }
  };
  try {
    expect(version()).toBe(0);
    await startUp(deps);
    expect(version()).toBeGreaterThan(0);
    // The one local user exists (its conversations' owner; a missing owner fails the foreign key).
    const conversation = await deps.repo.createConversation({ id: 'c1', userId: 'local', title: 'First' });
    expect(conversation.title).toBe('First');
  } finally {
    await deps.close();
  }
});

test('a bad configuration is reported once, naming every bad variable, and no deps are built', async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(' '));
  try {
    expect(configOrReport({ PORT: 'x', LOG_LEVEL: 'chatty' })).toBeNull();
    expect(await openDepsOrReport({ DATA_DIR: dataFolder(), QDRANT_URL: 'not a url' })).toBeNull();
  } finally {
    console.error = original;
  }
  expect(errors).toHaveLength(2);
  expect(errors[0]).toContain('PORT');
  expect(errors[0]).toContain('LOG_LEVEL');
  expect(errors[1]).toContain('QDRANT_URL');
});

test('a start-up step that fails (a Postgres that is not there) is one sentence, and closes what was opened', async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(' '));
  try {
    const deps = await openDepsOrReport({
      DATA_DIR: dataFolder(),
      SEED_DOCS_DIR: 'off',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
    });
    expect(deps).toBeNull();
  } finally {
    console.error = original;
  }
  expect(errors.join('\n')).toContain('The database could not be reached');
  expect(errors.join('\n')).not.toMatch(/at .*\.ts:\d+/);
});
