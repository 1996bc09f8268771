import { html } from '@elysiajs/html';
import { openapi } from '@elysiajs/openapi';
import { staticPlugin } from '@elysiajs/static';
import { context } from '@opentelemetry/api';
import { Elysia } from 'elysia';
import { Notice } from '../views/chat.tsx';
import { ErrorPage } from '../views/error-page.tsx';
import { adminRoutes } from './admin/admin-routes.tsx';
import { authRoutes } from './auth/auth-routes.tsx';
import {
  authenticate,
  beginRequest,
  contextOf,
  crossSiteProblem,
  isPublic,
  type RequestContext,
} from './auth/request-auth.ts';
import { apiRoutes } from './chat/api-routes.ts';
import { pageRoutes } from './chat/page-routes.tsx';
import type { AppDeps } from './deps.ts';
import { docsApiRoutes } from './docs/docs-api-routes.ts';
import { docsPageRoutes } from './docs/docs-page-routes.tsx';
import type { Principal } from './domain.ts';
import { AppError } from './errors.ts';
import type { Coordinator, RateDecision, RateKind } from './fleet/coordinator.ts';
import { connectionLimits } from './http/connection-limits.ts';
import { Forwarding } from './http/forwarding.ts';
import { HostPolicy, hostnameOf } from './http/host-policy.ts';
import { hostOf, pathOf } from './http/request-path.ts';
import { languageRoutes } from './i18n/language-routes.ts';
import { requestLocale } from './i18n/locale.ts';
import { inLocale, tr } from './i18n/request-locale.ts';
import { type Said, say } from './i18n/translator.ts';
import type { Metrics } from './observability/metrics.ts';
import { metricsRoutes } from './observability/metrics-routes.ts';
import { failSpan } from './observability/telemetry.ts';
import { shippedPath } from './shipped-files.ts';

/** The largest request body accepted; a question is at most a few KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface AppOptions {
  /** Folder served at /assets. @default the shipped `assets/` (the checkout's, or the binary's embedded copy) */
  assetsDir?: string;
}

/**
 * Builds the HTTP app from its dependencies; it opens no port (tests call `app.handle`).
 * One error handler turns every failure into a sentence for a person: JSON under /api, an HTML
 * fragment for htmx requests, a page otherwise. Unexpected errors are logged, never shown.
 */
export function createApp(deps: AppDeps, options: AppOptions = {}) {
  const { limits } = deps.config;
  const forwarding = new Forwarding(deps.config.trustProxy);
  const hosts = new HostPolicy(deps.config.allowedHosts);
  const perMinute: Record<RateKind, number> = {
    chat: limits.chatPerMinute,
    upload: limits.uploadsPerMinute,
    login: deps.config.auth.loginsPerMinute,
  };
  const { telemetry } = deps;
  // Routes without parameters, to label requests refused before routing (a 429, a 401) by route.
  let fixedRoutes: Set<string> | null = null;
  const routeOf = (request: Request, route: string | undefined): string => {
    if (route && route !== '/*') return route;
    fixedRoutes ??= new Set(app.routes.map((r) => r.path).filter((p) => !/[:*]/.test(p)));
    const path = pathOf(request);
    return fixedRoutes.has(path) ? path : 'unmatched';
  };
  /** Runs before the body is read: an anonymous or oversized upload costs nothing. */
  const admit = async (
    request: Request,
    set: { headers: Record<string, string | number> },
    server: { requestIP(request: Request): { address: string } | null } | null,
  ): Promise<Response | undefined> => {
    const context = beginRequest(request);
    const socketAddress = server?.requestIP(request)?.address;
    context.address = forwarding.clientAddress(request, socketAddress ?? 'unknown');
    context.https = forwarding.isHttps(request, socketAddress);
    set.headers['x-request-id'] = context.id;
    Object.assign(set.headers, securityHeaders(context.https));
    // Before anything else: a Host that cannot be parsed, or a name this server does not answer
    // to (a DNS-rebinding page), is refused in plain text; no route, page or session is touched.
    const hostProblem = badHost(request, hosts);
    if (hostProblem) return plainRefusal(hostProblem.status, hostProblem.message, set.headers);
    const path = pathOf(request);
    let principal: Principal | null = null;
    if (!isPublic(path)) {
      principal = await authenticate(request, deps.auth);
      if (!principal) return withHeader(unauthenticated(request, path), 'x-request-id', context.id);
      context.principal = principal;
    }
    const crossSite = crossSiteProblem(request, principal, deps.config.publicOrigin);
    if (crossSite) return errorResponse(request, 403, 'cross_site', crossSite);
    const limited = rateLimit(
      request,
      path,
      context.address,
      principal,
      deps.coordinator,
      perMinute,
      telemetry.metrics,
    );
    if (limited) return await limited;
    const length = Number(request.headers.get('content-length') ?? 0);
    const limit = bodyLimit(path, deps.config.uploads.maxBytes);
    if (length > limit) {
      const megabytes = Math.round((limit / 1024 / 1024) * 10) / 10;
      return errorResponse(request, 413, 'too_large', say('error.tooLarge', { megabytes }));
    }
    return undefined;
  };
  const app = new Elysia()
    // One server span per request, active while it is handled, so everything the request does
    // (an answer written after the response included) joins its trace. For a stream the span
    // ends with the response head; the answer's own spans go on under it.
    .wrap(
      (handle, request) =>
        ((...args: unknown[]) => {
          const started = telemetry.startRequest(request, pathOf(request));
          if (!started) return handle(...args);
          return context.with(started.ctx, async () => {
            try {
              const response = (await handle(...args)) as unknown;
              if (response instanceof Response) {
                started.span.setAttribute('http.response.status_code', response.status);
                if (response.status >= 500) failSpan(started.span, `http_${response.status}`);
              }
              return response;
            } catch (error) {
              failSpan(started.span, error);
              throw error;
            } finally {
              started.span.end();
            }
          });
        }) as ReturnType<typeof handle>,
    )
    // The reader's language, for everything the request renders (views, error pages, streams).
    .wrap(
      (handle, request) =>
        ((...args: unknown[]) =>
          inLocale(requestLocale(request, deps.config.defaultLanguage), () => handle(...args))) as ReturnType<
          typeof handle
        >,
    )
    .use(html({ autoDetect: true, autoDoctype: false }))
    // The error handler never throws: if rendering the error fails too, a plain sentence goes out
    // (Bun would otherwise answer with its own page).
    .onError(async ({ code, error, request, set }) => {
      const requestId = contextOf(request)?.id;
      try {
        const { status, errorCode, message } = describe(code, error);
        if (status >= 500)
          deps.logger.error('request failed', { requestId, method: request.method, path: pathOf(request), error });
        const response = await withHeader(
          errorResponse(request, status, errorCode, message, status >= 500 ? requestId : undefined),
          'x-request-id',
          requestId ?? '',
        );
        if (error instanceof AppError && error.retryAfterSeconds)
          response.headers.set('retry-after', String(error.retryAfterSeconds));
        return response;
      } catch (failure) {
        deps.logger.error('the error handler failed', { requestId, error: failure, cause: error });
        return plainRefusal(500, 'Something went wrong on our side. The error was logged; please try again.', {
          ...securityHeaders(false),
          ...(set.headers as Record<string, string>),
        });
      }
    })
    // After the error handler, so that a missing file gets the app's own 404.
    .use(staticPlugin({ assets: options.assetsDir ?? shippedPath('assets'), prefix: '/assets', alwaysStatic: true }))
    .onRequest(async ({ request, set, server }) => {
      const refused = await admit(request, set, server);
      // A request refused here never reaches a route, and Elysia runs no after-response hook for
      // it: its access line and its count are written here.
      if (refused) {
        const context = contextOf(request);
        logRequest(deps, request, context, refused.status);
        countRequest(telemetry.metrics, request, routeOf(request, undefined), refused.status, context);
      }
      return refused;
    })
    // After admit(): a request refused there is never counted.
    .use(
      connectionLimits({
        ...deps.config.connections,
        isUpload: (path) => bodyLimit(path, deps.config.uploads.maxBytes) > MAX_BODY_BYTES,
        // The address admission resolved (TRUST_PROXY), so the cap and the rate limits agree.
        addressOf: (request, socketAddress) => contextOf(request)?.address ?? socketAddress,
      }),
    )
    .use(
      // The spec only (no UI: the UIs load their bundles from a CDN, and ragchat works offline).
      openapi({
        provider: null,
        specPath: '/openapi.json',
        documentation: {
          info: { title: 'ragchat API', version: '1', description: 'Chat with your documents. See the README.' },
        },
        // The page's hypermedia endpoints are not an API; only /api and the probes are documented.
        exclude: {
          paths: [
            '/',
            '/docs',
            '/account',
            '/admin',
            '/login',
            '/logout',
            '/signup',
            '/language',
            /^\/(c|chat|assets|docs|account|admin)\//,
            '/api/*',
          ],
          staticFile: true,
        },
      }),
    )
    .get('/healthz', () => ({ status: 'ok' }))
    .get('/readyz', async ({ set }) => {
      // Draining on SIGTERM: the load balancer must stop sending questions this instance refuses.
      if (deps.chat.draining) {
        set.status = 503;
        return {
          status: 'draining',
          checks: [{ name: 'draining', ok: false, error: 'This instance is shutting down; answers in flight finish.' }],
        };
      }
      const checks = await deps.readiness();
      const ready = checks.every((c) => c.ok);
      if (!ready) set.status = 503;
      return { status: ready ? 'ready' : 'unavailable', checks };
    })
    .onAfterResponse(({ request, set, responseValue, route }) => {
      // A handler that returns its own Response (redirects, SSE) carries its status there.
      const status = responseValue instanceof Response ? responseValue.status : set.status;
      const context = contextOf(request);
      logRequest(deps, request, context, status);
      countRequest(telemetry.metrics, request, routeOf(request, route), status, context);
    })
    .use(metricsRoutes(telemetry, deps.config.metrics))
    .use(languageRoutes())
    .use(authRoutes(deps))
    .use(adminRoutes(deps))
    .use(docsApiRoutes(deps))
    .use(apiRoutes(deps))
    .use(docsPageRoutes(deps))
    .use(pageRoutes(deps));
  return app;
}

/** Requests by route pattern (never the path: ids would make a series per conversation). */
function countRequest(
  metrics: Metrics,
  request: Request,
  route: string,
  status: unknown,
  context: RequestContext | undefined,
): void {
  const labels = { method: request.method, route, status: String(typeof status === 'number' ? status : 200) };
  metrics.httpRequests.inc(labels);
  if (context) metrics.httpDuration.observe(labels, (performance.now() - context.startedAt) / 1000);
}

/** One access line per request: no query string, no header, no body (they may hold secrets). */
function logRequest(deps: AppDeps, request: Request, context: RequestContext | undefined, status: unknown): void {
  const path = pathOf(request);
  const code = typeof status === 'number' ? status : 200;
  if ((path.startsWith('/assets/') || path === '/healthz') && code < 500) return;
  // A 5xx is an error line, seen at LOG_LEVEL=warn too, with its request id.
  deps.logger[code >= 500 ? 'error' : 'info']('request', {
    requestId: context?.id,
    method: request.method,
    path,
    status: code,
    ms: context ? Math.round(performance.now() - context.startedAt) : undefined,
    user: context?.principal?.user.id,
  });
}

/**
 * Not logged in: the API answers 401 (with the Bearer challenge); htmx is told to go to the login
 * page; a page request is redirected there, coming back afterwards.
 */
async function unauthenticated(request: Request, path: string): Promise<Response> {
  if (path.startsWith('/api/')) {
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

/**
 * Sent with every answer. The page runs no inline script and loads everything from itself, so the
 * policy can be strict; htmx evaluates no attribute code here (no hx-on, no js: values).
 */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/** Why a request's Host is refused, or null when this server answers to it. */
function badHost(request: Request, hosts: HostPolicy): { status: number; message: string } | null {
  const name = hostnameOf(hostOf(request));
  if (name === null) return { status: 400, message: 'The request has a missing or malformed Host header.' };
  if (!hosts.allowsName(name)) {
    return {
      status: 421,
      message:
        `This server does not answer to the name ${JSON.stringify(name)}. ` +
        'If you run it and meant to reach it by that name, add the name to ALLOWED_HOSTS (or set PUBLIC_URL).',
    };
  }
  return null;
}

/** A refusal in plain text, with the security headers: nothing of the app is rendered for it. */
function plainRefusal(status: number, message: string, headers: Record<string, string | number>): Response {
  const response = new Response(`${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, String(value));
  return response;
}

const RATE_LIMITED: Record<string, RateKind> = {
  'POST /api/chat': 'chat',
  'POST /chat/messages': 'chat',
  'POST /api/docs/upload': 'upload',
  'POST /docs/upload': 'upload',
  // Password guessing: per client address (the body, with the email, is not read yet).
  'POST /login': 'login',
  'POST /signup': 'login',
};

/**
 * Questions and uploads are limited per user and per client address, logins per client address
 * (token buckets, shared by the fleet with Postgres): a 429 with Retry-After and a sentence.
 * Undefined, without a promise, for a request that is not limited or (in process) not refused.
 */
function rateLimit(
  request: Request,
  path: string,
  address: string,
  principal: Principal | null,
  coordinator: Coordinator,
  perMinute: Record<RateKind, number>,
  metrics: Metrics,
): Promise<Response | undefined> | undefined {
  const kind = RATE_LIMITED[`${request.method} ${path}`];
  if (!kind) return undefined;
  const keys = principal ? [`user:${principal.user.id}`, `ip:${address}`] : [`ip:${address}`];
  const refuse = (taken: RateDecision): Promise<Response> | undefined => {
    if (taken.ok) return undefined;
    metrics.rateLimited.inc({ limit: kind });
    const sentence = (
      { chat: 'error.tooManyQuestions', upload: 'error.tooManyUploads', login: 'error.tooManyLogins' } as const
    )[kind];
    return withHeader(
      errorResponse(request, 429, 'rate_limited', say(sentence, { seconds: taken.retryAfterSeconds })),
      'retry-after',
      String(taken.retryAfterSeconds),
    );
  };
  const taken = coordinator.takeRate(kind, keys, perMinute[kind]);
  return taken instanceof Promise ? taken.then(refuse) : refuse(taken);
}

async function withHeader(response: Promise<Response>, name: string, value: string): Promise<Response> {
  const r = await response;
  if (value) r.headers.set(name, value);
  return r;
}

/** Uploads may be as large as the upload limit (plus the multipart framing); the rest 1 MB. */
export function bodyLimit(path: string, uploadMaxBytes: number): number {
  return path === '/api/docs/upload' || path === '/docs/upload' ? uploadMaxBytes + 64 * 1024 : MAX_BODY_BYTES;
}

/**
 * JSON under /api and for the probes, in English (clients switch on `code`); an htmx fragment or a
 * whole page otherwise, in the reader's language when the sentence has a catalog key. A 5xx names
 * its request id, so a report can be matched with the log line.
 */
async function errorResponse(
  request: Request,
  status: number,
  code: string,
  said: string | Said,
  requestId?: string,
): Promise<Response> {
  const path = pathOf(request);
  if (path.startsWith('/api/') || path === '/healthz' || path === '/readyz' || path === '/openapi.json') {
    const english = typeof said === 'string' ? said : said.text;
    const message = requestId ? say('error.requestId', { message: english, id: requestId }).text : english;
    return Response.json({ error: { code, message } }, { status });
  }
  const t = tr();
  const sentence = typeof said === 'string' ? said : t.t(said.key, said.params);
  const message = requestId ? t.t('error.requestId', { message: sentence, id: requestId }) : sentence;
  const body = request.headers.get('hx-request') ? (
    <Notice message={message} />
  ) : (
    <ErrorPage status={status} message={message} />
  );
  return new Response(await body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

function describe(
  code: string | number,
  error: unknown,
): { status: number; errorCode: string; message: string | Said } {
  if (error instanceof AppError) {
    const { key, params } = error;
    return {
      status: error.status,
      errorCode: error.code,
      message: key ? { key, params, text: error.message } : error.message,
    };
  }
  switch (code) {
    case 'PARSE':
      return {
        status: 400,
        errorCode: 'invalid_body',
        message: say('error.body'),
      };
    case 'VALIDATION':
      return {
        status: 400,
        errorCode: 'invalid_input',
        message: say('error.fields'),
      };
    case 'NOT_FOUND':
      return { status: 404, errorCode: 'not_found', message: say('error.nothingHere') };
    case 'INVALID_COOKIE_SIGNATURE':
      return {
        status: 400,
        errorCode: 'invalid_cookie',
        message: say('error.cookie'),
      };
    default:
      return { status: 500, errorCode: 'internal', message: say('error.internal') };
  }
}
