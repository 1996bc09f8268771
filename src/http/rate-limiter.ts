/**
 * Token buckets in memory, one per key (a user, a client address): `capacity` requests at once,
 * refilled at `perMinute` a minute. One server's view (the in-process coordinator's); with
 * Postgres the fleet shares its buckets instead (src/fleet/postgres-coordinator.ts).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perMinute: number,
    private readonly capacity = perMinute,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one token for `key`; when none is left, says how many seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const ratePerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
  }

  /** Forgets full buckets, so that memory follows active clients only. */
  private sweep(now: number): void {
    const ratePerMs = this.perMinute / 60_000;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * ratePerMs >= this.capacity) this.buckets.delete(key);
    }
  }
}
