import type { AppError } from './errors.ts';

/**
 * A budget as a person reads it in an error message: "300 ms", "10 s", "1.5 s", "3 min".
 * Budgets are whole milliseconds from the configuration.
 */
export function formatBudget(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * Settles with `work`, or rejects with the signal's reason as soon as `signal` aborts, whichever
 * comes first. An SDK that is told to abort does not always stop at once: the `openai` client
 * sleeps before a retry (up to a minute when a 429 says `Retry-After`) without looking at its
 * signal, so a deadline that only aborted the signal would still wait for that sleep.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The work goes on in the background; its outcome no longer matters.
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs one phase of an answer within its budget. `work` gets a signal that aborts when the caller's
 * does or when the budget runs out, so the SDK underneath stops retrying at the deadline; and the
 * phase ends by the deadline even if `work` ignores that signal. At the deadline it rejects with
 * `expired()` (the sentence that names the phase); when the caller aborts, with the caller's reason.
 * The signal's reason is the phase error too, so the seams' decorators count it as a timeout.
 */
export async function withinBudget<T>(
  budgetMs: number,
  signal: AbortSignal | undefined,
  expired: () => AppError,
  work: (signal: AbortSignal) => Promise<T>,
  /**
   * The budget's clock starts when this settles (say, the phase before, which `work` may start
   * on ahead of time); by default, now.
   */
  startsAfter?: Promise<unknown>,
): Promise<T> {
  signal?.throwIfAborted();
  const deadline = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const start = () => {
    if (!settled) timer = setTimeout(() => deadline.abort(expired()), budgetMs);
  };
  if (startsAfter) startsAfter.then(start, start);
  else start();
  const joined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  try {
    return await untilAborted(work(joined), joined);
  } catch (error) {
    // Whatever `work` threw on its way out of an expired budget, the phase's sentence is the news.
    if (deadline.signal.aborted && !signal?.aborted) throw deadline.signal.reason;
    throw error;
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}
