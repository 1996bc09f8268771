import { type AuthService, LOCAL_PRINCIPAL } from '../auth/auth-service.ts';
import type { Principal } from '../domain.ts';
import { AppError } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { hostOf, pathOf } from './request-path.ts';

export const SESSION_COOKIE = 'ragchat_session';

/** What the server knows about one request: its id (for logs) and who is asking. */
export interface RequestContext {
  id: string;
  startedAt: number;
  principal?: Principal;
  /** The client's address, as the trusted proxies say (see Forwarding). */
  address?: string;
  /** Served over HTTPS: decides both HSTS and the session cookie's `Secure` flag. */
  https?: boolean;
  /** The status an error or a refusal decided, for the access line (see error-responses.tsx). */
  status?: number;
}

const contexts = new WeakMap<Request, RequestContext>();

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Starts the context of a request; a well-formed incoming X-Request-Id (from the ALB) is kept. */
export function beginRequest(request: Request): RequestContext {
  const incoming = request.headers.get('x-request-id');
  const context = {
    id: incoming && REQUEST_ID.test(incoming) ? incoming : Bun.randomUUIDv7(),
    startedAt: performance.now(),
  };
  contexts.set(request, context);
  return context;
}

export function contextOf(request: Request): RequestContext | undefined {
  return contexts.get(request);
}

/** The authenticated principal of a request that passed the gate. */
export function principalOf(request: Request): Principal {
  const principal = contexts.get(request)?.principal;
  if (!principal) throw new AppError('unauthenticated', say('error.logIn'), 401);
  return principal;
}

/** Routes anyone may reach: the login and sign-up pages, the language picker, probes, static files and the API spec. */
export function isPublic(path: string): boolean {
  return (
    path === '/login' ||
    path === '/signup' ||
    // The language picker, on the login page too: it only sets a cookie.
    path === '/language' ||
    path === '/healthz' ||
    path === '/readyz' ||
    path === '/openapi.json' ||
    // Guarded by its own token (or not served at all): a scraper has no session.
    path === '/metrics' ||
    path.startsWith('/assets/')
  );
}

/**
 * The endpoints for other tools (an OpenAI-compatible client, an MCP client): personal API tokens
 * only, never the session cookie, so no web page can drive them with a logged-in browser.
 */
export function isIntegrationPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/mcp';
}

/**
 * Without accounts every request is the local user's, so the integration endpoints (which an
 * outside program calls, with no login) answer only on this machine: a server bound to 0.0.0.0
 * does not hand its documents to the network. Null when the request may go on.
 */
export function localOnlyProblem(path: string, authEnabled: boolean, address: string | undefined): string | null {
  if (authEnabled || !isIntegrationPath(path) || isLoopback(address)) return null;
  return 'Without accounts (AUTH_MODE=none) this endpoint answers only on this machine (127.0.0.1). Turn on accounts (AUTH_MODE=password) and use a personal API token to reach it from elsewhere.';
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Who is asking. Without accounts, always the local user. With them, an `Authorization: Bearer`
 * personal token (API and integration routes only), else the session cookie (not on the
 * integration routes); null when neither is valid.
 */
export async function authenticate(request: Request, auth: AuthService): Promise<Principal | null> {
  if (!auth.enabled) return LOCAL_PRINCIPAL;
  const path = pathOf(request);
  const authorization = request.headers.get('authorization');
  if (authorization) {
    // A bad token is a 401 even if a cookie is present: the caller meant the token.
    // A token is at most 100 characters: a longer header is refused before it is parsed.
    const bearer = authorization.length <= 120 ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
    return bearer && (path.startsWith('/api/') || isIntegrationPath(path)) ? auth.fromApiToken(bearer) : null;
  }
  if (isIntegrationPath(path)) return null;
  const token = cookieValue(request, SESSION_COOKIE);
  return token ? auth.fromSession(token) : null;
}

export function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie') ?? '';
  // Browsers send at most a few KB; a larger header is not ours to split.
  if (header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site request forgery defence for state-changing requests. A request a browser sends from
 * another site carries that site's Origin (or `Sec-Fetch-Site: cross-site`): refused in every
 * mode, so even a laptop's server cannot be driven by a web page. A request authenticated by the
 * session cookie must also prove it came from our own page: htmx's `HX-Request` header or the
 * session's CSRF token in `X-CSRF-Token`; a cross-site page cannot set either without a CORS
 * preflight, which this server never grants. Bearer tokens are not sent by browsers on their own.
 */
export function crossSiteProblem(request: Request, principal: Principal | null, publicOrigin?: string): string | null {
  if (!UNSAFE.has(request.method)) return null;
  const origin = request.headers.get('origin');
  const fetchSite = request.headers.get('sec-fetch-site');
  // The Host was checked against ALLOWED_HOSTS before this runs, so matching it means this site;
  // behind a proxy that rewrites Host, the configured PUBLIC_URL is this site too.
  const host = hostOf(request);
  let sameOrigin: boolean | null = null;
  if (origin && origin !== 'null') {
    try {
      const url = new URL(origin);
      sameOrigin = url.host === host?.toLowerCase() || url.origin === publicOrigin;
    } catch {
      sameOrigin = false;
    }
  } else if (origin === 'null') {
    sameOrigin = false;
  } else if (fetchSite) {
    sameOrigin = fetchSite === 'same-origin' || fetchSite === 'none';
  }
  if (sameOrigin === false) return 'This request came from another site and was refused.';
  if (principal?.via !== 'session') return null;
  if (sameOrigin === null) return 'This request did not say where it came from and was refused; reload the page.';
  const fromPage =
    request.headers.get('hx-request') === 'true' ||
    (principal.csrfToken !== undefined && request.headers.get('x-csrf-token') === principal.csrfToken);
  return fromPage ? null : 'This request is missing its CSRF token; reload the page and try again.';
}

/** The session cookie: HttpOnly, SameSite=Lax, Secure when the site is served over HTTPS. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** The same cookie, expired: the browser drops it. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', new Date(0), secure);
}
