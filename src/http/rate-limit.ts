import { type DocumentDecoration, Elysia } from 'elysia';
import { AppError } from '../errors.ts';
import type { Coordinator, RateDecision, RateKind } from '../fleet/coordinator.ts';
import { type MessageKey, say } from '../i18n/translator.ts';
import type { Metrics } from '../observability/metrics.ts';
import { declaredOn, type RouteList } from './declared-routes.ts';
import { contextOf } from './request-auth.ts';

export interface RateLimitOptions {
  coordinator: Coordinator;
  perMinute: Record<RateKind, number>;
  metrics: Metrics;
  /** The app's routes (the limits are declared on them). */
  routes: RouteList;
}

const WHAT: Record<RateKind, string> = { chat: 'questions', upload: 'uploads', login: 'login attempts' };
const SENTENCE = {
  chat: 'error.tooManyQuestions',
  upload: 'error.tooManyUploads',
  login: 'error.tooManyLogins',
} as const satisfies Record<RateKind, MessageKey>;
const isKind = (value: unknown): value is RateKind => typeof value === 'string' && Object.hasOwn(WHAT, value);

/**
 * Rate limits declared beside the route: `{ rateLimit: 'chat' }`. Questions and uploads are
 * limited per user and per client address, logins per client address (token buckets, shared by
 * the fleet with Postgres): a 429 with Retry-After and a sentence. Taken before the body is read,
 * so a refused upload costs nothing; the caller was authenticated just before.
 */
export function rateLimits({ coordinator, perMinute, metrics, routes }: RateLimitOptions) {
  const declared = declaredOn(routes, 'x-rate-limit-kind', isKind);
  /** The limit and the buckets a request takes from, or null when its route declares none. */
  const bucketsOf = (request: Request): { kind: RateKind; keys: string[] } | null => {
    const kind = declared(request);
    if (!kind) return null;
    const context = contextOf(request);
    const address = context?.address ?? 'unknown';
    const principal = context?.principal;
    return { kind, keys: principal ? [`user:${principal.user.id}`, `ip:${address}`] : [`ip:${address}`] };
  };
  const refuse = (kind: RateKind, taken: RateDecision): void => {
    if (taken.ok) return;
    metrics.rateLimited.inc({ limit: kind });
    throw new AppError('rate_limited', say(SENTENCE[kind], { seconds: taken.retryAfterSeconds }), 429, {
      retryAfterSeconds: taken.retryAfterSeconds,
    });
  };
  const plugin = new Elysia({ name: 'rate-limits' }).macro({
    rateLimit: (kind: RateKind) => ({
      detail: {
        'x-rate-limit': `${perMinute[kind]} ${WHAT[kind]} a minute`,
        'x-rate-limit-kind': kind,
      } as DocumentDecoration,
    }),
  });
  // Elysia awaits a hook only when it is an async function: with Postgres the buckets answer
  // asynchronously; in process synchronously, so no promise is made on the hot path.
  if (coordinator.shared) {
    return plugin.onRequest(async ({ request }) => {
      const buckets = bucketsOf(request);
      if (buckets)
        refuse(buckets.kind, await coordinator.takeRate(buckets.kind, buckets.keys, perMinute[buckets.kind]));
    });
  }
  return plugin.onRequest(({ request }) => {
    const buckets = bucketsOf(request);
    if (!buckets) return;
    const taken = coordinator.takeRate(buckets.kind, buckets.keys, perMinute[buckets.kind]);
    if (taken instanceof Promise) throw new Error('An unshared coordinator must answer rate limits synchronously.');
    refuse(buckets.kind, taken);
  });
}
