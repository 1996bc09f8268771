import { html } from '@elysiajs/html';
import { openapi } from '@elysiajs/openapi';
import { staticPlugin } from '@elysiajs/static';
import { Elysia } from 'elysia';
import { Notice } from '../views/chat.tsx';
import { ErrorPage } from '../views/error-page.tsx';
import { apiRoutes } from './chat/api-routes.ts';
import { pageRoutes } from './chat/page-routes.tsx';
import type { AppDeps } from './deps.ts';
import { LOCAL_USER } from './deps.ts';
import { docsApiRoutes } from './docs/docs-api-routes.ts';
import { docsPageRoutes } from './docs/docs-page-routes.tsx';
import { AppError } from './errors.ts';
import { RateLimiter } from './http/rate-limiter.ts';

/** The largest request body accepted; a question is at most a few KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface AppOptions {
  /** Folder served at /assets. @default 'assets' */
  assetsDir?: string;
}

/**
 * Builds the HTTP app from its dependencies; it opens no port (tests call `app.handle`).
 * One error handler turns every failure into a sentence for a person: JSON under /api, an HTML
 * fragment for htmx requests, a page otherwise. Unexpected errors are logged, never shown.
 */
export function createApp(deps: AppDeps, options: AppOptions = {}) {
  const { limits, trustProxy } = deps.config;
  const limiters = {
    chat: new RateLimiter(limits.chatPerMinute),
    upload: new RateLimiter(limits.uploadsPerMinute),
  };
  return (
    new Elysia()
      .use(html({ autoDetect: true, autoDoctype: false }))
      .use(staticPlugin({ assets: options.assetsDir ?? 'assets', prefix: '/assets', alwaysStatic: false }))
      .onError(async ({ code, error, request }) => {
        const { status, errorCode, message } = describe(code, error);
        if (status >= 500)
          deps.logger.error('request failed', {
            method: request.method,
            path: new URL(request.url).pathname,
            error: error as Error,
          });
        return errorResponse(request, status, errorCode, message);
      })
      // Checked before the body is read, so an oversized upload costs nothing.
      .onRequest(({ request, set, server }) => {
        Object.assign(set.headers, securityHeaders(request));
        const limited = rateLimit(request, server?.requestIP(request)?.address ?? 'unknown', trustProxy, limiters);
        if (limited) return limited;
        const length = Number(request.headers.get('content-length') ?? 0);
        const limit = bodyLimit(new URL(request.url).pathname, deps.config.uploads.maxBytes);
        if (length > limit) {
          const mb = Math.round((limit / 1024 / 1024) * 10) / 10;
          return errorResponse(request, 413, 'too_large', `The request is too large: ${mb} MB at most.`);
        }
      })
      .use(
        // The spec only (no UI: the UIs load their bundles from a CDN, and ragchat works offline).
        openapi({
          provider: null,
          specPath: '/openapi.json',
          documentation: {
            info: { title: 'ragchat API', version: '1', description: 'Chat with your documents. See the README.' },
          },
          // The page's hypermedia endpoints are not an API; only /api and the probes are documented.
          exclude: { paths: ['/', '/docs', /^\/(c|chat|assets|docs)\//, '/api/*'], staticFile: true },
        }),
      )
      .get('/healthz', () => ({ status: 'ok' }))
      .get('/readyz', async ({ set }) => {
        const checks = await deps.readiness();
        const ready = checks.every((c) => c.ok);
        if (!ready) set.status = 503;
        return { status: ready ? 'ready' : 'unavailable', checks };
      })
      .use(docsApiRoutes(deps))
      .use(apiRoutes(deps))
      .use(docsPageRoutes(deps))
      .use(pageRoutes(deps))
  );
}

/**
 * Sent with every answer. The page runs no inline script and loads everything from itself, so the
 * policy can be strict; htmx evaluates no attribute code here (no hx-on, no js: values).
 */
export function securityHeaders(request: Request): Record<string, string> {
  const https = new URL(request.url).protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
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

const RATE_LIMITED: Record<string, 'chat' | 'upload'> = {
  'POST /api/chat': 'chat',
  'POST /chat/messages': 'chat',
  'POST /api/docs/upload': 'upload',
  'POST /docs/upload': 'upload',
};

/**
 * Questions and uploads are limited per user and per client address (token buckets): a 429 with
 * Retry-After and a sentence. Behind a load balancer (TRUST_PROXY), the address is the last one
 * the balancer appended to X-Forwarded-For; the first entries are whatever the client claimed.
 */
function rateLimit(
  request: Request,
  socketAddress: string,
  trustProxy: boolean,
  limiters: Record<'chat' | 'upload', RateLimiter>,
): Promise<Response> | undefined {
  const kind = RATE_LIMITED[`${request.method} ${new URL(request.url).pathname}`];
  if (!kind) return undefined;
  const forwarded = request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim();
  const address = trustProxy && forwarded ? forwarded : socketAddress;
  for (const key of [`user:${LOCAL_USER.id}`, `ip:${address}`]) {
    const taken = limiters[kind].take(key);
    if (!taken.ok) {
      const what = kind === 'chat' ? 'questions' : 'uploads';
      return withHeader(
        errorResponse(
          request,
          429,
          'rate_limited',
          `Too many ${what} in a short time; try again in ${taken.retryAfterSeconds} s.`,
        ),
        'retry-after',
        String(taken.retryAfterSeconds),
      );
    }
  }
  return undefined;
}

async function withHeader(response: Promise<Response>, name: string, value: string): Promise<Response> {
  const r = await response;
  r.headers.set(name, value);
  return r;
}

/** Uploads may be as large as the upload limit (plus the multipart framing); the rest 1 MB. */
export function bodyLimit(path: string, uploadMaxBytes: number): number {
  return path === '/api/docs/upload' || path === '/docs/upload' ? uploadMaxBytes + 64 * 1024 : MAX_BODY_BYTES;
}

/** JSON under /api and for the probes; an htmx fragment or a whole page otherwise. */
async function errorResponse(request: Request, status: number, code: string, message: string): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path.startsWith('/api/') || path === '/healthz' || path === '/readyz' || path === '/openapi.json') {
    return Response.json({ error: { code, message } }, { status });
  }
  const body = request.headers.get('hx-request') ? (
    <Notice message={message} />
  ) : (
    <ErrorPage status={status} message={message} />
  );
  return new Response(await body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

function describe(code: string | number, error: unknown): { status: number; errorCode: string; message: string } {
  if (error instanceof AppError) return { status: error.status, errorCode: error.code, message: error.message };
  switch (code) {
    case 'PARSE':
      return {
        status: 400,
        errorCode: 'invalid_body',
        message: 'The request body could not be read. Send JSON like {"message": "your question"}, or a form.',
      };
    case 'VALIDATION':
      return {
        status: 400,
        errorCode: 'invalid_input',
        message: 'Some fields of the request are missing or have the wrong type.',
      };
    case 'NOT_FOUND':
      return { status: 404, errorCode: 'not_found', message: 'There is nothing at this address.' };
    case 'INVALID_COOKIE_SIGNATURE':
      return {
        status: 400,
        errorCode: 'invalid_cookie',
        message: 'A cookie was tampered with; clear cookies and retry.',
      };
    default:
      return {
        status: 500,
        errorCode: 'internal',
        message: 'Something went wrong on our side. The error was logged; please try again.',
      };
  }
}
