import { expect, test } from 'bun:test';
import type { AccountStore } from '../../src/stores/account-store.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

const user = (email: string, role: 'admin' | 'member' = 'member') => ({
  id: crypto.randomUUID(),
  email,
  name: email.split('@')[0] as string,
  role,
  passwordHash: `hash-of-${email}`,
});

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** What every AccountStore must do; `make` returns a store with only the default collection. */
export function runAccountStoreContract(name: string, backend: ContractBackend<AccountStore>) {
  const make = eachTest(backend);
  test(`${name}: creates users with unique, case-insensitive emails and finds them for login`, async () => {
    const store = await make();
    const ada = await store.createUser(user('Ada@Example.com', 'admin'));
    expect(ada).toMatchObject({ email: 'ada@example.com', role: 'admin', name: 'Ada' });
    await expect(store.createUser(user('ADA@example.com'))).rejects.toMatchObject({ code: 'email_taken', status: 409 });
    const login = await store.findLogin('ada@EXAMPLE.com');
    expect(login?.user.id).toBe(ada.id);
    expect(login?.passwordHash).toBe('hash-of-Ada@Example.com');
    expect(await store.findLogin('nobody@example.com')).toBeNull();
    expect(await store.countAdmins()).toBe(1);
    await store.createUser(user('bob@example.com'));
    expect((await store.listUsers()).map((u) => u.email)).toEqual(['ada@example.com', 'bob@example.com']);
  });

  test(`${name}: updates a role and a password; deleting a user removes their sessions and tokens`, async () => {
    const store = await make();
    const bob = await store.createUser(user('bob@example.com'));
    expect((await store.updateUser(bob.id, { role: 'admin' }))?.role).toBe('admin');
    expect(await store.updateUser('missing', { role: 'admin' })).toBeNull();
    await store.setPasswordHash(bob.id, 'new-hash');
    expect((await store.findLogin('bob@example.com'))?.passwordHash).toBe('new-hash');
    await store.createSession({ id: 's1', userId: bob.id, csrfToken: 'c', expiresAt: inAnHour() });
    await store.createApiToken({
      id: 't1',
      userId: bob.id,
      name: 'laptop',
      hint: 'rc_abcd…',
      tokenHash: 'th1',
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    });
    expect(await store.deleteUser(bob.id)).toBe(true);
    expect(await store.getSession('s1')).toBeNull();
    expect(await store.useApiToken('th1')).toBeNull();
    expect(await store.deleteUser(bob.id)).toBe(false);
  });

  test(`${name}: sessions expire, end one at a time or all but one`, async () => {
    const store = await make();
    const ada = await store.createUser(user('ada@example.com'));
    await store.createSession({ id: 'live', userId: ada.id, csrfToken: 'csrf', expiresAt: inAnHour() });
    await store.createSession({ id: 'other', userId: ada.id, csrfToken: 'x', expiresAt: inAnHour() });
    await store.createSession({
      id: 'old',
      userId: ada.id,
      csrfToken: 'x',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(await store.getSession('live')).toMatchObject({ userId: ada.id, csrfToken: 'csrf' });
    expect(await store.getSession('old')).toBeNull();
    await store.deleteSessionsOf(ada.id, 'live');
    expect(await store.getSession('other')).toBeNull();
    expect(await store.getSession('live')).not.toBeNull();
    await store.deleteSession('live');
    expect(await store.getSession('live')).toBeNull();
  });

  test(`${name}: API tokens are found by hash, record their use, and are revoked only by their owner`, async () => {
    const store = await make();
    const ada = await store.createUser(user('ada@example.com'));
    const bob = await store.createUser(user('bob@example.com'));
    await store.createApiToken({
      id: 't1',
      userId: ada.id,
      name: 'ci',
      hint: 'rc_abcd…',
      tokenHash: 'hash1',
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    });
    expect((await store.listApiTokens(ada.id))[0]).toMatchObject({ id: 't1', name: 'ci', lastUsedAt: null });
    expect(await store.useApiToken('hash1')).toEqual({ id: 't1', userId: ada.id });
    expect((await store.listApiTokens(ada.id))[0]?.lastUsedAt).not.toBeNull();
    expect(await store.useApiToken('other')).toBeNull();
    expect(await store.deleteApiToken(bob.id, 't1')).toBe(false);
    expect(await store.deleteApiToken(ada.id, 't1')).toBe(true);
    expect(await store.useApiToken('hash1')).toBeNull();
  });

  test(`${name}: collections start with "general"; grants are replaced whole and ignore unknown ids`, async () => {
    const store = await make();
    expect((await store.listCollections()).map((c) => c.id)).toEqual(['general']);
    await store.createCollection({ id: 'hr', name: 'HR' });
    await expect(store.createCollection({ id: 'hr', name: 'Other' })).rejects.toMatchObject({ status: 409 });
    await expect(store.createCollection({ id: 'hr2', name: 'HR' })).rejects.toMatchObject({ status: 409 });
    const ada = await store.createUser(user('ada@example.com'));
    await store.setGrants(ada.id, ['general', 'hr', 'hr', 'nope']);
    expect(await store.grantsOf(ada.id)).toEqual(['general', 'hr']);
    await store.setGrants(ada.id, ['hr']);
    expect(await store.grantsOf(ada.id)).toEqual(['hr']);
    await store.setGrants(ada.id, []);
    expect(await store.grantsOf(ada.id)).toEqual([]);
  });

  test(`${name}: the audit log keeps entries newest first, with their details`, async () => {
    const store = await make();
    await store.audit({ actorId: 'a', actor: 'ada@example.com', action: 'user.create', target: 'user:b', details: {} });
    await store.audit({
      actorId: 'a',
      actor: 'ada@example.com',
      action: 'user.update',
      target: 'user:b',
      details: { role: 'admin', collections: ['hr'] },
    });
    const entries = await store.listAudit(10);
    expect(entries.map((e) => e.action)).toEqual(['user.update', 'user.create']);
    expect(entries[0]?.details).toEqual({ role: 'admin', collections: ['hr'] });
    expect(Date.parse(entries[0]?.at ?? '')).not.toBeNaN();
  });
}
