import type { Principal } from '../src/domain.ts';
import type { ApiTokenInfo } from '../src/stores/account-store.ts';
import { Notice } from './chat.tsx';
import { Layout, PageHeader } from './layout.tsx';

/** Who is logged in, with links to the account and admin pages and a log-out button. */
export function AccountLinks({ principal, accounts }: { principal: Principal; accounts: boolean }): JSX.Element {
  const isAdmin = principal.user.role === 'admin';
  if (!accounts) return '';
  return (
    <div class="account-links">
      <a href="/account" class="who" title="Your account" safe>
        {principal.user.email ?? principal.user.name}
      </a>
      {isAdmin ? <a href="/admin">Admin</a> : ''}
      <form hx-post="/logout" class="inline">
        <button type="submit" class="link-button">
          Log out
        </button>
      </form>
    </div>
  );
}

export interface LoginPageProps {
  next: string;
  email?: string;
  error?: string;
  allowSignup: boolean;
  /** No admin exists yet: say how to create one. */
  noAdmin: boolean;
}

/** A plain form (works before htmx loads); the server answers with a redirect or the form again. */
export function LoginPage(p: LoginPageProps): JSX.Element {
  return (
    <Layout title="Log in · ragchat">
      <main class="auth-page">
        <h1>ragchat</h1>
        {p.noAdmin ? (
          <Notice
            kind="info"
            message="No account exists yet. Create the first admin with: npm run user:create -- --admin --email you@example.com (or set ADMIN_EMAIL and ADMIN_PASSWORD)."
          />
        ) : (
          ''
        )}
        {p.error ? <Notice message={p.error} /> : ''}
        <form method="post" action="/login" class="auth-form">
          <input type="hidden" name="next" value={p.next} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={p.email ?? ''} />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Log in</button>
        </form>
        {p.allowSignup ? (
          <p class="hint">
            No account? <a href="/signup">Sign up</a>.
          </p>
        ) : (
          ''
        )}
      </main>
    </Layout>
  );
}

export function SignupPage({ error, email, minPassword }: { error?: string; email?: string; minPassword: number }) {
  return (
    <Layout title="Sign up · ragchat">
      <main class="auth-page">
        <h1>Create an account</h1>
        {error ? <Notice message={error} /> : ''}
        <form method="post" action="/signup" class="auth-form">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} />
          <label for="name">Name</label>
          <input id="name" name="name" type="text" autocomplete="name" maxlength="80" />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={String(minPassword)}
          />
          <button type="submit">Sign up</button>
        </form>
        <p class="hint">
          Have an account? <a href="/login">Log in</a>.
        </p>
      </main>
    </Layout>
  );
}

export interface AccountPageProps {
  principal: Principal;
  tokens: ApiTokenInfo[];
  collections: string[];
  minPassword: number;
}

export function AccountPage(p: AccountPageProps): JSX.Element {
  return (
    <Layout title="Account · ragchat">
      <main class="docs-page">
        <PageHeader title="Your account" />
        <p safe>{`${p.principal.user.email ?? ''} · ${p.principal.user.role}`}</p>
        <p class="hint" safe>
          {p.principal.collections === 'all'
            ? 'You can read every collection.'
            : `You can read: ${p.collections.join(', ') || 'no collection yet (ask an admin)'}.`}
        </p>
        <h2>Change password</h2>
        <form hx-post="/account/password" hx-target="#password-result" class="auth-form">
          <label for="current">Current password</label>
          <input id="current" name="current" type="password" autocomplete="current-password" required />
          <label for="next">New password</label>
          <input
            id="next"
            name="next"
            type="password"
            autocomplete="new-password"
            required
            minlength={String(p.minPassword)}
          />
          <button type="submit">Change password</button>
          <div id="password-result"></div>
        </form>
        <h2>Personal API tokens</h2>
        <p class="hint">
          Send one as <code>Authorization: Bearer rc_…</code> to call the API as you. A token is shown once.
        </p>
        <form hx-post="/account/tokens" hx-target="#tokens" hx-swap="outerHTML" class="inline-form">
          <label for="token-name">Name</label>
          <input id="token-name" name="name" type="text" maxlength="60" required placeholder="laptop script" />
          <button type="submit">Create token</button>
        </form>
        <TokenList tokens={p.tokens} />
      </main>
    </Layout>
  );
}

/** The token list; after a creation, the new token's value above it, once. */
export function TokenList({ tokens, created }: { tokens: ApiTokenInfo[]; created?: string }): JSX.Element {
  return (
    <section id="tokens">
      {created ? (
        <div class="notice info" role="status">
          <p>Copy this token now; it will not be shown again:</p>
          <code class="token" safe>
            {created}
          </code>
        </div>
      ) : (
        ''
      )}
      {tokens.length === 0 ? (
        <p class="empty-list">No tokens.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Created</th>
              <th>Last used</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr>
                <td safe>{t.name}</td>
                <td safe>{t.hint}</td>
                <td safe>{t.createdAt.slice(0, 10)}</td>
                <td safe>{t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never'}</td>
                <td>
                  <button
                    type="button"
                    class="link-button danger"
                    hx-delete={`/account/tokens/${t.id}`}
                    hx-target="#tokens"
                    hx-swap="outerHTML"
                    hx-confirm="Revoke this token? Programs using it will stop working."
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
