import type { Collection, Role, User } from '../domain.ts';
import { AppError } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { type AccountRowTypes, accountRows } from './account-rows.ts';
import type { AccountStore, ApiTokenInfo, AuditEntry, NewUser, StoredSession } from './account-store.ts';
import { databaseError, isUniqueViolation } from './database-errors.ts';
import { runQuery, type Sql } from './postgres-database.ts';
import { POSTGRES_COLUMNS } from './row-columns.ts';

type Rows = AccountRowTypes<Date, unknown>;
type UserRow = Rows['user'];
const { toUser, toSession, toApiToken, toCollection, toAuditEntry } = accountRows(POSTGRES_COLUMNS);

/** Accounts in Postgres; every query is a tagged template (parameters bound). */
export class PostgresAccountStore implements AccountStore {
  constructor(private readonly sql: Sql) {}

  private run<T>(what: string, query: () => Promise<T>): Promise<T> {
    return runQuery(what, query);
  }

  async createUser(u: NewUser): Promise<User> {
    try {
      const [row] = await this.sql<UserRow[]>`
        INSERT INTO users (id, email, name, role, password_hash)
        VALUES (${u.id}, ${u.email.toLowerCase()}, ${u.name}, ${u.role}, ${u.passwordHash}) RETURNING *`;
      return toUser(row as UserRow);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('email_taken', say('error.signup.emailTaken'), 409);
      throw databaseError(error, 'could not create the account');
    }
  }

  async getUser(id: string): Promise<User | null> {
    const [row] = await this.run(
      'could not read the account',
      () => this.sql<UserRow[]>`SELECT * FROM users WHERE id = ${id}`,
    );
    return row ? toUser(row) : null;
  }

  async findLogin(email: string): Promise<{ user: User; passwordHash: string | null } | null> {
    const [row] = await this.run(
      'could not read the account',
      () => this.sql<UserRow[]>`SELECT * FROM users WHERE email = ${email.toLowerCase()}`,
    );
    return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
  }

  async listUsers(): Promise<User[]> {
    return (
      await this.run(
        'could not list accounts',
        () => this.sql<UserRow[]>`SELECT * FROM users WHERE email IS NOT NULL ORDER BY email`,
      )
    ).map(toUser);
  }

  async updateUser(id: string, changes: { role?: Role; name?: string }): Promise<User | null> {
    const [row] = await this.run(
      'could not update the account',
      () => this.sql<UserRow[]>`
        UPDATE users SET role = coalesce(${changes.role ?? null}, role), name = coalesce(${changes.name ?? null}, name)
        WHERE id = ${id} RETURNING *`,
    );
    return row ? toUser(row) : null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.run(
      'could not change the password',
      () => this.sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${id}`,
    );
  }

  async deleteUser(id: string): Promise<boolean> {
    const result = await this.run('could not delete the account', () => this.sql`DELETE FROM users WHERE id = ${id}`);
    return result.count > 0;
  }

  async countAdmins(): Promise<number> {
    const [row] = await this.run(
      'could not count admins',
      () => this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`,
    );
    return row?.n ?? 0;
  }

  async createSession(s: StoredSession): Promise<void> {
    await this.run(
      'could not start the session',
      () => this.sql`
        INSERT INTO sessions (id, user_id, csrf_token, expires_at)
        VALUES (${s.id}, ${s.userId}, ${s.csrfToken}, ${s.expiresAt})`,
    );
  }

  async getSession(id: string): Promise<StoredSession | null> {
    const [row] = await this.run(
      'could not read the session',
      () => this.sql<Rows['session'][]>`
        SELECT * FROM sessions WHERE id = ${id} AND expires_at > now()`,
    );
    return row ? toSession(row) : null;
  }

  async deleteSession(id: string): Promise<void> {
    await this.run('could not end the session', () => this.sql`DELETE FROM sessions WHERE id = ${id}`);
  }

  async deleteSessionsOf(userId: string, keep?: string): Promise<void> {
    await this.run(
      'could not end the sessions',
      () => this.sql`DELETE FROM sessions WHERE user_id = ${userId} AND id <> ${keep ?? ''}`,
    );
  }

  async createApiToken(t: ApiTokenInfo & { userId: string; tokenHash: string }): Promise<void> {
    await this.run(
      'could not create the token',
      () => this.sql`
        INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at)
        VALUES (${t.id}, ${t.userId}, ${t.name}, ${t.tokenHash}, ${t.hint}, ${t.createdAt})`,
    );
  }

  async useApiToken(tokenHash: string): Promise<{ id: string; userId: string } | null> {
    const [row] = await this.run(
      'could not check the token',
      () => this.sql<{ id: string; user_id: string }[]>`
        UPDATE api_tokens SET last_used_at = now() WHERE token_hash = ${tokenHash} RETURNING id, user_id`,
    );
    return row ? { id: row.id, userId: row.user_id } : null;
  }

  async listApiTokens(userId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.run(
      'could not list tokens',
      () => this.sql<Rows['apiToken'][]>`
        SELECT id, name, hint, created_at, last_used_at FROM api_tokens WHERE user_id = ${userId}
        ORDER BY created_at DESC`,
    );
    return rows.map(toApiToken);
  }

  async deleteApiToken(userId: string, id: string): Promise<boolean> {
    const result = await this.run(
      'could not delete the token',
      () => this.sql`DELETE FROM api_tokens WHERE id = ${id} AND user_id = ${userId}`,
    );
    return result.count > 0;
  }

  async listCollections(): Promise<Collection[]> {
    const rows = await this.run(
      'could not list collections',
      () => this.sql<Rows['collection'][]>`SELECT * FROM collections ORDER BY name`,
    );
    return rows.map(toCollection);
  }

  async createCollection(c: { id: string; name: string }): Promise<Collection> {
    try {
      const [row] = await this.sql<{ created_at: Date }[]>`
        INSERT INTO collections (id, name) VALUES (${c.id}, ${c.name}) RETURNING created_at`;
      return { ...c, createdAt: (row as { created_at: Date }).created_at.toISOString() };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('collection_exists', 'A collection with that id or name exists.', 409);
      }
      throw databaseError(error, 'could not create the collection');
    }
  }

  async grantsOf(userId: string): Promise<string[]> {
    const rows = await this.run(
      'could not read grants',
      () => this.sql<{ collection_id: string }[]>`
        SELECT collection_id FROM collection_grants WHERE user_id = ${userId} ORDER BY collection_id`,
    );
    return rows.map((r) => r.collection_id);
  }

  async setGrants(userId: string, collectionIds: readonly string[]): Promise<void> {
    const ids = [...new Set(collectionIds)];
    await this.run('could not change grants', () =>
      this.sql.begin(async (tx) => {
        await tx`DELETE FROM collection_grants WHERE user_id = ${userId}`;
        if (ids.length > 0) {
          await tx`
            INSERT INTO collection_grants (user_id, collection_id)
            SELECT ${userId}, id FROM collections WHERE id = ANY(${ids})`;
        }
      }),
    );
  }

  async audit(e: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.run(
      'could not write the audit log',
      () => this.sql`
        INSERT INTO audit_log (actor_id, actor, action, target, details)
        VALUES (${e.actorId}, ${e.actor}, ${e.action}, ${e.target}, ${this.sql.json(e.details as never)})`,
    );
  }

  async listAudit(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.run(
      'could not read the audit log',
      () => this.sql<Rows['audit'][]>`SELECT * FROM audit_log ORDER BY seq DESC LIMIT ${limit}`,
    );
    return rows.map(toAuditEntry);
  }
}
