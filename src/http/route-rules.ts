import { Elysia } from 'elysia';
import type { AppDeps } from '../deps.ts';
import { authentication } from './authentication.ts';
import { bodyLimitOf, bodyLimits, MAX_BODY_BYTES } from './body-limit.ts';
import { csrf } from './csrf.ts';
import type { RouteList } from './declared-routes.ts';
import { rateLimits } from './rate-limit.ts';

type Routes = ReturnType<RouteList>;

interface Rules {
  plugin: ReturnType<typeof build>;
  routes: { of: () => Routes };
  /** The body limit of a request's route, as the body limits apply it. */
  limitOf: (request: Request) => number;
}

const built = new WeakMap<AppDeps, Rules>();

/**
 * Authentication, the CSRF check, and what a route group uses to declare its rules beside its
 * routes: `({ principal })`,
 * `{ accounts: true }`, `{ admin: true }`, `{ rateLimit: 'chat' }`, `{ bodyLimit: bytes }`. One
 * instance per app (named plugins are applied once however many groups use them), so every group
 * declares against the same limits; the body limits read the whole app's routes, bound by
 * `createApp`.
 */
export function routeRules(deps: AppDeps) {
  return rulesOf(deps).plugin;
}

/** Whether a request's route is an upload (declares a body limit above the default): it gets the upload's deadline. */
export function isUploadRoute(deps: AppDeps): (request: Request) => boolean {
  const { limitOf } = rulesOf(deps);
  return (request) => limitOf(request) > MAX_BODY_BYTES;
}

/** Tells the body limits which app they serve (its routes carry the declared limits). */
export function bindRoutes(deps: AppDeps, routes: () => Routes): void {
  rulesOf(deps).routes.of = routes;
}

function rulesOf(deps: AppDeps): Rules {
  let rules = built.get(deps);
  if (!rules) {
    const routes = { of: (): Routes => [] };
    const limitOf = bodyLimitOf(() => routes.of());
    rules = { plugin: build(deps, () => routes.of(), limitOf), routes, limitOf };
    built.set(deps, rules);
  }
  return rules;
}

function build(deps: AppDeps, routes: () => Routes, limitOf: (request: Request) => number) {
  const { config, telemetry } = deps;
  return (
    new Elysia({ name: 'route-rules' })
      // In the order they run on a request, before it is routed and before its body is read.
      .use(authentication(deps.auth))
      .use(csrf(config.publicOrigin))
      .use(bodyLimits(limitOf))
      .use(
        rateLimits({
          coordinator: deps.coordinator,
          perMinute: {
            chat: config.limits.chatPerMinute,
            upload: config.limits.uploadsPerMinute,
            login: config.auth.loginsPerMinute,
          },
          metrics: telemetry.metrics,
          routes,
        }),
      )
  );
}
