import { LoginThrottle } from '../auth/login-throttle.ts';
import { RateLimiter } from '../http/rate-limiter.ts';
import {
  afterCodePoints,
  type Coordinator,
  heldSlot,
  type LiveRead,
  type LiveText,
  type RateDecision,
  type RateKind,
  type StreamClaim,
} from './coordinator.ts';
import { Watchers } from './watchers.ts';

/**
 * One server is the whole fleet: the state lives in this process's memory, every answer is written
 * here, so there is nothing to flush, notify or read back. Every method that the hot path calls
 * answers synchronously (no promise, no allocation beyond today's maps).
 */
export class InProcessCoordinator implements Coordinator {
  readonly shared = false;
  readonly connections = 0;
  private readonly limiters = new Map<RateKind, RateLimiter>();
  /** Answers being written, per user: counting them on every question is quadratic in a burst. */
  private readonly writingBy = new Map<string, number>();
  private readonly published = new Map<string, LiveText>();
  private readonly watchers = new Watchers();
  private onStop: (messageId: string) => void = () => {};

  constructor(
    private readonly throttle = new LoginThrottle(),
    private readonly now: () => number = () => Date.now(),
  ) {}

  async start(onStop: (messageId: string) => void): Promise<void> {
    this.onStop = onStop;
  }

  takeRate(kind: RateKind, keys: readonly string[], perMinute: number): RateDecision {
    let limiter = this.limiters.get(kind);
    if (limiter?.perMinute !== perMinute) {
      limiter = new RateLimiter(perMinute, perMinute, this.now);
      this.limiters.set(kind, limiter);
    }
    for (const key of keys) {
      const taken = limiter.take(key);
      if (!taken.ok) return taken;
    }
    return { ok: true };
  }

  claimStream(userId: string, limit: number): StreamClaim {
    const writing = this.writingBy.get(userId) ?? 0;
    if (writing >= limit) return { ok: false, writing };
    this.writingBy.set(userId, writing + 1);
    return heldSlot(() => {
      const left = (this.writingBy.get(userId) ?? 1) - 1;
      if (left > 0) this.writingBy.set(userId, left);
      else this.writingBy.delete(userId);
    });
  }

  writing(userId: string): number {
    return this.writingBy.get(userId) ?? 0;
  }

  // Every answer is written in this process: the writer is here.
  async requestStop(messageId: string): Promise<void> {
    this.onStop(messageId);
  }

  // Nothing to flush: whoever follows an answer here reads its Generation, in memory.
  publish(answer: LiveText): void {
    this.published.set(answer.messageId, answer);
  }

  async ended(messageId: string): Promise<void> {
    this.published.delete(messageId);
    this.watchers.wake(messageId);
  }

  watch(messageId: string, onChange: () => void): () => void {
    return this.watchers.add(messageId, onChange);
  }

  async readSince(messageId: string, fromChars: number): Promise<LiveRead | null> {
    const answer = this.published.get(messageId);
    return answer ? { text: afterCodePoints(answer.text, fromChars), status: 'streaming' } : null;
  }

  loginWait(account: string): number {
    return this.throttle.retryAfterSeconds(account);
  }

  loginFailed(account: string): void {
    this.throttle.failed(account);
  }

  loginSucceeded(account: string): void {
    this.throttle.succeeded(account);
  }

  async close(): Promise<void> {}
}
