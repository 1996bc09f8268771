/**
 * A provider's SDK times out waiting for the response head, but nothing limits the silence
 * between two fragments of a stream: a model that stalls mid-answer would hold the answer open
 * forever. The watchdog aborts its `signal` once `timeoutMs` pass without a `rearm()`; the LLM
 * backends pass that signal (joined with the caller's) to their SDK and call `rearm()` per event.
 */
export class SilenceWatchdog {
  /** The caller's signal or the silence, whichever aborts first: for the SDK call. */
  readonly signal: AbortSignal;
  private readonly silence = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly caller: AbortSignal,
  ) {
    this.signal = AbortSignal.any([caller, this.silence.signal]);
  }

  /** Starts, or restarts, the wait for the next fragment. */
  rearm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.silence.abort(), this.timeoutMs);
  }

  /** The silence lasted too long (and the caller did not abort first). */
  get stalled(): boolean {
    return this.silence.signal.aborted && !this.caller.aborted;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
