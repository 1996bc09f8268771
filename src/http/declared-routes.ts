import { pathOf } from './request-path.ts';

/** The app's routes, as Elysia lists them once they are all registered. */
export type RouteList = () => readonly { method: string; path: string; hooks: unknown }[];

/**
 * What routes declared beside them (a rate limit, a body limit: macros that write an `x-` field
 * into the route's OpenAPI `detail`), found for a request before it is routed, so a refusal costs
 * nothing: no body read, no parse hook (one would also hide the route's body from the OpenAPI
 * document). Only declaring routes are matched; their table is built at the first request.
 */
export function declaredOn<T>(routes: RouteList, field: string, accept: (value: unknown) => value is T) {
  let table: { method: string; pattern: RegExp; value: T }[] | null = null;
  return (request: Request): T | undefined => {
    table ??= routes().flatMap((r) => {
      const value = (r.hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.[field];
      return accept(value) ? [{ method: r.method, pattern: patternOf(r.path), value }] : [];
    });
    const path = pathOf(request);
    return table.find((e) => (e.method === request.method || e.method === 'ALL') && e.pattern.test(path))?.value;
  };
}

/** `/docs/:id/original` → a regular expression matching one path segment per parameter. */
function patternOf(route: string): RegExp {
  const segments = route
    .split('/')
    .map((s) => (s.startsWith(':') ? '[^/]+' : s === '*' ? '.*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}/?$`);
}
