import postgres from 'postgres';
import { databaseError } from './database-errors.ts';
import history from './migrations/postgres-001-history.sql' with { type: 'text' };
import searchQuery from './migrations/postgres-002-search-query.sql' with { type: 'text' };
import accounts from './migrations/postgres-003-accounts.sql' with { type: 'text' };
import feedback from './migrations/postgres-004-feedback.sql' with { type: 'text' };
import fleet from './migrations/postgres-005-fleet.sql' with { type: 'text' };
import languages from './migrations/postgres-006-languages.sql' with { type: 'text' };
import origin from './migrations/postgres-007-conversation-origin.sql' with { type: 'text' };

/**
 * Versioned migrations, in order. The SQL files are imported as text so that the compiled binary
 * carries them. Append only: an applied migration is never edited.
 */
export const POSTGRES_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  { version: 1, name: 'history', sql: history },
  { version: 2, name: 'search-query', sql: searchQuery },
  { version: 3, name: 'accounts', sql: accounts },
  { version: 4, name: 'feedback', sql: feedback },
  { version: 5, name: 'fleet', sql: fleet },
  { version: 6, name: 'languages', sql: languages },
  { version: 7, name: 'conversation-origin', sql: origin },
];

// Any constant shared by all instances; pg_advisory_xact_lock serialises concurrent migrators.
const MIGRATION_LOCK = 727_411_001;

export type Sql = postgres.Sql;

export interface PostgresOptions {
  url: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** A schema to use instead of `public` (tests give each run its own). */
  schema?: string;
  /** Seconds to wait for a connection. @default 10 */
  connectTimeout?: number;
  /** Longest a statement may run before the server cancels it. @default 10000 */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity, so that each instance's connections can be counted there. */
  applicationName?: string;
}

export function openPostgres(options: PostgresOptions): Sql {
  return postgres(options.url, {
    max: options.poolSize ?? 10,
    connect_timeout: options.connectTimeout ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      ...(options.schema ? { search_path: options.schema } : {}),
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    },
  });
}

/**
 * Applies the migrations not yet applied, in one transaction under an advisory lock, so that two
 * instances starting at once apply each migration exactly once (the second waits, then finds
 * nothing to do). Returns the versions it applied.
 */
export async function migratePostgres(sql: Sql): Promise<number[]> {
  try {
    return await sql.begin(async (tx) => {
      // Waiting for another instance's migration, and a long migration, must not hit the
      // per-statement timeout that protects requests.
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
      const done = new Set(
        (await tx<{ version: number }[]>`SELECT version FROM schema_migrations`).map((r) => r.version),
      );
      const applied: number[] = [];
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await tx.unsafe(m.sql);
        await tx`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
        applied.push(m.version);
      }
      return applied;
    });
  } catch (error) {
    throw databaseError(error, 'could not apply its migrations');
  }
}

/**
 * A query that an aborted `signal` cancels on the server (postgres.js sends Postgres a
 * CancelRequest for it); it then rejects with the signal's reason, not Postgres's 57014
 * query_canceled, so that callers see an abort as an abort.
 */
export async function cancellable<Q extends Promise<unknown> & { cancel(): unknown }>(
  query: Q,
  signal?: AbortSignal,
): Promise<Awaited<Q>> {
  if (!signal) return query as Awaited<Q>;
  signal.throwIfAborted();
  const cancel = () => query.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    return (await query) as Awaited<Q>;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** Runs one query; a failure to reach the database becomes `unavailable:database`, saying what failed. */
export async function runQuery<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw databaseError(error, what);
  }
}
