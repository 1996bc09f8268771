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
  let table: { method: string; matches: (path: string) => boolean; value: T }[] | null = null;
  return (request: Request): T | undefined => {
    table ??= routes().flatMap((r) => {
      const value = (r.hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.[field];
      return accept(value) ? [{ method: r.method, matches: matcherOf(r.path), value }] : [];
    });
    const path = pathOf(request);
    return table.find((e) => (e.method === request.method || e.method === 'ALL') && e.matches(path))?.value;
  };
}

/**
 * `/docs/:id/original` → a test of a path segment by segment (a parameter matches any one
 * segment, `*` the rest); no regular expression is built from a route.
 */
function matcherOf(route: string): (path: string) => boolean {
  const expected = route.split('/');
  return (path) => {
    const actual = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/');
    for (let i = 0; i < expected.length; i++) {
      const segment = expected[i] as string;
      if (segment === '*') return true;
      const given = actual[i];
      if (given === undefined || (segment.startsWith(':') ? given === '' : given !== segment)) return false;
    }
    return actual.length === expected.length;
  };
}
