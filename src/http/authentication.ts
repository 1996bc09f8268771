import { Elysia } from 'elysia';
import { type AuthService, requireAdmin } from '../auth/auth-service.ts';
import type { Principal } from '../domain.ts';
import { AppError, notFoundSaying } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { errorResponse } from './error-responses.tsx';
import { authenticate, contextOf, isIntegrationPath, isPublic, localOnlyProblem, principalOf } from './request-auth.ts';
import { pathOf } from './request-path.ts';

export const accountsOff = () => notFoundSaying(say('error.accountsOff'));

/**
 * Who is asking, decided before the body is read (an anonymous upload costs nothing): every path
 * but the public ones needs a session or a personal API token. Handlers get the principal as
 * `({ principal })`; routes that exist only with accounts (`{ accounts: true }`) or only for admins
 * (`{ admin: true }`) say so beside the route or on their group. Runs after `securityHeaders`.
 */
export function authentication(auth: AuthService) {
  return (
    new Elysia({ name: 'authentication' })
      .onRequest(async ({ request }) => {
        const path = pathOf(request);
        if (isPublic(path)) return;
        const principal = await authenticate(request, auth);
        if (!principal) return unauthenticated(request, path);
        const context = contextOf(request);
        if (context) context.principal = principal;
        // Without accounts, the OpenAI-compatible and MCP endpoints answer this machine only.
        const notHere = localOnlyProblem(path, auth.enabled, context?.address);
        if (notHere) throw new AppError('forbidden', notHere, 403);
      })
      // Typed as present: only the public routes (login, probes, assets) run without one, and they
      // do not read it.
      .resolve({ as: 'global' }, ({ request }) => ({ principal: contextOf(request)?.principal as Principal }))
      .macro({
        accounts: {
          beforeHandle() {
            if (!auth.enabled) throw accountsOff();
          },
        },
        admin: {
          beforeHandle({ request }) {
            // AUTH_MODE=none has no one to manage: the admin pages do not exist there.
            if (!auth.enabled) throw accountsOff();
            requireAdmin(principalOf(request));
          },
        },
      })
  );
}

/**
 * Not logged in: the API answers 401 (with the Bearer challenge); htmx is told to go to the login
 * page; a page request is redirected there, coming back afterwards.
 */
async function unauthenticated(request: Request, path: string): Promise<Response> {
  if (path.startsWith('/api/') || isIntegrationPath(path)) {
    const response = await errorResponse(
      request,
      401,
      'unauthenticated',
      'Log in, or send a personal API token as "Authorization: Bearer rc_…".',
    );
    response.headers.set('www-authenticate', 'Bearer realm="ragchat"');
    return response;
  }
  if (request.headers.get('hx-request')) {
    const response = await errorResponse(request, 401, 'unauthenticated', say('error.sessionEnded'));
    response.headers.set('hx-redirect', '/login');
    return response;
  }
  if (request.method === 'GET') {
    const next = path === '/' ? '' : `?next=${encodeURIComponent(path)}`;
    return new Response(null, { status: 303, headers: { location: `/login${next}` } });
  }
  return errorResponse(request, 401, 'unauthenticated', say('error.logIn'));
}
