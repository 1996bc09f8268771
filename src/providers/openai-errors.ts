import OpenAI from 'openai';
import { AppError, failureReason, isAbortError, unavailable } from '../errors.ts';

/**
 * Translates the `openai` package's errors at the boundary. Its classes: APIConnectionError (no
 * answer), APIConnectionTimeoutError, and APIError subclasses by HTTP status (401, 404, 429, 5xx).
 * The provider's message is kept in `cause`, never shown: it can echo request details.
 */
export function providerError(backend: 'llm' | 'embeddings', error: unknown): unknown {
  if (isAbortError(error) || error instanceof AppError) return error;
  const what = backend === 'llm' ? 'The language model' : 'The embedding service';
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return unavailable(backend, `${what} did not answer in time.`, error, 'timeout');
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return unavailable(backend, `${what} could not be reached.`, error, 'unreachable');
  }
  if (error instanceof OpenAI.APIError) {
    const reason =
      error.status === 401 || error.status === 403
        ? 'rejected the API key'
        : error.status === 404
          ? 'does not know the configured model'
          : error.status === 429
            ? 'is rate limiting requests; try again shortly'
            : `answered with an error (HTTP ${error.status ?? 'unknown'})`;
    return unavailable(backend, `${what} ${reason}.`, error, failureReason(error.status));
  }
  return unavailable(backend, `${what} failed unexpectedly.`, error, 'unexpected');
}
