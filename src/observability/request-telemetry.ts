import { context } from '@opentelemetry/api';
import { Elysia } from 'elysia';
import { contextOf, type RequestContext } from '../http/request-auth.ts';
import { pathOf } from '../http/request-path.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';
import { failSpan, type Telemetry } from './telemetry.ts';

export interface RequestTelemetryOptions {
  telemetry: Telemetry;
  logger: Logger;
  /** The app's routes, to label a request refused before routing (a 429, a 401) by its route. */
  routes: () => readonly { path: string }[];
}

/**
 * One server span per request, active while it is handled, so everything the request does (an
 * answer written after the response included) joins its trace; for a stream the span ends with
 * the response head, the answer's own spans go on under it. Then one access line and one count per
 * request, refusals included.
 */
export function requestTelemetry({ telemetry, logger, routes }: RequestTelemetryOptions) {
  let fixedRoutes: Set<string> | null = null;
  const routeOf = (request: Request, route: string | undefined): string => {
    if (route && route !== '/*') return route;
    fixedRoutes ??= new Set(
      routes()
        .map((r) => r.path)
        .filter((p) => !/[:*]/.test(p)),
    );
    const path = pathOf(request);
    return fixedRoutes.has(path) ? path : 'unmatched';
  };
  return new Elysia({ name: 'request-telemetry' })
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
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue, route }) => {
      const requestContext = contextOf(request);
      // A handler that returns its own Response (redirects, SSE, refusals) carries its status there.
      const status = responseValue instanceof Response ? responseValue.status : (requestContext?.status ?? set.status);
      logRequest(logger, request, requestContext, status);
      countRequest(telemetry.metrics, request, routeOf(request, route), status, requestContext);
    });
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
function logRequest(logger: Logger, request: Request, context: RequestContext | undefined, status: unknown): void {
  const path = pathOf(request);
  const code = typeof status === 'number' ? status : 200;
  if ((path.startsWith('/assets/') || path === '/healthz') && code < 500) return;
  // A 5xx is an error line, seen at LOG_LEVEL=warn too, with its request id.
  logger[code >= 500 ? 'error' : 'info']('request', {
    requestId: context?.id,
    method: request.method,
    path,
    status: code,
    ms: context ? Math.round(performance.now() - context.startedAt) : undefined,
    user: context?.principal?.user.id,
  });
}
