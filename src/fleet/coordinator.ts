import type { LoginGuard } from '../auth/login-throttle.ts';
import type { MessageStatus } from '../domain.ts';

export type RateKind = 'chat' | 'upload' | 'login';

/** A rate limit's answer: go on, or wait that many seconds. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A slot among a user's answers being written: held until `release`, or refused with the count. */
export type StreamClaim = { ok: true; release(): void } | { ok: false; writing: number };

/** A slot taken: `release` gives it back once, however often it is called. */
export function heldSlot(release: () => void): StreamClaim {
  let released = false;
  return {
    ok: true,
    release: () => {
      if (released) return;
      released = true;
      release();
    },
  };
}

/** An answer being written, as its writer holds it (a Generation): its text only grows. */
export interface LiveText {
  readonly messageId: string;
  readonly text: string;
}

/** What a follower on another instance reads of an answer: the text after an offset, and its status. */
export interface LiveRead {
  /** The text after the `fromChars` code points already read. */
  text: string;
  status: MessageStatus;
}

/**
 * What the instances of one deployment share while answers are written: Stop, following an
 * answer written elsewhere, the per-user cap on answers being written, the rate limits and the
 * login throttle. In process (the embedded default) it is today's single server, with nothing to
 * share and nothing that waits; in Postgres (with DATABASE_URL) it holds across every instance on
 * that database, with LISTEN/NOTIFY for what must travel at once (a Stop, a flushed answer).
 * Both backends run `test/contracts/coordinator.contract.ts`.
 *
 * Methods answer synchronously where the in-process backend can: the hot path of an answer (a
 * rate limit and a stream slot per question) then costs no promise at all in embedded mode.
 */
export interface Coordinator extends LoginGuard {
  /** True when other instances may write or follow answers (followers elsewhere read the database). */
  readonly shared: boolean;
  /**
   * Starts this server's part: listening for Stops sent to other instances (`onStop` aborts the
   * answer when this instance writes it), flushing published answers, the instance heartbeat.
   * Servers call it; one-off commands (ingest) never do.
   */
  start(onStop: (messageId: string) => void): Promise<void>;
  /**
   * Takes one token for each key, in order, from `kind`'s token buckets (`perMinute` at once,
   * refilled at `perMinute` a minute); the first refusal stops there.
   */
  takeRate(kind: RateKind, keys: readonly string[], perMinute: number): RateDecision | Promise<RateDecision>;
  /** Takes one of the `limit` slots of a user's answers being written, across every instance. */
  claimStream(userId: string, limit: number): StreamClaim | Promise<StreamClaim>;
  /** How many answers the user has being written, across every instance (a check, taking nothing). */
  writing(userId: string): number | Promise<number>;
  /** Asks whichever instance writes `messageId` to stop it (the writer aborts within a second). */
  requestStop(messageId: string): Promise<void>;
  /** The writer: keep `answer`'s text flushed, every flush interval, for followers elsewhere. */
  publish(answer: LiveText): void;
  /** The writer: the outcome is stored; stop flushing and tell followers elsewhere to read the end. */
  ended(messageId: string): Promise<void>;
  /** Calls `onChange` whenever `messageId` was flushed or ended elsewhere; returns the unsubscribe. */
  watch(messageId: string, onChange: () => void): () => void;
  /** A follower elsewhere: what was stored of `messageId` after `fromChars` code points. */
  readSince(messageId: string, fromChars: number): Promise<LiveRead | null>;
  /** Database connections this backend holds at most (the pools are counted by their owners). */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Offsets into a stored answer count code points, as Postgres's `substr` and `length` do on
 * UTF-8 text; JavaScript's `length` counts UTF-16 units, which differ at the first emoji.
 */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `text` without its first `from` code points. */
export function afterCodePoints(text: string, from: number): string {
  if (from <= 0) return text;
  let i = 0;
  let n = 0;
  while (i < text.length && n < from) {
    const code = text.codePointAt(i) as number;
    i += code > 0xffff ? 2 : 1;
    n++;
  }
  return text.slice(i);
}
