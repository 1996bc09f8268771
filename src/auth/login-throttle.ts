/**
 * Where AuthService counts wrong passwords per account: this process's LoginThrottle, or the
 * fleet's shared one (src/fleet/, which implements this too).
 */
export interface LoginGuard {
  /** Seconds until `account` may try a password again (0: now). */
  loginWait(account: string): number | Promise<number>;
  loginFailed(account: string): void | Promise<void>;
  loginSucceeded(account: string): void | Promise<void>;
}

/** One server's guard. */
export const localLoginGuard = (throttle = new LoginThrottle()): LoginGuard => ({
  loginWait: (account) => throttle.retryAfterSeconds(account),
  loginFailed: (account) => throttle.failed(account),
  loginSucceeded: (account) => throttle.succeeded(account),
});

/** The login throttle's rules, shared by its in-memory form here and the fleet's (src/fleet/). */
export const LOGIN_THROTTLE = {
  freeFailures: 5,
  maxBlockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxEntries: 100_000,
} as const;

/**
 * Failed logins per account, with exponential backoff. The per-address limit (app.tsx) stops one
 * client from guessing fast; this stops many addresses (a botnet, a rotating proxy) from guessing
 * one account's password: after `freeFailures` wrong passwords in a row, the account's logins are
 * refused for 1 s, then 2 s, 4 s … up to `maxBlockMs`, whatever the password. A right password
 * clears it. Unknown emails are throttled alike, so the refusal says nothing about which exist.
 * One server's view (the in-process coordinator's); with Postgres the fleet shares one table.
 */
export class LoginThrottle {
  private readonly accounts = new Map<string, { failures: number; blockedUntil: number; at: number }>();

  constructor(
    private readonly options: {
      freeFailures: number;
      maxBlockMs: number;
      forgetAfterMs: number;
      maxEntries: number;
    } = LOGIN_THROTTLE,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Seconds until `account` may try again, or 0 when it may now. */
  retryAfterSeconds(account: string): number {
    const entry = this.accounts.get(throttleKey(account));
    const wait = entry ? entry.blockedUntil - this.now() : 0;
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  failed(account: string): void {
    const key = throttleKey(account);
    const now = this.now();
    const previous = this.accounts.get(key);
    const entry =
      previous && now - previous.at < this.options.forgetAfterMs ? previous : { failures: 0, blockedUntil: 0, at: now };
    entry.failures += 1;
    entry.at = now;
    const over = entry.failures - this.options.freeFailures;
    if (over >= 0) entry.blockedUntil = now + Math.min(1000 * 2 ** Math.min(over, 30), this.options.maxBlockMs);
    // Re-inserted so the Map's order is least recently failed first, for the eviction below.
    this.accounts.delete(key);
    this.accounts.set(key, entry);
    if (this.accounts.size > this.options.maxEntries) this.evict(now);
  }

  succeeded(account: string): void {
    this.accounts.delete(throttleKey(account));
  }

  /** Forgets stale entries; if memory is still over the cap, the oldest go first. */
  private evict(now: number): void {
    for (const [key, entry] of this.accounts) {
      if (now - entry.at >= this.options.forgetAfterMs && entry.blockedUntil <= now) this.accounts.delete(key);
    }
    for (const key of this.accounts.keys()) {
      if (this.accounts.size <= this.options.maxEntries) break;
      this.accounts.delete(key);
    }
  }
}

export const throttleKey = (account: string) => account.trim().toLowerCase().slice(0, 320);
