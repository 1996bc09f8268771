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
  /** When the last fragment came (performance.now()); NaN before the first. */
  private lastHeard = Number.NaN;
  private startedAt = 0;
  private stopped = false;

  constructor(
    private readonly budgets: StreamBudgets,
    private readonly caller: AbortSignal,
  ) {
    this.signal = AbortSignal.any([caller, this.silence.signal]);
  }

  /** Starts the wait for the first fragment. */
  start(): void {
    this.startedAt = performance.now();
    this.arm(this.budgets.firstTokenMs);
  }

  /**
   * A fragment of text arrived: the answer has begun; restarts the wait for the next one. Per
   * fragment this only reads the clock: the timer is armed anew once, at the first fragment (the
   * silence budget may be shorter than what is left of the first-token one), and after that only
   * when it fires, for whatever is left of the silence since the last fragment. A clearTimeout and a
   * setTimeout per fragment were about a tenth of the server's CPU per streamed answer.
   */
  heard(): void {
    const first = Number.isNaN(this.lastHeard);
    this.lastHeard = performance.now();
    if (first) this.arm(this.budgets.silenceMs);
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
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.check(), ms);
  }

  /** The timer fired: the wait has run out, or a fragment came since and the wait goes on. */
  private check(): void {
    const heard = !Number.isNaN(this.lastHeard);
    const deadline = heard ? this.lastHeard + this.budgets.silenceMs : this.startedAt + this.budgets.firstTokenMs;
    const left = deadline - performance.now();
    // Timers may fire a little early; a millisecond is not worth another wake-up.
    if (left > 1) {
      this.arm(left);
      return;
    }
    this.expiredWait = heard ? 'silence' : 'first-token';
    this.silence.abort();
  }
}
