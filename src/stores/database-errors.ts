import { unavailable } from '../errors.ts';

/**
 * What both relational backends' drivers report, read the same way, so that a store answers the
 * same error for the same mistake whichever database holds it. Both drivers put a `code` on
 * their errors: postgres.js a SQLSTATE from the server (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * or a Node network code; bun:sqlite SQLite's extended result code by name
 * (https://sqlite.org/rescode.html).
 */
const codeOf = (error: unknown): string => String((error as { code?: unknown })?.code ?? '');

/**
 * A broken UNIQUE or PRIMARY KEY constraint: Postgres's 23505 unique_violation (both kinds);
 * SQLite's SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * The database cannot serve now, as opposed to a query that is wrong. Postgres: the connection
 * failed (ECONNREFUSED, ENOTFOUND, CONNECT_TIMEOUT, CONNECTION_ENDED...), the server is shutting
 * down (57P01), the password is wrong (28P01), the database does not exist (3D000). SQLite: busy
 * or locked past busy_timeout (another process writes), the file cannot be opened, read or
 * written (CANTOPEN, IOERR, READONLY, FULL), or is not a database or is damaged (NOTADB, CORRUPT).
 */
function isUnavailable(code: string): boolean {
  return (
    /^(ECONN|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|CONNECT_TIMEOUT|CONNECTION_)/.test(code) ||
    code === '57P01' ||
    code === '28P01' ||
    code === '3D000' ||
    /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|READONLY|FULL|NOTADB|CORRUPT)/.test(code)
  );
}

/**
 * A driver's error as the stores throw it: one that means the database cannot serve becomes
 * `unavailable:database` (503), saying what failed; anything else passes through unchanged.
 */
export function databaseError(error: unknown, what: string): unknown {
  const code = codeOf(error);
  if (isUnavailable(code))
    return unavailable('database', `The database could not be reached (${code}); ${what}.`, error);
  return error;
}
