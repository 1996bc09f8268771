import { loadConfig } from '../src/config.ts';
import { migratePostgres, openPostgres, POSTGRES_MIGRATIONS } from '../src/stores/postgres-database.ts';

/**
 * `bun run migrate`: applies Postgres migrations (the server also does at start; both take the
 * same advisory lock). SQLite migrates itself whenever its file is opened.
 */
const config = loadConfig(process.env);
if (!config.database) {
  console.log('DATABASE_URL is not set: the embedded SQLite database migrates itself when opened. Nothing to do.');
  process.exit(0);
}
const sql = openPostgres({ url: config.database.url, poolSize: 1 });
try {
  const applied = await migratePostgres(sql);
  const latest = POSTGRES_MIGRATIONS.at(-1)?.version;
  console.log(
    applied.length > 0
      ? `Applied migrations ${applied.join(', ')}; schema at version ${latest}.`
      : `Schema already at version ${latest}.`,
  );
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await sql.end();
}
