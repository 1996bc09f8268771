import type { Collection, Role, User } from '../domain.ts';
import type { ApiTokenInfo, AuditEntry, StoredSession } from './account-store.ts';
import type { ColumnReader } from './row-columns.ts';

/** The rows of the account tables, in either backend; `Time` and `Json` are its driver's (row-columns.ts). */
export interface UserRow<Time> {
  id: string;
  email: string | null;
  name: string;
  role: Role;
  password_hash: string | null;
  created_at: Time;
}

export interface SessionRow<Time> {
  id: string;
  user_id: string;
  csrf_token: string;
  expires_at: Time;
}

export interface ApiTokenRow<Time> {
  id: string;
  name: string;
  hint: string;
  created_at: Time;
  last_used_at: Time | null;
}

export interface CollectionRow<Time> {
  id: string;
  name: string;
  created_at: Time;
}

export interface AuditRow<Time, Json> {
  at: Time;
  actor_id: string;
  actor: string;
  action: string;
  target: string;
  details: Json;
}

/** The account store's mappers from rows to domain values, for one driver's column types. */
export function accountRows<Time, Json>(columns: ColumnReader<Time, Json>) {
  return {
    toUser: (r: UserRow<Time>): User => ({
      id: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      createdAt: columns.time(r.created_at),
    }),
    toSession: (r: SessionRow<Time>): StoredSession => ({
      id: r.id,
      userId: r.user_id,
      csrfToken: r.csrf_token,
      expiresAt: columns.time(r.expires_at),
    }),
    toApiToken: (r: ApiTokenRow<Time>): ApiTokenInfo => ({
      id: r.id,
      name: r.name,
      hint: r.hint,
      createdAt: columns.time(r.created_at),
      lastUsedAt: r.last_used_at === null ? null : columns.time(r.last_used_at),
    }),
    toCollection: (r: CollectionRow<Time>): Collection => ({
      id: r.id,
      name: r.name,
      createdAt: columns.time(r.created_at),
    }),
    toAuditEntry: (r: AuditRow<Time, Json>): AuditEntry => ({
      at: columns.time(r.at),
      actorId: r.actor_id,
      actor: r.actor,
      action: r.action,
      target: r.target,
      details: columns.json<Record<string, unknown>>(r.details),
    }),
  };
}

/** The row types of one backend, by table: `Rows['session']`. */
export interface AccountRowTypes<Time, Json> {
  user: UserRow<Time>;
  session: SessionRow<Time>;
  apiToken: ApiTokenRow<Time>;
  collection: CollectionRow<Time>;
  audit: AuditRow<Time, Json>;
}
