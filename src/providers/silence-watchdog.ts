import { formatBudget } from '../deadlines.ts';
import { type AppError, unavailable } from '../errors.ts';

/** How long a streamed answer may keep the asker waiting, phase by phase. */
export interface StreamBudgets {
  /**
   * From the call to the first fragment of text, the SDK's retries included: a provider that is
   * down, overloaded or hung is reported after this long, however many attempts fit in it.
   */
  firstTokenMs: number;
  /** Between two fragments once the answer has begun. */
  silenceMs: number;
}

/**
 * A provider's SDK times out waiting for the response head, per attempt, and retries; nothing
 * limits the whole wait for the first words, nor the silence between two fragments of a stream.
 * The watchdog aborts its `signal` when the first fragment is later than `firstTokenMs` after
 * `start()`, or when `silenceMs` pass between two `heard()`; the LLM backends pass that signal
 * (joined with the caller's) to their SDK and call `heard()` per fragment of text. Events that
 * carry no text (a role, a block start) do not count: the asker still sees nothing.
 */
export class SilenceWatchdog {
  /** The caller's signal or the watchdog's, whichever aborts first: for the SDK call. */
  readonly signal: AbortSignal;
  /** Which wait ran out, once one has (and the caller did not abort first). */
  private expiredWait: 'first-token' | 'silence' | null = null;
  private readonly silence = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly budgets: StreamBudgets,
    private readonly caller: AbortSignal,
  ) {
    this.signal = AbortSignal.any([caller, this.silence.signal]);
  }

  /** Starts the wait for the first fragment. */
  start(): void {
    this.arm('first-token', this.budgets.firstTokenMs);
  }

  /** A fragment of text arrived: the answer has begun; restarts the wait for the next one. */
  heard(): void {
    this.arm('silence', this.budgets.silenceMs);
  }

  /** A wait ran out (and the caller did not abort first). */
  get stalled(): boolean {
    return this.expiredWait !== null && !this.caller.aborted;
  }

  /**
   * The sentence for the wait that ran out, naming the phase and its budget. `what` names the
   * provider ("The language model", "The language model (Amazon Bedrock)").
   */
  error(what: string, cause: unknown): AppError {
    if (this.expiredWait === 'first-token')
      return unavailable(
        'llm',
        `${what} did not start answering within ${formatBudget(this.budgets.firstTokenMs)}.`,
        cause,
        'timeout',
      );
    return unavailable(
      'llm',
      `${what} stopped responding for ${formatBudget(this.budgets.silenceMs)} in the middle of the answer.`,
      cause,
      'stalled',
    );
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(wait: 'first-token' | 'silence', ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expiredWait = wait;
      this.silence.abort();
    }, ms);
  }
}
