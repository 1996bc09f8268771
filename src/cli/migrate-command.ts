import { configOrReport } from '../startup.ts';
import { migratePostgres, openPostgres, POSTGRES_MIGRATIONS } from '../stores/postgres-database.ts';

/**
 * `bun run migrate` / `ragchat migrate`: applies Postgres migrations (the server also does at
 * start; both take the same advisory lock). The SQLite file is migrated by every start-up step.
 */
export async function runMigrateCommand(env: Record<string, string | undefined>): Promise<number> {
  const config = configOrReport(env);
  if (!config) return 1;
  if (!config.database) {
    console.log(
      'DATABASE_URL is not set: the embedded SQLite database is migrated whenever ragchat starts. Nothing to do.',
    );
    return 0;
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
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  } finally {
    await sql.end();
  }
}
