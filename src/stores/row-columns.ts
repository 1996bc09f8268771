/**
 * How each database driver hands back the column types our twin backends read differently:
 * bun:sqlite returns timestamps as the ISO text we stored and JSON as text; postgres.js returns
 * `timestamptz` as a Date and `jsonb` already parsed. The shared row types (`*-rows.ts`) are
 * written once, over these two.
 */
export interface ColumnReader<Time, Json> {
  /** A timestamp column as ISO 8601 text. */
  time(value: Time): string;
  /** A JSON column as the value it holds. */
  json<T>(value: Json): T;
}

export type SqliteColumns = ColumnReader<string, string>;
export type PostgresColumns = ColumnReader<Date, unknown>;

export const SQLITE_COLUMNS: SqliteColumns = {
  time: (value) => value,
  json: <T>(value: string) => JSON.parse(value) as T,
};

export const POSTGRES_COLUMNS: PostgresColumns = {
  time: (value) => value.toISOString(),
  json: <T>(value: unknown) => value as T,
};
