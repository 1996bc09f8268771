import type { Collection, Role, User } from '../domain.ts';

export interface NewUser {
  id: string;
  /** Stored lower-case; unique. */
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

export interface StoredSession {
  /** SHA-256 of the cookie's value: a leaked table does not log anyone in. */
  id: string;
  userId: string;
  csrfToken: string;
  expiresAt: string;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  /** The token's first characters, so a person can tell their tokens apart. */
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AuditEntry {
  at: string;
  actorId: string;
  /** The actor's email (or name) when it acted, kept even if the account is deleted later. */
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/**
 * Accounts, sessions, API tokens, collections with their grants, and the audit log. Secrets are
 * stored only as hashes (argon2id for passwords, SHA-256 for random session and API tokens).
 * Every backend runs `test/contracts/account-store.contract.ts`.
 */
export interface AccountStore {
  /** Throws `AppError` `email_taken` (409) when the email is in use. */
  createUser(user: NewUser): Promise<User>;
  getUser(id: string): Promise<User | null>;
  /** With the password hash, for login; email is matched lower-case. */
  findLogin(email: string): Promise<{ user: User; passwordHash: string | null } | null>;
  listUsers(): Promise<User[]>;
  updateUser(id: string, changes: { role?: Role; name?: string }): Promise<User | null>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  deleteUser(id: string): Promise<boolean>;
  countAdmins(): Promise<number>;

  createSession(session: StoredSession): Promise<void>;
  /** The session if it exists and has not expired. */
  getSession(id: string): Promise<StoredSession | null>;
  deleteSession(id: string): Promise<void>;
  /** Ends every session of the user except `keep` (after a password change). */
  deleteSessionsOf(userId: string, keep?: string): Promise<void>;

  createApiToken(token: ApiTokenInfo & { userId: string; tokenHash: string }): Promise<void>;
  /** Looks a token up by its hash and records its use. */
  useApiToken(tokenHash: string): Promise<{ id: string; userId: string } | null>;
  listApiTokens(userId: string): Promise<ApiTokenInfo[]>;
  deleteApiToken(userId: string, id: string): Promise<boolean>;

  listCollections(): Promise<Collection[]>;
  /** Throws `AppError` `collection_exists` (409) when the id or name is taken. */
  createCollection(collection: { id: string; name: string }): Promise<Collection>;
  grantsOf(userId: string): Promise<string[]>;
  /** Replaces the user's grants with exactly these collections. */
  setGrants(userId: string, collectionIds: readonly string[]): Promise<void>;

  audit(entry: Omit<AuditEntry, 'at'>): Promise<void>;
  /** Newest first. */
  listAudit(limit?: number): Promise<AuditEntry[]>;
}
