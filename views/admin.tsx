import type { Collection, User } from '../src/domain.ts';
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
    <AppShell {...p.shell} title="Admin" heading="Admin" section="admin">
      <div class="page">
        <UsersSection {...p} />
        <CollectionsSection collections={p.collections} />
        <section class="panel" aria-labelledby="audit-heading">
          <h2 id="audit-heading">Audit log</h2>
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
      <h2 id="users-heading">Users</h2>
      {p.notice ? <Notice message={p.notice.message} kind={p.notice.kind} /> : ''}
      <table class="table users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Role, collections and new password</th>
            <th>
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {p.users.map(({ user, collections }) => (
            <tr>
              <TextCell class="title-cell" label="Email" text={user.email ?? user.name} />
              <td data-label="Access">
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
                    placeholder="new password"
                    aria-label={`New password for ${user.email ?? user.name}`}
                  />
                  <button type="submit" class="button">
                    Save
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
                    aria-label={`Delete the user ${user.email ?? user.name}`}
                    hx-delete={`/admin/users/${user.id}`}
                    hx-target="#users"
                    hx-swap="outerHTML"
                    hx-confirm="Delete this user and their conversations?"
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Add a user</h3>
      <form class="inline-form add-user" hx-post="/admin/users" hx-target="#users" hx-swap="outerHTML">
        <input name="email" type="email" required placeholder="email" aria-label="Email" />
        <input name="name" type="text" placeholder="name" aria-label="Name" maxlength="80" />
        <input
          name="password"
          type="password"
          autocomplete="new-password"
          required
          minlength={String(p.minPassword)}
          placeholder="password"
          aria-label="Password"
        />
        <RoleSelect current="member" />
        <CollectionChoices collections={p.collections} granted={['general']} />
        <button type="submit" class="button primary">
          Add user
        </button>
      </form>
    </section>
  );
}

function RoleSelect({ current }: { current: string }): JSX.Element {
  return (
    <select name="role" aria-label="Role">
      <option value="member" selected={current === 'member'}>
        member
      </option>
      <option value="admin" selected={current === 'admin'}>
        admin
      </option>
    </select>
  );
}

function CollectionChoices({ collections, granted }: { collections: Collection[]; granted: string[] }) {
  return (
    <fieldset class="choices">
      <legend class="visually-hidden">Collections</legend>
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
      <h2 id="collections-heading">Collections</h2>
      <p class="help">Documents belong to one collection; users read the collections they are granted.</p>
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
          placeholder="Engineering"
          aria-label="New collection's name"
        />
        <button type="submit" class="button primary">
          Add collection
        </button>
      </form>
    </section>
  );
}

export function AuditTable({ entries }: { entries: AuditEntry[] }): JSX.Element {
  if (entries.length === 0) return <p class="empty">Nothing yet.</p>;
  return (
    <table class="table audit">
      <thead>
        <tr>
          <th>When</th>
          <th>Who</th>
          <th>What</th>
          <th>Target</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr>
            <TextCell label="When" text={e.at.slice(0, 19).replace('T', ' ')} />
            <TextCell label="Who" text={e.actor} />
            <TextCell label="What" text={e.action} />
            <TextCell label="Target" text={e.target} />
            <td data-label="Details" class="details">
              <code safe>{JSON.stringify(e.details)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
