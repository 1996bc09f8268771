import Html from '@kitajs/html';
import type { Principal } from '../src/domain.ts';
import { t, tr } from '../src/i18n/request-locale.ts';
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
        title={t('account.yourAccount')}
        aria-current={current === 'account' ? 'page' : undefined}
        safe
      >
        {principal.user.email ?? principal.user.name}
      </a>
      {isAdmin ? (
        <a href="/admin" class="nav-link" aria-current={current === 'admin' ? 'page' : undefined} safe>
          {t('account.admin')}
        </a>
      ) : (
        ''
      )}
      <form hx-post="/logout" class="inline">
        <button type="submit" class="nav-link log-out" safe>
          {t('account.logOut')}
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
    <CardPage title={t('account.logIn')} heading={t('account.logIn')}>
      <p class="lead" safe>
        {t('account.lead')}
      </p>
      {p.noAdmin ? <Notice kind="info" message={t('account.noAdmin')} /> : ''}
      {p.error ? <Notice message={p.error} /> : ''}
      <form method="post" action="/login" class="stack-form">
        <input type="hidden" name="next" value={p.next} />
        <div class="field">
          <label for="email" safe>
            {t('account.email')}
          </label>
          <input id="email" name="email" type="email" autocomplete="username" required value={p.email ?? ''} />
        </div>
        <div class="field">
          <label for="password" safe>
            {t('account.password')}
          </label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="button primary wide" safe>
          {t('account.logIn')}
        </button>
      </form>
      {p.allowSignup ? (
        <p class="card-foot">
          {Html.escapeHtml(t('account.noAccount'))}{' '}
          <a href="/signup" safe>
            {t('account.signUp')}
          </a>
          .
        </p>
      ) : (
        ''
      )}
    </CardPage>
  );
}

export function SignupPage({ error, email, minPassword }: { error?: string; email?: string; minPassword: number }) {
  return (
    <CardPage title={t('account.signUp')} heading={t('account.createAccount')}>
      {error ? <Notice message={error} /> : ''}
      <form method="post" action="/signup" class="stack-form">
        <div class="field">
          <label for="email" safe>
            {t('account.email')}
          </label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} />
        </div>
        <div class="field">
          <label for="name" safe>
            {t('account.name')}
          </label>
          <input id="name" name="name" type="text" autocomplete="name" maxlength="80" />
        </div>
        <div class="field">
          <label for="password" safe>
            {t('account.password')}
          </label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={String(minPassword)}
          />
          <p class="help" safe>
            {t('account.atLeast', { min: minPassword })}
          </p>
        </div>
        <button type="submit" class="button primary wide" safe>
          {t('account.signUp')}
        </button>
      </form>
      <p class="card-foot">
        {Html.escapeHtml(t('account.haveAccount'))}{' '}
        <a href="/login" safe>
          {t('account.logIn')}
        </a>
        .
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
    <AppShell {...p.shell} title={t('account.title')} heading={t('account.yourAccount')} section="account">
      <div class="page">
        <section class="panel" aria-labelledby="who-heading">
          <h2 id="who-heading" safe>
            {t('account.profile')}
          </h2>
          <dl class="facts">
            <dt safe>{t('account.email')}</dt>
            <dd safe>{principal.user.email ?? principal.user.name}</dd>
            <dt safe>{t('account.role')}</dt>
            <dd safe>{t(principal.user.role === 'admin' ? 'role.admin' : 'role.member')}</dd>
            <dt safe>{t('account.collections')}</dt>
            <dd safe>
              {principal.collections === 'all'
                ? t('account.everyCollection')
                : p.collections.join(', ') || t('account.noCollections')}
            </dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="password-heading">
          <h2 id="password-heading" safe>
            {t('account.changePassword')}
          </h2>
          <form hx-post="/account/password" hx-target="#password-result" class="stack-form narrow">
            <div class="field">
              <label for="current" safe>
                {t('account.currentPassword')}
              </label>
              <input id="current" name="current" type="password" autocomplete="current-password" required />
            </div>
            <div class="field">
              <label for="next" safe>
                {t('account.newPassword')}
              </label>
              <input
                id="next"
                name="next"
                type="password"
                autocomplete="new-password"
                required
                minlength={String(p.minPassword)}
              />
              <p class="help" safe>
                {t('account.atLeastLogsOut', { min: p.minPassword })}
              </p>
            </div>
            <div>
              <button type="submit" class="button primary" safe>
                {t('account.changePassword')}
              </button>
            </div>
            <div id="password-result"></div>
          </form>
        </section>
        <section class="panel" aria-labelledby="tokens-heading">
          <h2 id="tokens-heading" safe>
            {t('account.tokens')}
          </h2>
          <p class="help">
            {Html.escapeHtml(t('account.tokensBefore'))} <code>Authorization: Bearer rc_…</code>{' '}
            {Html.escapeHtml(t('account.tokensAfter'))}
          </p>
          <form hx-post="/account/tokens" hx-target="#tokens" hx-swap="outerHTML" class="inline-form">
            <div class="field">
              <label for="token-name" safe>
                {t('account.name')}
              </label>
              <input
                id="token-name"
                name="name"
                type="text"
                maxlength="60"
                required
                placeholder={t('account.tokenPlaceholder')}
              />
            </div>
            <button type="submit" class="button primary" safe>
              {t('account.createToken')}
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
          <p safe>{t('account.copyToken')}</p>
          <code class="token" safe>
            {created}
          </code>
        </div>
      ) : (
        ''
      )}
      {tokens.length === 0 ? (
        <p class="empty" safe>
          {t('account.noTokens')}
        </p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th safe>{t('account.name')}</th>
              <th safe>{t('account.token')}</th>
              <th safe>{t('account.created')}</th>
              <th safe>{t('account.lastUsed')}</th>
              <th>
                <span class="visually-hidden" safe>
                  {t('account.actions')}
                </span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr>
                <TextCell label={t('account.name')} text={token.name} />
                <TextCell label={t('account.token')} text={token.hint} />
                <TextCell label={t('account.created')} text={tr().date(token.createdAt)} />
                <TextCell
                  label={t('account.lastUsed')}
                  text={token.lastUsedAt ? tr().dateTime(token.lastUsedAt) : t('account.never')}
                />
                <td class="actions">
                  <button
                    type="button"
                    class="button danger small"
                    aria-label={t('account.revokeLabel', { name: token.name })}
                    hx-delete={`/account/tokens/${token.id}`}
                    hx-target="#tokens"
                    hx-swap="outerHTML"
                    hx-confirm={t('account.revokeConfirm')}
                    safe
                  >
                    {t('account.revoke')}
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
