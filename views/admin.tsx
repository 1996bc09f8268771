import type { Collection, User } from '../src/domain.ts';
import { t, tr } from '../src/i18n/request-locale.ts';
import type { AuditEntry } from '../src/stores/account-store.ts';
import { Notice, type NoticeKind } from './chat.tsx';
import { AppShell, type ShellData, TextCell } from './shell.tsx';

export interface AdminPageProps {
  shell: ShellData;
  users: { user: User; collections: string[] }[];
  collections: Collection[];
  audit: AuditEntry[];
  currentUserId: string;
  minPassword: number;
}

/** Users (roles, collections, password resets), collections, and the audit log. */
export function AdminPage(p: AdminPageProps): JSX.Element {
  return (
    <AppShell {...p.shell} title={t('admin.title')} heading={t('admin.title')} section="admin">
      <div class="page">
        <UsersSection {...p} />
        <CollectionsSection collections={p.collections} />
        <section class="panel" aria-labelledby="audit-heading">
          <h2 id="audit-heading" safe>
            {t('admin.audit')}
          </h2>
          <AuditTable entries={p.audit} />
        </section>
      </div>
    </AppShell>
  );
}

export function UsersSection(p: {
  users: { user: User; collections: string[] }[];
  collections: Collection[];
  currentUserId: string;
  minPassword: number;
  notice?: { message: string; kind: NoticeKind };
}): JSX.Element {
  return (
    <section id="users" class="panel" aria-labelledby="users-heading">
      <h2 id="users-heading" safe>
        {t('admin.users')}
      </h2>
      {p.notice ? <Notice message={p.notice.message} kind={p.notice.kind} /> : ''}
      <table class="table users">
        <thead>
          <tr>
            <th safe>{t('account.email')}</th>
            <th safe>{t('admin.access')}</th>
            <th>
              <span class="visually-hidden" safe>
                {t('account.actions')}
              </span>
            </th>
          </tr>
        </thead>
        <tbody>
          {p.users.map(({ user, collections }) => (
            <tr>
              <TextCell class="title-cell" label={t('account.email')} text={user.email ?? user.name} />
              <td data-label={t('admin.accessLabel')}>
                <form
                  class="inline-form"
                  hx-post={`/admin/users/${user.id}`}
                  hx-target="#users"
                  hx-swap="outerHTML"
                  id={`user-${user.id}`}
                >
                  <RoleSelect current={user.role} />
                  <CollectionChoices collections={p.collections} granted={collections} />
                  <input
                    name="password"
                    type="password"
                    autocomplete="new-password"
                    placeholder={t('admin.newPassword')}
                    aria-label={t('admin.newPasswordFor', { who: user.email ?? user.name })}
                  />
                  <button type="submit" class="button" safe>
                    {t('admin.save')}
                  </button>
                </form>
              </td>
              <td class="actions">
                {user.id === p.currentUserId ? (
                  ''
                ) : (
                  <button
                    type="button"
                    class="button danger small"
                    aria-label={t('admin.deleteUser', { who: user.email ?? user.name })}
                    hx-delete={`/admin/users/${user.id}`}
                    hx-target="#users"
                    hx-swap="outerHTML"
                    hx-confirm={t('admin.deleteUserConfirm')}
                    safe
                  >
                    {t('admin.delete')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 safe>{t('admin.addUser')}</h3>
      <form class="inline-form add-user" hx-post="/admin/users" hx-target="#users" hx-swap="outerHTML">
        <input
          name="email"
          type="email"
          required
          placeholder={t('admin.emailPlaceholder')}
          aria-label={t('account.email')}
        />
        <input
          name="name"
          type="text"
          placeholder={t('admin.namePlaceholder')}
          aria-label={t('account.name')}
          maxlength="80"
        />
        <input
          name="password"
          type="password"
          autocomplete="new-password"
          required
          minlength={String(p.minPassword)}
          placeholder={t('admin.passwordPlaceholder')}
          aria-label={t('account.password')}
        />
        <RoleSelect current="member" />
        <CollectionChoices collections={p.collections} granted={['general']} />
        <button type="submit" class="button primary" safe>
          {t('admin.addUserButton')}
        </button>
      </form>
    </section>
  );
}

function RoleSelect({ current }: { current: string }): JSX.Element {
  return (
    <select name="role" aria-label={t('account.role')}>
      <option value="member" selected={current === 'member'} safe>
        {t('role.member')}
      </option>
      <option value="admin" selected={current === 'admin'} safe>
        {t('role.admin')}
      </option>
    </select>
  );
}

function CollectionChoices({ collections, granted }: { collections: Collection[]; granted: string[] }) {
  return (
    <fieldset class="choices">
      <legend class="visually-hidden" safe>
        {t('account.collections')}
      </legend>
      {/* An empty value, so that unticking every box still sends the field (and removes the grants). */}
      <input type="hidden" name="collections" value="" />
      {collections.map((c) => (
        <label>
          <input type="checkbox" name="collections" value={c.id} checked={granted.includes(c.id)} />{' '}
          <span safe>{c.name}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function CollectionsSection({
  collections,
  notice,
}: {
  collections: Collection[];
  notice?: { message: string; kind: NoticeKind };
}): JSX.Element {
  return (
    <section id="collections" class="panel" aria-labelledby="collections-heading">
      <h2 id="collections-heading" safe>
        {t('account.collections')}
      </h2>
      <p class="help" safe>
        {t('admin.collectionsHelp')}
      </p>
      {notice ? <Notice message={notice.message} kind={notice.kind} /> : ''}
      <ul class="chips">
        {collections.map((c) => (
          <li>
            <strong safe>{c.name}</strong> <code safe>{c.id}</code>
          </li>
        ))}
      </ul>
      <form class="inline-form" hx-post="/admin/collections" hx-target="#collections" hx-swap="outerHTML">
        <input
          name="name"
          type="text"
          required
          maxlength="60"
          placeholder={t('admin.collectionPlaceholder')}
          aria-label={t('admin.collectionName')}
        />
        <button type="submit" class="button primary" safe>
          {t('admin.addCollection')}
        </button>
      </form>
    </section>
  );
}

export function AuditTable({ entries }: { entries: AuditEntry[] }): JSX.Element {
  if (entries.length === 0) {
    return (
      <p class="empty" safe>
        {t('admin.nothingYet')}
      </p>
    );
  }
  return (
    <table class="table audit">
      <thead>
        <tr>
          <th safe>{t('admin.when')}</th>
          <th safe>{t('admin.who')}</th>
          <th safe>{t('admin.what')}</th>
          <th safe>{t('admin.target')}</th>
          <th safe>{t('admin.details')}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr>
            <TextCell label={t('admin.when')} text={tr().dateTime(e.at)} />
            <TextCell label={t('admin.who')} text={e.actor} />
            <TextCell label={t('admin.what')} text={e.action} />
            <TextCell label={t('admin.target')} text={e.target} />
            <td data-label={t('admin.details')} class="details">
              <code safe>{JSON.stringify(e.details)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
