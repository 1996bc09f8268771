import { html } from '@elysiajs/html';
import { openapi } from '@elysiajs/openapi';
import { staticPlugin } from '@elysiajs/static';
import { Elysia } from 'elysia';
import { authRoutes } from './account/account-routes.tsx';
import { adminApiRoutes } from './admin/admin-api-routes.ts';
import { adminPageRoutes } from './admin/admin-page-routes.tsx';
import { apiRoutes } from './chat/api-routes.ts';
import { pageRoutes } from './chat/page-routes.tsx';
import type { AppDeps } from './deps.ts';
import { docsApiRoutes } from './docs/docs-api-routes.ts';
import { docsPageRoutes } from './docs/docs-page-routes.tsx';
import { connectionLimits } from './http/connection-limits.ts';
import { errorResponses } from './http/error-responses.tsx';
import { Forwarding } from './http/forwarding.ts';
import { HostPolicy } from './http/host-policy.ts';
import { contextOf } from './http/request-auth.ts';
import { requestContext } from './http/request-context.ts';
import { bindRoutes, isUploadRoute, routeRules } from './http/route-rules.ts';
import { securityHeaders } from './http/security-headers.ts';
import { languageRoutes } from './i18n/language-routes.ts';
import { requestLanguage } from './i18n/request-language.ts';
import { mcpRoutes } from './integrations/mcp-routes.ts';
import { openAiRoutes } from './integrations/openai-routes.ts';
import { metricsRoutes } from './observability/metrics-routes.ts';
import { requestTelemetry } from './observability/request-telemetry.ts';
import { shippedPath } from './shipped-files.ts';

export interface AppOptions {
  /** Folder served at /assets. @default the shipped `assets/` (the checkout's, or the binary's embedded copy) */
  assetsDir?: string;
}

/**
 * Builds the HTTP app from its dependencies; it opens no port (tests call `app.handle`). The
 * cross-cutting plugins come first, in the order they must run on a request: its context, the
 * security headers and Host check, who is asking, the CSRF check, the per-address cap; then the
 * route groups, each declaring its own access, rate and body limits beside its routes.
 */
export function createApp(deps: AppDeps, options: AppOptions = {}) {
  // Bound once the app exists: the telemetry and the body limits read the routes it ends up with.
  const routes = { of: (): readonly { method: string; path: string; hooks: unknown }[] => [] };
  const app = new Elysia()
    .use(requestTelemetry({ telemetry: deps.telemetry, logger: deps.logger, routes: () => routes.of() }))
    .use(requestLanguage(deps.config.defaultLanguage))
    .use(html({ autoDetect: true, autoDoctype: false }))
    .use(errorResponses(deps.logger))
    // After the error handler, so that a missing file gets the app's own 404.
    .use(staticPlugin({ assets: options.assetsDir ?? shippedPath('assets'), prefix: '/assets', alwaysStatic: true }))
    .use(requestContext(new Forwarding(deps.config.trustProxy)))
    .use(securityHeaders(new HostPolicy(deps.config.allowedHosts)))
    // Authentication, CSRF, then the rate and body limits routes declare beside them.
    .use(routeRules(deps))
    // After the gate: a request refused there never takes one of its address's slots.
    .use(
      connectionLimits({
        ...deps.config.connections,
        isUpload: isUploadRoute(deps),
        // The address the request context resolved (TRUST_PROXY), so the cap and the rate limits agree.
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
    .use(metricsRoutes(deps.telemetry, deps.config.metrics))
    .use(languageRoutes())
    .use(authRoutes(deps))
    .use(adminPageRoutes(deps))
    .use(adminApiRoutes(deps))
    .use(docsApiRoutes(deps))
    .use(apiRoutes(deps))
    .use(docsPageRoutes(deps))
    .use(pageRoutes(deps))
    .use(openAiRoutes(deps))
    .use(mcpRoutes(deps));
  routes.of = () => app.routes;
  bindRoutes(deps, routes.of);
  return app;
}
