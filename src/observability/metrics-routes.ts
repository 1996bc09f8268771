import { timingSafeEqual } from 'node:crypto';
import { Elysia } from 'elysia';
import type { Config } from '../config.ts';
import { pathOf } from '../http/request-path.ts';
import type { Telemetry } from './telemetry.ts';

/**
 * `GET /metrics` in the Prometheus text format, on the main port when allowed: with
 * `METRICS_TOKEN`, to a scraper sending it as a Bearer token; without accounts and without a
 * token, to anyone who reaches the (by default loopback-only) port. With accounts on and no token
 * it is not served here at all (a 404, as for any unknown path): use `METRICS_PORT`.
 */
export function metricsRoutes(telemetry: Telemetry, access: Config['metrics']) {
  const app = new Elysia({ name: 'ragchat.metrics' });
  if (!access.token && !access.open) return app;
  return app.get('/metrics', async ({ request }) => {
    if (access.token && !bearerMatches(request, access.token)) {
      return Response.json(
        {
          error: {
            code: 'unauthenticated',
            message: 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".',
          },
        },
        { status: 401, headers: { 'www-authenticate': 'Bearer realm="ragchat-metrics"' } },
      );
    }
    return metricsResponse(telemetry);
  });
}

export async function metricsResponse(telemetry: Telemetry): Promise<Response> {
  const { body, contentType } = await telemetry.metrics.render();
  return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
}

/**
 * A second listener for `METRICS_PORT` that serves `/metrics` and nothing else, for a scraper
 * inside the network (a security group or a compose network keeps it private). No token needed:
 * reaching the port is the permission.
 */
export function startMetricsListener(
  telemetry: Telemetry,
  port: number,
  hostname: string,
): { stop(): void; port: number } {
  const server = Bun.serve({
    port,
    hostname,
    fetch: (request) =>
      pathOf(request) === '/metrics' && request.method === 'GET'
        ? metricsResponse(telemetry)
        : new Response('Only GET /metrics is served on this port.\n', { status: 404 }),
  });
  return { stop: () => void server.stop(true), port: server.port ?? port };
}

/**
 * The credentials of `Authorization: Bearer <token>`, trimmed; '' when there are none. By hand,
 * not /^Bearer\s+(.+)$/i: its `\s+` and `.+` both take spaces and backtrack quadratically.
 */
function bearerToken(header: string, expectedLength: number): string {
  // Far longer than the token it could match: not worth looking at.
  if (header.length > expectedLength + 1024) return '';
  const rest = header.slice('bearer'.length);
  if (header.slice(0, 'bearer'.length).toLowerCase() !== 'bearer' || rest.trimStart() === rest) return '';
  return rest.trim();
}

/** Compared in constant time: the token is a secret. */
function bearerMatches(request: Request, token: string): boolean {
  const sent = bearerToken(request.headers.get('authorization') ?? '', token.length);
  const a = Buffer.from(sent);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
