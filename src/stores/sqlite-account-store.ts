import type { Database } from 'bun:sqlite';
import type { Collection, Role, User } from '../domain.ts';
import { AppError } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { type AccountRowTypes, accountRows } from './account-rows.ts';
import type { AccountStore, ApiTokenInfo, AuditEntry, NewUser, StoredSession } from './account-store.ts';
import { isUniqueViolation } from './database-errors.ts';
import { SQLITE_COLUMNS } from './row-columns.ts';
import { nowIso, translateSqliteErrors } from './sqlite-database.ts';

type Rows = AccountRowTypes<string, string>;
type UserRow = Rows['user'];
const { toUser, toSession, toApiToken, toCollection, toAuditEntry } = accountRows(SQLITE_COLUMNS);

export class SqliteAccountStore implements AccountStore {
  constructor(private readonly db: Database) {
    translateSqliteErrors(this, 'could not read or write the accounts');
  }

  async createUser(u: NewUser): Promise<User> {
    try {
      const row = this.db
        .query<UserRow, Record<string, string>>(
          `INSERT INTO users (id, email, name, role, password_hash, created_at)
           VALUES ($id, $email, $name, $role, $passwordHash, $now) RETURNING *`,
        )
        .get({ ...u, email: u.email.toLowerCase(), now: nowIso() });
      return toUser(row as UserRow);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('email_taken', say('error.signup.emailTaken'), 409);
      throw error;
    }
  }

  async getUser(id: string): Promise<User | null> {
    const row = this.db.query<UserRow, [string]>('SELECT * FROM users WHERE id = ?').get(id);
    return row ? toUser(row) : null;
  }

  async findLogin(email: string): Promise<{ user: User; passwordHash: string | null } | null> {
    const row = this.db.query<UserRow, [string]>('SELECT * FROM users WHERE email = ?').get(email.toLowerCase());
    return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
  }

  async listUsers(): Promise<User[]> {
    return this.db.query<UserRow, []>('SELECT * FROM users WHERE email IS NOT NULL ORDER BY email').all().map(toUser);
  }

  async updateUser(id: string, changes: { role?: Role; name?: string }): Promise<User | null> {
    const row = this.db
      .query<UserRow, Record<string, string | null>>(
        `UPDATE users SET role = coalesce($role, role), name = coalesce($name, name) WHERE id = $id RETURNING *`,
      )
      .get({ id, role: changes.role ?? null, name: changes.name ?? null });
    return row ? toUser(row) : null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    this.db.query('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id);
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.db.query('DELETE FROM users WHERE id = ?').run(id).changes > 0;
  }

  async countAdmins(): Promise<number> {
    return (
      this.db.query<{ n: number }, []>("SELECT count(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }
    ).n;
  }

  async createSession(s: StoredSession): Promise<void> {
    this.db
      .query(
        `INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at)
         VALUES ($id, $userId, $csrfToken, $now, $expiresAt)`,
      )
      .run({ ...s, now: nowIso() });
  }

  async getSession(id: string): Promise<StoredSession | null> {
    const row = this.db
      .query<Rows['session'], [string, string]>('SELECT * FROM sessions WHERE id = ? AND expires_at > ?')
      .get(id, nowIso());
    return row ? toSession(row) : null;
  }

  async deleteSession(id: string): Promise<void> {
    this.db.query('DELETE FROM sessions WHERE id = ?').run(id);
  }

  async deleteSessionsOf(userId: string, keep?: string): Promise<void> {
    this.db.query('DELETE FROM sessions WHERE user_id = ? AND id <> ?').run(userId, keep ?? '');
  }

  async createApiToken(t: ApiTokenInfo & { userId: string; tokenHash: string }): Promise<void> {
    this.db
      .query(
        `INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at)
         VALUES ($id, $userId, $name, $tokenHash, $hint, $createdAt)`,
      )
      .run({ id: t.id, userId: t.userId, name: t.name, tokenHash: t.tokenHash, hint: t.hint, createdAt: t.createdAt });
  }

  async useApiToken(tokenHash: string): Promise<{ id: string; userId: string } | null> {
    const row = this.db
      .query<{ id: string; user_id: string }, [string, string]>(
        'UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? RETURNING id, user_id',
      )
      .get(nowIso(), tokenHash);
    return row ? { id: row.id, userId: row.user_id } : null;
  }

  async listApiTokens(userId: string): Promise<ApiTokenInfo[]> {
    return this.db
      .query<Rows['apiToken'], [string]>(
        'SELECT id, name, hint, created_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC',
      )
      .all(userId)
      .map(toApiToken);
  }

  async deleteApiToken(userId: string, id: string): Promise<boolean> {
    return this.db.query('DELETE FROM api_tokens WHERE id = ? AND user_id = ?').run(id, userId).changes > 0;
  }

  async listCollections(): Promise<Collection[]> {
    return this.db.query<Rows['collection'], []>('SELECT * FROM collections ORDER BY name').all().map(toCollection);
  }

  async createCollection(c: { id: string; name: string }): Promise<Collection> {
    const createdAt = nowIso();
    try {
      this.db.query('INSERT INTO collections (id, name, created_at) VALUES (?, ?, ?)').run(c.id, c.name, createdAt);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('collection_exists', 'A collection with that id or name exists.', 409);
      }
      throw error;
    }
    return { ...c, createdAt };
  }

  async grantsOf(userId: string): Promise<string[]> {
    return this.db
      .query<{ collection_id: string }, [string]>(
        'SELECT collection_id FROM collection_grants WHERE user_id = ? ORDER BY collection_id',
      )
      .all(userId)
      .map((r) => r.collection_id);
  }

  async setGrants(userId: string, collectionIds: readonly string[]): Promise<void> {
    const insert = this.db.query(
      'INSERT INTO collection_grants (user_id, collection_id) SELECT ?, id FROM collections WHERE id = ?',
    );
    this.db.transaction(() => {
      this.db.query('DELETE FROM collection_grants WHERE user_id = ?').run(userId);
      for (const id of new Set(collectionIds)) insert.run(userId, id);
    })();
  }

  async audit(e: Omit<AuditEntry, 'at'>): Promise<void> {
    this.db
      .query('INSERT INTO audit_log (at, actor_id, actor, action, target, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(nowIso(), e.actorId, e.actor, e.action, e.target, JSON.stringify(e.details));
  }

  async listAudit(limit = 100): Promise<AuditEntry[]> {
    return this.db
      .query<Rows['audit'], [number]>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?')
      .all(limit)
      .map(toAuditEntry);
  }
}
