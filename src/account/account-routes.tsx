import { Elysia } from 'elysia';
import { AccountPage, LoginPage, SignupPage, TokenList } from '../../views/account.tsx';
import { Notice } from '../../views/chat.tsx';
import type { AppDeps } from '../deps.ts';
import { MIN_PASSWORD_CHARS } from '../domain.ts';
import { AppError, notFoundSaying } from '../errors.ts';
import { authenticate, clearedSessionCookie, contextOf, sessionCookie } from '../http/request-auth.ts';
import { routeRules } from '../http/route-rules.ts';
import { errorText, t } from '../i18n/request-locale.ts';
import { say } from '../i18n/translator.ts';
import { shellData } from '../shell-data.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

/** Only a path on this site: `//evil.example` or `https://…` would make the login an open redirect. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && value.length < 500 && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

/** Log in, sign up, log out, and the account page (password, personal API tokens). */
export function authRoutes(deps: AppDeps) {
  const { auth } = deps;
  // Decided once per request, with HSTS (see app.tsx): a client's own X-Forwarded-Proto never counts.
  const secure = (request: Request) => contextOf(request)?.https === true;

  const loginPage = async (props: { next: string; email?: string; error?: string }) => (
    <LoginPage {...props} allowSignup={auth.options.allowSignup} noAdmin={!(await auth.hasAdmin())} />
  );

  return new Elysia({ name: 'auth-routes' })
    .use(routeRules(deps))
    .get('/login', async ({ request, query, set }) => {
      if (!auth.enabled || (await authenticate(request, auth))) return redirect(safeNext(query.next));
      set.headers['content-type'] = HTML_TYPE;
      return loginPage({ next: safeNext(query.next) });
    })
    .post(
      '/login',
      async ({ body, request, set }) => {
        const form = (body ?? {}) as Record<string, unknown>;
        const next = safeNext(form.next);
        const email = typeof form.email === 'string' ? form.email.slice(0, 200) : '';
        let session: Awaited<ReturnType<typeof auth.login>>;
        try {
          session = await auth.login(form.email, form.password);
        } catch (error) {
          // Throttled: the same page, with when to try again.
          if (!(error instanceof AppError) || error.status !== 429) throw error;
          deps.logger.warn('login throttled', { requestId: contextOf(request)?.id });
          set.status = 429;
          set.headers['content-type'] = HTML_TYPE;
          set.headers['retry-after'] = String(error.retryAfterSeconds ?? 1);
          return loginPage({ next, email, error: errorText(error) });
        }
        if (!session) {
          // Neither which part was wrong nor the email goes into the log: only that it happened.
          deps.logger.warn('login failed', { requestId: contextOf(request)?.id });
          set.status = 401;
          set.headers['content-type'] = HTML_TYPE;
          return loginPage({ next, email, error: t('error.login.wrong') });
        }
        return redirect(next, sessionCookie(session.token, session.expiresAt, secure(request)));
      },
      { accounts: true, rateLimit: 'login' },
    )
    .get('/signup', ({ set }) => {
      if (!auth.enabled || !auth.options.allowSignup) {
        throw notFoundSaying(say('error.signup.off'));
      }
      set.headers['content-type'] = HTML_TYPE;
      return <SignupPage minPassword={MIN_PASSWORD_CHARS} />;
    })
    .post(
      '/signup',
      async ({ body, request, set }) => {
        if (!auth.enabled || !auth.options.allowSignup) {
          throw notFoundSaying(say('error.signup.off'));
        }
        const form = (body ?? {}) as Record<string, unknown>;
        try {
          const session = await auth.signup({ email: form.email, name: form.name, password: form.password });
          return redirect('/', sessionCookie(session.token, session.expiresAt, secure(request)));
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          set.status = error.status;
          set.headers['content-type'] = HTML_TYPE;
          return (
            <SignupPage
              minPassword={MIN_PASSWORD_CHARS}
              error={errorText(error)}
              email={typeof form.email === 'string' ? form.email.slice(0, 200) : ''}
            />
          );
        }
      },
      { rateLimit: 'login' },
    )
    .post(
      '/logout',
      async ({ principal, request, set }) => {
        await auth.logout(principal);
        const cleared = clearedSessionCookie(secure(request));
        if (request.headers.get('hx-request')) {
          set.headers['set-cookie'] = cleared;
          set.headers['hx-redirect'] = '/login';
          return '';
        }
        return redirect('/login', cleared);
      },
      { accounts: true },
    )
    .get(
      '/account',
      async ({ principal, set }) => {
        set.headers['content-type'] = HTML_TYPE;
        return (
          <AccountPage
            shell={await shellData(deps, principal)}
            tokens={await auth.listApiTokens(principal)}
            collections={principal.collections === 'all' ? [] : [...principal.collections]}
            minPassword={MIN_PASSWORD_CHARS}
          />
        );
      },
      { accounts: true },
    )
    .post(
      '/account/password',
      async ({ principal, body, set }) => {
        const form = (body ?? {}) as Record<string, unknown>;
        await auth.changePassword(principal, form.current, form.next);
        set.headers['content-type'] = HTML_TYPE;
        return <Notice kind="success" message={t('account.passwordChanged')} />;
      },
      { accounts: true },
    )
    .post(
      '/account/tokens',
      async ({ principal, body, set }) => {
        const { token } = await auth.createApiToken(principal, (body as Record<string, unknown> | null)?.name);
        set.headers['content-type'] = HTML_TYPE;
        // Never cached anywhere: this response is the only place the token's value ever appears.
        set.headers['cache-control'] = 'no-store';
        return <TokenList tokens={await auth.listApiTokens(principal)} created={token} />;
      },
      { accounts: true },
    )
    .delete(
      '/account/tokens/:id',
      async ({ principal, params, set }) => {
        await auth.revokeApiToken(principal, params.id);
        set.headers['content-type'] = HTML_TYPE;
        return <TokenList tokens={await auth.listApiTokens(principal)} />;
      },
      { accounts: true },
    )
    .get('/api/me', ({ principal }) => {
      const { user, collections } = principal;
      return { id: user.id, email: user.email, name: user.name, role: user.role, collections };
    });
}

function redirect(location: string, cookie?: string): Response {
  const headers = new Headers({ location });
  if (cookie) headers.set('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}
