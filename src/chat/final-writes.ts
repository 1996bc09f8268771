import type { Logger } from '../logger.ts';

export interface FinalWritesOptions {
  /** Waits between attempts, the last one repeated. @default [250, 500, 1000, 2000, 5000] */
  backoffMs?: readonly number[];
  /** A write still failing this long after its first attempt is given up (and logged). @default 600000 */
  giveUpAfterMs?: number;
  /** Writes waiting at once; past it the oldest is given up. @default 10000 */
  maxQueued?: number;
}

interface Pending {
  messageId: string;
  write: () => Promise<void>;
  /** Once the write landed, or was given up: nothing waits for it any more. */
  onSettled: () => void;
  since: number;
  attempts: number;
}

/**
 * The last write of each answer (its text, status and sources). When the database is away the
 * answer has already reached its reader, so the write waits here and is retried until the
 * database is back: bounded (in time and in count), in the order the answers ended (a later
 * answer never lands before an earlier one, nor tries while they wait), and logged when it starts
 * failing, when it lands and when it is given up.
 */
export class FinalWrites {
  private readonly queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private readonly backoffMs: readonly number[];
  private readonly giveUpAfterMs: number;
  private readonly maxQueued: number;

  constructor(
    private readonly logger: Logger,
    options: FinalWritesOptions = {},
  ) {
    this.backoffMs = options.backoffMs ?? [250, 500, 1000, 2000, 5000];
    this.giveUpAfterMs = options.giveUpAfterMs ?? 600_000;
    this.maxQueued = options.maxQueued ?? 10_000;
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Writes now when nothing waits; true when that worked. Otherwise the write waits its turn and
   * `onSettled` runs once it lands (or is given up).
   */
  async store(messageId: string, write: () => Promise<void>, onSettled: () => void): Promise<boolean> {
    if (this.queue.length === 0) {
      try {
        await write();
        return true;
      } catch (error) {
        this.logger.error('could not store the answer; retrying until the database is back', {
          messageId,
          error: error as Error,
        });
      }
    }
    this.queue.push({ messageId, write, onSettled, since: Date.now(), attempts: 1 });
    if (this.queue.length > this.maxQueued) this.giveUp(this.queue.shift() as Pending, 'too many waiting');
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return false;
  }

  /** Resolves when nothing waits any more (or after `ms`). */
  async settled(ms: number): Promise<void> {
    if (!this.draining) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.draining, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0] as Pending;
      await Bun.sleep(this.backoffMs[Math.min(head.attempts - 1, this.backoffMs.length - 1)] ?? 1000);
      if (this.queue[0] !== head) continue;
      try {
        await head.write();
        this.queue.shift();
        this.logger.info('stored an answer after retrying', { messageId: head.messageId, attempts: head.attempts + 1 });
        head.onSettled();
        // The database is back: the rest go now, in order, without waiting.
        while (this.queue.length > 0) {
          const next = this.queue[0] as Pending;
          try {
            await next.write();
          } catch {
            next.attempts++;
            break;
          }
          this.queue.shift();
          this.logger.info('stored an answer after retrying', {
            messageId: next.messageId,
            attempts: next.attempts + 1,
          });
          next.onSettled();
        }
      } catch (error) {
        head.attempts++;
        if (Date.now() - head.since > this.giveUpAfterMs) {
          this.queue.shift();
          this.giveUp(head, (error as Error).message);
        }
      }
    }
  }

  private giveUp(p: Pending, why: string): void {
    this.logger.error('gave up storing an answer', { messageId: p.messageId, attempts: p.attempts, reason: why });
    p.onSettled();
  }
}
