import type { MessageKey, Params, Said } from './i18n/translator.ts';

/**
 * One error type for everything the app reports on purpose. `code` is stable (tests, logs and the
 * JSON API use it); `status` is the HTTP answer; `message` is a sentence a person can act on.
 * Infrastructure failures keep the driver's error as `cause` so logs show the original.
 */
export class AppError extends Error {
  /** Why a backend failed, when it did (metrics count provider errors by it). */
  readonly reason?: FailureReason;
  /** For a 429 or 503: when to try again (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /**
   * The sentence's catalog key (src/i18n/en.ts), when it was given as `say(key, params)`: the page
   * shows it in the reader's language; `message` stays the English, for logs and API clients.
   */
  readonly key?: MessageKey;
  readonly params?: Params;

  constructor(
    readonly code: ErrorCode,
    message: string | Said,
    readonly status = 500,
    options?: { cause?: unknown; reason?: FailureReason; retryAfterSeconds?: number },
  ) {
    super(typeof message === 'string' ? message : message.text, options);
    this.name = 'AppError';
    if (typeof message !== 'string') {
      this.key = message.key;
      this.params = message.params;
    }
    this.reason = options?.reason;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * Every code the app reports (the JSON API's `error.code`, the SSE `error` event's `code`, logs).
 * A closed set, so a typo is a compile error and a client can switch on it; `unavailable:<backend>`
 * names the backend that failed.
 */
export type ErrorCode =
  // The request: what the person sent or may do.
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'cross_site'
  | 'not_found'
  /** An OpenAI-compatible client named a model (a scope) that is not one of the caller's. */
  | 'model_not_found'
  | 'too_large'
  | 'rate_limited'
  | 'too_many_requests'
  | 'too_many_streams'
  // Accounts and collections.
  | 'email_taken'
  | 'last_admin'
  | 'collection_exists'
  | 'reserved_name'
  | 'invalid_key'
  // Documents.
  | 'unsupported_type'
  | 'unreadable'
  | 'not_text'
  | 'no_text'
  | 'too_many_pages'
  // Answers.
  | 'answer_in_progress'
  | 'answer_failed'
  | 'answer_timeout'
  | 'shutting_down'
  // The index and the backends.
  | 'index_mismatch'
  | 'embedded_index_conflict'
  | 'invalid_vector'
  | 'not_open'
  | `unavailable:${string}`;

/**
 * The kinds of backend failure, the same for every provider: each adapter maps its driver's
 * errors onto these, so dashboards and alerts do not depend on which provider is configured.
 */
export type FailureReason =
  | 'timeout'
  | 'unreachable'
  | 'auth'
  | 'model_not_found'
  | 'rate_limited'
  | 'bad_request'
  | 'server_error'
  | 'stalled'
  | 'unexpected';

/** The user's input is wrong: a 400 with a message that says what to change. */
export const badInput = (message: string | Said) => new AppError('invalid_input', message, 400);

/** A 404 whose sentence says what was not found, and why where it helps. */
export const notFoundSaying = (message: string | Said) => new AppError('not_found', message, 404);

export const notFound = (what: string) => notFoundSaying(`${what} was not found.`);

/** A backend failed; `backend` becomes part of the code, e.g. `unavailable:llm`. */
export const unavailable = (backend: string, message: string, cause?: unknown, reason?: FailureReason) =>
  new AppError(`unavailable:${backend}`, message, 503, { cause, reason });

/** An HTTP status as a failure kind, for adapters that speak HTTP. */
export function failureReason(status: number | undefined): FailureReason {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'model_not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status !== undefined && status >= 400 && status < 500) return 'bad_request';
  if (status !== undefined && status >= 500) return 'server_error';
  return 'unexpected';
}

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || error.name === 'APIUserAbortError' || error.message === 'aborted')
  );
}
