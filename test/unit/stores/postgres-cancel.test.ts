import { afterAll, expect, test } from 'bun:test';
import { cancellable, openPostgres } from '../../../src/stores/postgres-database.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

/** An aborted read is cancelled on the server, not only forgotten by the client. */

const applicationName = `ragchat-cancel-${crypto.randomUUID().slice(0, 8)}`;
const sql = openPostgres({ url: TEST_DATABASE_URL, poolSize: 2, applicationName });
const observer = openPostgres({ url: TEST_DATABASE_URL, poolSize: 1 });
afterAll(async () => {
  await sql.end();
  await observer.end();
});

const runningSleeps = async () =>
  (
    await observer<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE application_name = ${applicationName} AND state = 'active' AND query LIKE '%pg_sleep%'`
  )[0]?.n ?? 0;

test('an aborted query rejects with the abort at once, and Postgres stops running it', async () => {
  const controller = new AbortController();
  const started = performance.now();
  const query = cancellable(sql`SELECT pg_sleep(10)`, controller.signal);
  for (let i = 0; i < 40 && (await runningSleeps()) === 0; i++) await Bun.sleep(25);
  expect(await runningSleeps()).toBe(1);
  controller.abort();
  await expect(query).rejects.toMatchObject({ name: 'AbortError' });
  expect(performance.now() - started).toBeLessThan(5_000);
  for (let i = 0; i < 40 && (await runningSleeps()) > 0; i++) await Bun.sleep(25);
  expect(await runningSleeps()).toBe(0);
  // The pool's connection is still good for the next query.
  expect((await sql<{ one: number }[]>`SELECT 1 AS one`)[0]?.one).toBe(1);
});

test('a signal aborted before the query starts never sends it', async () => {
  const controller = new AbortController();
  controller.abort();
  await expect(cancellable(sql`SELECT pg_sleep(10)`, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  expect(await runningSleeps()).toBe(0);
});
