/**
 * One error type for everything the app reports on purpose. `code` is stable (tests, logs and the
 * JSON API use it); `status` is the HTTP answer; `message` is a sentence a person can act on.
 * Infrastructure failures keep the driver's error as `cause` so logs show the original.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

/** The user's input is wrong: a 400 with a message that says what to change. */
export const badInput = (message: string) => new AppError('invalid_input', message, 400);

export const notFound = (what: string) => new AppError('not_found', `${what} was not found.`, 404);

/** A backend failed; `backend` becomes part of the code, e.g. `unavailable:llm`. */
export const unavailable = (backend: string, message: string, cause?: unknown) =>
  new AppError(`unavailable:${backend}`, message, 503, { cause });

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || error.name === 'APIUserAbortError' || error.message === 'aborted')
  );
}
