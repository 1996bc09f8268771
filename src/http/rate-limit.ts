import { type DocumentDecoration, Elysia } from 'elysia';
import { AppError } from '../errors.ts';
import type { Coordinator, RateDecision, RateKind } from '../fleet/coordinator.ts';
import type { Metrics } from '../observability/metrics.ts';
import { contextOf } from './request-auth.ts';

export interface RateLimitOptions {
  coordinator: Coordinator;
  perMinute: Record<RateKind, number>;
  metrics: Metrics;
}

const WHAT: Record<RateKind, string> = { chat: 'questions', upload: 'uploads', login: 'login attempts' };

/**
 * Rate limits declared beside the route: `{ rateLimit: 'chat' }`. Questions and uploads are
 * limited per user and per client address, logins per client address (token buckets, shared by
 * the fleet with Postgres): a 429 with Retry-After and a sentence. Taken in the parse step, before
 * the body is read, so a refused upload costs nothing; the caller was authenticated before it.
 */
export function rateLimits({ coordinator, perMinute, metrics }: RateLimitOptions) {
  return new Elysia({ name: 'rate-limits' }).macro({
    rateLimit: (kind: RateKind) => ({
      detail: { 'x-rate-limit': `${perMinute[kind]} ${WHAT[kind]} a minute` } as DocumentDecoration,
      parse({ request }) {
        const context = contextOf(request);
        const principal = context?.principal;
        const address = context?.address ?? 'unknown';
        const keys = principal ? [`user:${principal.user.id}`, `ip:${address}`] : [`ip:${address}`];
        const refuse = (taken: RateDecision): undefined => {
          if (taken.ok) return undefined;
          metrics.rateLimited.inc({ limit: kind });
          throw new AppError(
            'rate_limited',
            `Too many ${WHAT[kind]} in a short time; try again in ${taken.retryAfterSeconds} s.`,
            429,
            { retryAfterSeconds: taken.retryAfterSeconds },
          );
        };
        // In process the answer is synchronous: no promise on the hot path.
        const taken = coordinator.takeRate(kind, keys, perMinute[kind]);
        return taken instanceof Promise ? taken.then(refuse) : refuse(taken);
      },
    }),
  });
}
