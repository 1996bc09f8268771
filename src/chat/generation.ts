import type { Source } from '../domain.ts';
import { AnswerTimings } from '../observability/answer-timings.ts';
import type { MessageOutcome } from '../stores/chat-repository.ts';

export type GenerationEvent =
  | { type: 'token'; text: string }
  /** The passages the answer is written from, before its first word: citations link as they stream. */
  | { type: 'passages'; sources: Source[] }
  | { type: 'sources'; sources: Source[] }
  | { type: 'done'; status: 'complete' | 'stopped'; searchQuery: string | null }
  | { type: 'error'; code: string; message: string };

/**
 * One answer being written. It belongs to the server, not to an HTTP connection: any number of
 * readers can follow it (a reload re-attaches), and a reader leaving does not stop it. Every event
 * is kept, so a late reader replays the answer so far, then follows it live.
 */
export class Generation {
  readonly controller = new AbortController();
  readonly startedAt = performance.now();
  private readonly events: GenerationEvent[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;
  text = '';
  /** How the answer ended, once it has (what its final write stores). */
  outcome: MessageOutcome | null = null;
  /** Resolves once the outcome is stored, or waits for the database to be back (FinalWrites). */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    readonly messageId: string,
    readonly conversationId: string,
    readonly userId: string,
    readonly model: string,
    /** Where the answer's time goes, from its request's arrival (`done` events and the JSON answer report it). */
    readonly timings: AnswerTimings = new AnswerTimings(),
  ) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The error the answer ended with, if it failed. */
  get failure(): { code: string; message: string } | null {
    const last = this.events.at(-1);
    return last?.type === 'error' ? { code: last.code, message: last.message } : null;
  }

  push(event: GenerationEvent): void {
    if (this.ended) return;
    if (event.type === 'token') this.text += event.text;
    this.events.push(event);
    if (event.type === 'done' || event.type === 'error') this.ended = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  markFinished(): void {
    this.resolveFinished();
  }

  /** Every event from the first, then live ones, until `done` or `error`. */
  async *follow(): AsyncGenerator<GenerationEvent> {
    let i = 0;
    while (true) {
      while (i < this.events.length) yield this.events[i++] as GenerationEvent;
      if (this.ended) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
