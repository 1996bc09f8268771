import {
  COLLECTION_ID,
  type Collection,
  DEFAULT_COLLECTION,
  MIN_PASSWORD_CHARS,
  type Principal,
  type Role,
  type User,
} from '../domain.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import type { Logger } from '../logger.ts';
import type { AccountStore, ApiTokenInfo, AuditEntry } from '../stores/account-store.ts';
import { isWhitespace, trimWhere } from '../strings.ts';
import { type LoginGuard, localLoginGuard } from './login-throttle.ts';

/** The one user of AUTH_MODE=none: no login, reads and manages everything. */
export const LOCAL_USER: User = Object.freeze({
  id: 'local',
  email: null,
  name: 'You',
  role: 'admin',
  createdAt: '1970-01-01T00:00:00.000Z',
});

export const LOCAL_PRINCIPAL: Principal = Object.freeze({ user: LOCAL_USER, collections: 'all', via: 'local' });

/** Who acts when the server itself does something (the first admin from ADMIN_EMAIL). */
const SYSTEM_ACTOR = { id: 'system', label: 'system' };

/** Personal API tokens start with this, so a leaked one is easy to recognise (and to scan for). */
export const API_TOKEN_PREFIX = 'rc_';
const MAX_PASSWORD_CHARS = 256;
/** Longest email address accepted (RFC 5321 allows 254; a little room for spaces around it). */
export const MAX_EMAIL_CHARS = 200;
/** A name longer than this is cut; one far longer is refused before it is even trimmed. */
const MAX_NAME_CHARS = 80;
const MAX_LABEL_CHARS = 60;

/**
 * `local@domain.tld` as /^[^\s@]+@[^\s@]+\.[^\s@]+$/ says it (one `@`, no spaces, a dot inside the
 * domain), checked in one pass: that expression backtracks quadratically on `a@` + dots.
 */
export function isEmailAddress(text: string): boolean {
  const at = text.indexOf('@');
  if (at < 1 || text.indexOf('@', at + 1) !== -1) return false;
  for (const ch of text) if (isWhitespace(ch)) return false;
  const domain = text.slice(at + 1);
  return domain.slice(1, -1).includes('.');
}

/** A string input trimmed, or '' when it is not a string or is longer than `max` even before trimming. */
function boundedText(value: unknown, max: number): string {
  // The bound leaves room for whitespace around a value that fits, and keeps a megabyte out of trim().
  return typeof value === 'string' && value.length <= max * 4 ? value.trim() : '';
}

export interface AuthOptions {
  mode: 'none' | 'password';
  allowSignup: boolean;
  sessionDays: number;
}

export interface NewSession {
  /** The cookie's value; only its hash is stored. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
  principal: Principal;
}

const randomToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
const sha256 = (text: string) => new Bun.CryptoHasher('sha256').update(text).digest('hex');

/**
 * Accounts, sessions, API tokens, collections and grants, with an audit entry for every change an
 * admin makes. Passwords are hashed with argon2id (Bun.password); session and API tokens are 256
 * random bits, stored as SHA-256 hashes.
 */
export class AuthService {
  /** A real hash to verify against when the email is unknown, so timing does not reveal accounts. */
  private decoyHash: Promise<string> | null = null;

  constructor(
    private readonly store: AccountStore,
    private readonly logger: Logger,
    readonly options: AuthOptions,
    /** Wrong passwords per account: this process's count, or the fleet's. */
    private readonly throttle: LoginGuard = localLoginGuard(),
  ) {}

  get enabled(): boolean {
    return this.options.mode === 'password';
  }

  /** Creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD when there is no admin yet. */
  async bootstrapAdmin(admin: { email: string; password: string } | undefined): Promise<User | null> {
    if (!this.enabled || !admin || (await this.store.countAdmins()) > 0) return null;
    const user = await this.createUser(null, {
      email: admin.email,
      name: admin.email.split('@')[0] ?? admin.email,
      password: admin.password,
      role: 'admin',
      collections: [DEFAULT_COLLECTION],
    });
    this.logger.info('created the first admin from ADMIN_EMAIL', { userId: user.id });
    return user;
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.store.countAdmins()) > 0;
  }

  // ── Logging in ────────────────────────────────────────────────────────────────────────────────

  /**
   * A new session for the right email and password; null (after the same work) otherwise. An
   * account with too many wrong passwords in a row is refused for a while (429), before any hash
   * is checked, so a guesser spends nothing of ours and learns nothing.
   */
  async login(email: unknown, password: unknown): Promise<NewSession | null> {
    if (typeof email !== 'string' || typeof password !== 'string') return null;
    // No account has a longer address: refuse before any lookup (it reveals nothing about accounts).
    if (password.length > MAX_PASSWORD_CHARS || email.length > MAX_EMAIL_CHARS * 4) return null;
    const wait = await this.throttle.loginWait(email);
    if (wait > 0) {
      throw new AppError(
        'rate_limited',
        wait < 120
          ? say('error.login.throttledSeconds', { seconds: wait })
          : say('error.login.throttledMinutes', { minutes: Math.ceil(wait / 60) }),
        429,
        { retryAfterSeconds: wait },
      );
    }
    const found = await this.store.findLogin(email.trim());
    const hash = found?.passwordHash ?? (await this.decoy());
    const ok = await Bun.password.verify(password, hash).catch(() => false);
    if (!found?.passwordHash || !ok) {
      await this.throttle.loginFailed(email);
      return null;
    }
    await this.throttle.loginSucceeded(email);
    return this.startSession(found.user);
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= Bun.password.hash(randomToken(), { algorithm: 'argon2id' });
    return this.decoyHash;
  }

  async startSession(user: User): Promise<NewSession> {
    const token = randomToken();
    const id = sha256(token);
    const csrfToken = randomToken();
    const expiresAt = new Date(Date.now() + this.options.sessionDays * 86_400_000);
    await this.store.createSession({
      id,
      userId: user.id,
      csrfToken,
      expiresAt: expiresAt.toISOString(),
    });
    return {
      token,
      csrfToken,
      expiresAt,
      principal: await this.principalOf(user, 'session', id, csrfToken),
    };
  }

  /** The principal of a session cookie's value, or null when it is unknown or expired. */
  async fromSession(token: string): Promise<Principal | null> {
    if (token.length < 20 || token.length > 100) return null;
    const session = await this.store.getSession(sha256(token));
    if (!session) return null;
    const user = await this.store.getUser(session.userId);
    return user ? this.principalOf(user, 'session', session.id, session.csrfToken) : null;
  }

  /** The principal of an `Authorization: Bearer` API token, or null. */
  async fromApiToken(token: string): Promise<Principal | null> {
    if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 100) return null;
    const found = await this.store.useApiToken(sha256(token));
    const user = found ? await this.store.getUser(found.userId) : null;
    return user ? this.principalOf(user, 'token') : null;
  }

  private async principalOf(
    user: User,
    via: Principal['via'],
    sessionId?: string,
    csrfToken?: string,
  ): Promise<Principal> {
    // Admins read every collection; everyone else what they were granted.
    const collections = user.role === 'admin' ? 'all' : await this.store.grantsOf(user.id);
    return { user, collections, via, sessionId, csrfToken };
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId) await this.store.deleteSession(principal.sessionId);
  }

  async signup(input: { email: unknown; name?: unknown; password: unknown }): Promise<NewSession> {
    if (!this.options.allowSignup) throw new AppError('forbidden', say('error.signup.off'), 403);
    // Self-registered accounts read the default collection until an admin grants more.
    const user = await this.createUser(null, { ...input, role: 'member', collections: [DEFAULT_COLLECTION] }, 'signup');
    return this.startSession(user);
  }

  /** Checks the current password, sets the new one and ends the user's other sessions. */
  async changePassword(principal: Principal, current: unknown, next: unknown): Promise<void> {
    const email = principal.user.email;
    const found = email ? await this.store.findLogin(email) : null;
    const ok =
      typeof current === 'string' &&
      current.length <= MAX_PASSWORD_CHARS &&
      found?.passwordHash &&
      (await Bun.password.verify(current, found.passwordHash).catch(() => false));
    if (!ok) throw badInput(say('error.password.wrong'));
    await this.store.setPasswordHash(principal.user.id, await hashPassword(next));
    await this.store.deleteSessionsOf(principal.user.id, principal.sessionId);
  }

  // ── API tokens ───────────────────────────────────────────────────────────────────────────────

  /** A new personal API token: the value is returned once and stored only as a hash. */
  async createApiToken(principal: Principal, name: unknown): Promise<{ token: string; info: ApiTokenInfo }> {
    const label = boundedText(name, MAX_LABEL_CHARS);
    if (label.length === 0 || label.length > MAX_LABEL_CHARS)
      throw badInput('Give the token a name of 1 to 60 characters.');
    const token = `${API_TOKEN_PREFIX}${randomToken()}`;
    const info: ApiTokenInfo = {
      id: Bun.randomUUIDv7(),
      name: label,
      hint: `${token.slice(0, 7)}…`,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    };
    await this.store.createApiToken({ ...info, userId: principal.user.id, tokenHash: sha256(token) });
    return { token, info };
  }

  listApiTokens(principal: Principal): Promise<ApiTokenInfo[]> {
    return this.store.listApiTokens(principal.user.id);
  }

  async revokeApiToken(principal: Principal, id: string): Promise<void> {
    if (!(await this.store.deleteApiToken(principal.user.id, id))) throw notFound('That token');
  }

  // ── Administration (every change is audited) ─────────────────────────────────────────────────

  async createUser(
    actor: Principal | null,
    input: { email?: unknown; name?: unknown; password?: unknown; role?: unknown; collections?: unknown },
    action = 'user.create',
  ): Promise<User> {
    // The length first: the address is only looked at once it is short enough.
    const email = boundedText(input.email, MAX_EMAIL_CHARS).toLowerCase();
    if (email.length > MAX_EMAIL_CHARS || !isEmailAddress(email)) {
      throw badInput(say('error.signup.email'));
    }
    const given = typeof input.name === 'string' ? input.name.slice(0, MAX_NAME_CHARS * 4).trim() : '';
    const name = given !== '' ? given.slice(0, MAX_NAME_CHARS) : email.split('@')[0];
    const role = parseRole(input.role ?? 'member');
    const collections = await this.parseCollections(input.collections ?? [DEFAULT_COLLECTION]);
    const user = await this.store.createUser({
      id: Bun.randomUUIDv7(),
      email,
      name: name as string,
      role,
      passwordHash: await hashPassword(input.password),
    });
    await this.store.setGrants(user.id, collections);
    await this.audit(actor, action, `user:${user.email}`, { role, collections });
    return user;
  }

  listUsers(): Promise<User[]> {
    return this.store.listUsers();
  }

  grantsOf(userId: string): Promise<string[]> {
    return this.store.grantsOf(userId);
  }

  /** Changes a user's role, collections or password (an admin resetting it). */
  async updateUser(
    actor: Principal,
    id: string,
    changes: { role?: unknown; collections?: unknown; password?: unknown },
  ): Promise<User> {
    const user = await this.store.getUser(id);
    if (!user?.email) throw notFound('That user');
    const details: Record<string, unknown> = {};
    if (changes.role !== undefined) {
      const role = parseRole(changes.role);
      if (user.role === 'admin' && role !== 'admin' && (await this.store.countAdmins()) <= 1) {
        throw new AppError('last_admin', 'This is the only admin; make someone else an admin first.', 409);
      }
      await this.store.updateUser(id, { role });
      details.role = role;
    }
    if (changes.collections !== undefined) {
      const collections = await this.parseCollections(changes.collections);
      await this.store.setGrants(id, collections);
      details.collections = collections;
    }
    if (changes.password !== undefined) {
      await this.store.setPasswordHash(id, await hashPassword(changes.password));
      // A reset password ends every session that used the old one.
      await this.store.deleteSessionsOf(id);
      details.password = 'reset';
    }
    await this.audit(actor, 'user.update', `user:${user.email}`, details);
    return (await this.store.getUser(id)) as User;
  }

  async deleteUser(actor: Principal, id: string): Promise<void> {
    const user = await this.store.getUser(id);
    if (!user?.email) throw notFound('That user');
    if (user.id === actor.user.id) throw new AppError('forbidden', 'You cannot delete your own account.', 403);
    if (user.role === 'admin' && (await this.store.countAdmins()) <= 1) {
      throw new AppError('last_admin', 'This is the only admin; make someone else an admin first.', 409);
    }
    await this.store.deleteUser(id);
    await this.audit(actor, 'user.delete', `user:${user.email}`, {});
  }

  listCollections(): Promise<Collection[]> {
    return this.store.listCollections();
  }

  async createCollection(actor: Principal | null, input: { id?: unknown; name: unknown }): Promise<Collection> {
    const name = boundedText(input.name, MAX_LABEL_CHARS);
    if (name.length === 0 || name.length > MAX_LABEL_CHARS) {
      throw badInput('Give the collection a name of 1 to 60 characters.');
    }
    const id =
      typeof input.id === 'string' && input.id !== ''
        ? input.id
        : trimWhere(
            name
              .toLowerCase()
              .normalize('NFKD')
              .replace(/[^a-z0-9]+/g, '-'),
            (ch) => ch === '-',
          ).slice(0, 40);
    if (id.length > 40 || !COLLECTION_ID.test(id)) {
      throw badInput('A collection id is 1 to 40 lower-case letters, digits and dashes, like "engineering".');
    }
    const collection = await this.store.createCollection({ id, name });
    await this.audit(actor, 'collection.create', `collection:${id}`, { name });
    return collection;
  }

  /** Whether the principal may read a document of this collection. */
  canRead(principal: Principal, collection: string): boolean {
    return principal.collections === 'all' || principal.collections.includes(collection);
  }

  async audit(
    actor: Principal | null,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    const who = actor ? { id: actor.user.id, label: actor.user.email ?? actor.user.name } : SYSTEM_ACTOR;
    await this.store.audit({ actorId: who.id, actor: who.label, action, target, details });
    this.logger.info('audit', { actor: who.label, action, target });
  }

  listAudit(limit?: number): Promise<AuditEntry[]> {
    return this.store.listAudit(limit);
  }

  private async parseCollections(value: unknown): Promise<string[]> {
    const ids = (Array.isArray(value) ? value : [value]).filter((v) => v !== '' && v !== undefined);
    if (!ids.every((v): v is string => typeof v === 'string')) throw badInput('collections must be a list of ids.');
    const known = new Set((await this.store.listCollections()).map((c) => c.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw badInput(`There is no collection "${unknown[0]?.slice(0, 40)}".`);
    return [...new Set(ids)];
  }
}

/** Checks a new password and hashes it with argon2id. */
export async function hashPassword(password: unknown): Promise<string> {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_CHARS) {
    throw badInput(say('error.password.short', { min: MIN_PASSWORD_CHARS }));
  }
  if (password.length > MAX_PASSWORD_CHARS) throw badInput(say('error.password.long', { max: MAX_PASSWORD_CHARS }));
  return Bun.password.hash(password, { algorithm: 'argon2id' });
}

function parseRole(value: unknown): Role {
  if (value === 'admin' || value === 'member') return value;
  throw badInput('role must be "admin" or "member".');
}

/** Refuses anyone but an admin. */
export function requireAdmin(principal: Principal): void {
  if (principal.user.role !== 'admin') {
    throw new AppError('forbidden', say('error.adminOnly'), 403);
  }
}
