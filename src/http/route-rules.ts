import { Elysia } from 'elysia';
import type { AppDeps } from '../deps.ts';
import { authentication } from './authentication.ts';
import { bodyLimits } from './body-limit.ts';
import { csrf } from './csrf.ts';
import type { RouteList } from './declared-routes.ts';
import { rateLimits } from './rate-limit.ts';

type Routes = ReturnType<RouteList>;

const built = new WeakMap<AppDeps, { plugin: ReturnType<typeof build>; routes: { of: () => Routes } }>();

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

/** Tells the body limits which app they serve (its routes carry the declared limits). */
export function bindRoutes(deps: AppDeps, routes: () => Routes): void {
  rulesOf(deps).routes.of = routes;
}

function rulesOf(deps: AppDeps) {
  let rules = built.get(deps);
  if (!rules) {
    const routes = { of: (): Routes => [] };
    rules = { plugin: build(deps, () => routes.of()), routes };
    built.set(deps, rules);
  }
  return rules;
}

function build(deps: AppDeps, routes: () => Routes) {
  const { config, telemetry } = deps;
  return (
    new Elysia({ name: 'route-rules' })
      // In the order they run on a request, before it is routed and before its body is read.
      .use(authentication(deps.auth))
      .use(csrf(config.publicOrigin))
      .use(bodyLimits({ uploadTimeoutS: config.connections.uploadTimeoutS, routes }))
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
