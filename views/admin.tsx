import type { Collection, User } from '../src/domain.ts';
import type { AuditEntry } from '../src/stores/account-store.ts';
import { Notice } from './chat.tsx';
import { Layout, PageHeader } from './layout.tsx';

export interface AdminPageProps {
  users: { user: User; collections: string[] }[];
  collections: Collection[];
  audit: AuditEntry[];
  currentUserId: string;
  minPassword: number;
}

/** Users (roles, collections, password resets), collections, and the audit log. */
export function AdminPage(p: AdminPageProps): JSX.Element {
  return (
    <Layout title="Admin · ragchat">
      <main class="docs-page admin-page">
        <PageHeader title="Admin">
          <a href="/docs">Documents</a>
        </PageHeader>
        <UsersSection {...p} />
        <CollectionsSection collections={p.collections} />
        <h2>Audit log</h2>
        <AuditTable entries={p.audit} />
      </main>
    </Layout>
  );
}

export function UsersSection(p: {
  users: { user: User; collections: string[] }[];
  collections: Collection[];
  currentUserId: string;
  minPassword: number;
  notice?: { message: string; kind: 'error' | 'info' };
}): JSX.Element {
  return (
    <section id="users">
      <h2>Users</h2>
      {p.notice ? <Notice message={p.notice.message} kind={p.notice.kind} /> : ''}
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Collections</th>
            <th>New password</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {p.users.map(({ user, collections }) => (
            <tr>
              <td safe>{user.email ?? user.name}</td>
              <td colspan="3">
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
                    placeholder="unchanged"
                    aria-label="New password"
                  />
                  <button type="submit">Save</button>
                </form>
              </td>
              <td>
                {user.id === p.currentUserId ? (
                  ''
                ) : (
                  <button
                    type="button"
                    class="link-button danger"
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
      <form class="inline-form" hx-post="/admin/users" hx-target="#users" hx-swap="outerHTML">
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
        <button type="submit">Add user</button>
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
    <span class="choices">
      {/* An empty value, so that unticking every box still sends the field (and removes the grants). */}
      <input type="hidden" name="collections" value="" />
      {collections.map((c) => (
        <label>
          <input type="checkbox" name="collections" value={c.id} checked={granted.includes(c.id)} />{' '}
          <span safe>{c.name}</span>
        </label>
      ))}
    </span>
  );
}

export function CollectionsSection({
  collections,
  notice,
}: {
  collections: Collection[];
  notice?: { message: string; kind: 'error' | 'info' };
}): JSX.Element {
  return (
    <section id="collections">
      <h2>Collections</h2>
      <p class="hint">Documents belong to one collection; users read the collections they are granted.</p>
      {notice ? <Notice message={notice.message} kind={notice.kind} /> : ''}
      <ul>
        {collections.map((c) => (
          <li>
            <strong safe>{c.name}</strong> <code safe>{c.id}</code>
          </li>
        ))}
      </ul>
      <form class="inline-form" hx-post="/admin/collections" hx-target="#collections" hx-swap="outerHTML">
        <input name="name" type="text" required maxlength="60" placeholder="Engineering" aria-label="Name" />
        <button type="submit">Add collection</button>
      </form>
    </section>
  );
}

export function AuditTable({ entries }: { entries: AuditEntry[] }): JSX.Element {
  if (entries.length === 0) return <p class="empty-list">Nothing yet.</p>;
  return (
    <table class="audit">
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
            <td safe>{e.at.slice(0, 19).replace('T', ' ')}</td>
            <td safe>{e.actor}</td>
            <td safe>{e.action}</td>
            <td safe>{e.target}</td>
            <td>
              <code safe>{JSON.stringify(e.details)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
