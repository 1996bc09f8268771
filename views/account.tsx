import type { Principal } from '../src/domain.ts';
import type { ApiTokenInfo } from '../src/stores/account-store.ts';
import { Notice } from './chat.tsx';
import { AppShell, CardPage, type ShellData, type ShellSection, TextCell } from './shell.tsx';

/** Who is logged in, with links to the account and admin pages and a log-out button. */
export function AccountLinks({
  principal,
  accounts,
  current,
}: {
  principal: Principal;
  accounts: boolean;
  current?: ShellSection;
}): JSX.Element {
  const isAdmin = principal.user.role === 'admin';
  if (!accounts) return '';
  return (
    <div class="account-links">
      <a
        href="/account"
        class="nav-link who"
        title="Your account"
        aria-current={current === 'account' ? 'page' : undefined}
        safe
      >
        {principal.user.email ?? principal.user.name}
      </a>
      {isAdmin ? (
        <a href="/admin" class="nav-link" aria-current={current === 'admin' ? 'page' : undefined}>
          Admin
        </a>
      ) : (
        ''
      )}
      <form hx-post="/logout" class="inline">
        <button type="submit" class="nav-link log-out">
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
    <CardPage title="Log in" heading="Log in">
      <p class="lead">Chat with your team's documents.</p>
      {p.noAdmin ? (
        <Notice
          kind="info"
          message="No account exists yet. Create the first admin with: npm run user:create -- --admin --email you@example.com (or set ADMIN_EMAIL and ADMIN_PASSWORD)."
        />
      ) : (
        ''
      )}
      {p.error ? <Notice message={p.error} /> : ''}
      <form method="post" action="/login" class="stack-form">
        <input type="hidden" name="next" value={p.next} />
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={p.email ?? ''} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="button primary wide">
          Log in
        </button>
      </form>
      {p.allowSignup ? (
        <p class="card-foot">
          No account? <a href="/signup">Sign up</a>.
        </p>
      ) : (
        ''
      )}
    </CardPage>
  );
}

export function SignupPage({ error, email, minPassword }: { error?: string; email?: string; minPassword: number }) {
  return (
    <CardPage title="Sign up" heading="Create an account">
      {error ? <Notice message={error} /> : ''}
      <form method="post" action="/signup" class="stack-form">
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} />
        </div>
        <div class="field">
          <label for="name">Name</label>
          <input id="name" name="name" type="text" autocomplete="name" maxlength="80" />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={String(minPassword)}
          />
          <p class="help" safe>{`At least ${minPassword} characters.`}</p>
        </div>
        <button type="submit" class="button primary wide">
          Sign up
        </button>
      </form>
      <p class="card-foot">
        Have an account? <a href="/login">Log in</a>.
      </p>
    </CardPage>
  );
}

export interface AccountPageProps {
  shell: ShellData;
  tokens: ApiTokenInfo[];
  collections: string[];
  minPassword: number;
}

export function AccountPage(p: AccountPageProps): JSX.Element {
  const { principal } = p.shell;
  return (
    <AppShell {...p.shell} title="Account" heading="Your account" section="account">
      <div class="page">
        <section class="panel" aria-labelledby="who-heading">
          <h2 id="who-heading">Profile</h2>
          <dl class="facts">
            <dt>Email</dt>
            <dd safe>{principal.user.email ?? principal.user.name}</dd>
            <dt>Role</dt>
            <dd>{principal.user.role}</dd>
            <dt>Collections</dt>
            <dd safe>
              {principal.collections === 'all'
                ? 'Every collection'
                : p.collections.join(', ') || 'None yet (ask an admin)'}
            </dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="password-heading">
          <h2 id="password-heading">Change password</h2>
          <form hx-post="/account/password" hx-target="#password-result" class="stack-form narrow">
            <div class="field">
              <label for="current">Current password</label>
              <input id="current" name="current" type="password" autocomplete="current-password" required />
            </div>
            <div class="field">
              <label for="next">New password</label>
              <input
                id="next"
                name="next"
                type="password"
                autocomplete="new-password"
                required
                minlength={String(p.minPassword)}
              />
              <p class="help" safe>{`At least ${p.minPassword} characters. Your other sessions are logged out.`}</p>
            </div>
            <div>
              <button type="submit" class="button primary">
                Change password
              </button>
            </div>
            <div id="password-result"></div>
          </form>
        </section>
        <section class="panel" aria-labelledby="tokens-heading">
          <h2 id="tokens-heading">Personal API tokens</h2>
          <p class="help">
            Send one as <code>Authorization: Bearer rc_…</code> to call the API as you. A token is shown once.
          </p>
          <form hx-post="/account/tokens" hx-target="#tokens" hx-swap="outerHTML" class="inline-form">
            <div class="field">
              <label for="token-name">Name</label>
              <input id="token-name" name="name" type="text" maxlength="60" required placeholder="laptop script" />
            </div>
            <button type="submit" class="button primary">
              Create token
            </button>
          </form>
          <TokenList tokens={p.tokens} />
        </section>
      </div>
    </AppShell>
  );
}

/** The token list; after a creation, the new token's value above it, once. */
export function TokenList({ tokens, created }: { tokens: ApiTokenInfo[]; created?: string }): JSX.Element {
  return (
    <section id="tokens">
      {created ? (
        <div class="notice success" role="status">
          <p>Copy this token now; it will not be shown again:</p>
          <code class="token" safe>
            {created}
          </code>
        </div>
      ) : (
        ''
      )}
      {tokens.length === 0 ? (
        <p class="empty">No tokens yet.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Created</th>
              <th>Last used</th>
              <th>
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr>
                <TextCell label="Name" text={t.name} />
                <TextCell label="Token" text={t.hint} />
                <TextCell label="Created" text={t.createdAt.slice(0, 10)} />
                <TextCell label="Last used" text={t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never'} />
                <td class="actions">
                  <button
                    type="button"
                    class="button danger small"
                    aria-label={`Revoke the token ${t.name}`}
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
