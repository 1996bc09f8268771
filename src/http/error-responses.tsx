import { Elysia } from 'elysia';
import { Notice } from '../../views/chat.tsx';
import { ErrorPage } from '../../views/error-page.tsx';
import { AppError } from '../errors.ts';
import { tr } from '../i18n/request-locale.ts';
import { type Said, say } from '../i18n/translator.ts';
import type { Logger } from '../logger.ts';
import { contextOf } from './request-auth.ts';
import { pathOf } from './request-path.ts';
import { plainRefusal, securityHeaderValues } from './security-headers.ts';

/**
 * One error handler turns every failure into a sentence for a person: JSON under /api, an HTML
 * fragment for htmx requests, a page otherwise. Unexpected errors are logged with the request id,
 * never shown. It never throws: if rendering the error fails too, a plain sentence goes out (Bun
 * would otherwise answer with its own page).
 */
export function errorResponses(logger: Logger) {
  return new Elysia({ name: 'error-responses' }).onError({ as: 'global' }, async ({ code, error, request, set }) => {
    const context = contextOf(request);
    const requestId = context?.id;
    try {
      const { status, errorCode, message, retryAfterSeconds } = describe(code, error);
      // The after-response hook's `set.status` does not see a status decided here.
      if (context) context.status = status;
      if (status >= 500)
        logger.error('request failed', { requestId, method: request.method, path: pathOf(request), error });
      const response = await errorResponse(request, status, errorCode, message, status >= 500 ? requestId : undefined);
      if (requestId) response.headers.set('x-request-id', requestId);
      if (retryAfterSeconds) response.headers.set('retry-after', String(retryAfterSeconds));
      return response;
    } catch (failure) {
      logger.error('the error handler failed', { requestId, error: failure, cause: error });
      return plainRefusal(500, 'Something went wrong on our side. The error was logged; please try again.', {
        ...securityHeaderValues(false),
        ...(set.headers as Record<string, string>),
      });
    }
  });
}

/**
 * JSON under /api, /mcp and for the probes, in English (clients switch on `code`; OpenAI's error
 * shape under /v1, which its clients read); an htmx fragment or a whole page otherwise, in the
 * reader's language when the sentence has a catalog key. A 5xx names its request id, so a report
 * can be matched with the log line.
 */
export async function errorResponse(
  request: Request,
  status: number,
  code: string,
  said: string | Said,
  requestId?: string,
): Promise<Response> {
  const path = pathOf(request);
  const english = typeof said === 'string' ? said : said.text;
  const inEnglish = requestId ? say('error.requestId', { message: english, id: requestId }).text : english;
  if (path.startsWith('/v1/')) {
    const type = status === 401 ? 'authentication_error' : status < 500 ? 'invalid_request_error' : 'server_error';
    return Response.json({ error: { message: inEnglish, type, param: null, code } }, { status });
  }
  if (
    path.startsWith('/api/') ||
    path === '/mcp' ||
    path === '/healthz' ||
    path === '/readyz' ||
    path === '/openapi.json'
  ) {
    return Response.json({ error: { code, message: inEnglish } }, { status });
  }
  const translated = tr();
  const sentence = typeof said === 'string' ? said : translated.t(said.key, said.params);
  const message = requestId ? translated.t('error.requestId', { message: sentence, id: requestId }) : sentence;
  const body = request.headers.get('hx-request') ? (
    <Notice message={message} />
  ) : (
    <ErrorPage status={status} message={message} />
  );
  return new Response(await body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

interface Described {
  status: number;
  errorCode: string;
  message: string | Said;
  retryAfterSeconds?: number;
}

function describe(code: string | number, error: unknown): Described {
  if (error instanceof AppError) return fromAppError(error);
  switch (code) {
    case 'PARSE':
      return {
        status: 400,
        errorCode: 'invalid_body',
        message: say('error.body'),
      };
    case 'VALIDATION':
      return {
        status: 400,
        errorCode: 'invalid_input',
        // The schemas at the edge carry the sentence to show (their `error`); a schema without one
        // falls back to this.
        message: validationSentence(error) ?? say('error.fields'),
      };
    case 'NOT_FOUND':
      return { status: 404, errorCode: 'not_found', message: say('error.nothingHere') };
    case 'INVALID_COOKIE_SIGNATURE':
      return {
        status: 400,
        errorCode: 'invalid_cookie',
        message: 'A cookie was tampered with; clear cookies and retry.',
      };
    default:
      return { status: 500, errorCode: 'internal', message: say('error.internal') };
  }
}

const fromAppError = (error: AppError): Described => ({
  status: error.status,
  errorCode: error.code,
  message: error.key ? { key: error.key, params: error.params, text: error.message } : error.message,
  retryAfterSeconds: error.retryAfterSeconds,
});

/** A schema's own sentence: Elysia puts it in `customError` (its message is JSON otherwise). */
function validationSentence(error: unknown): string | undefined {
  const custom = (error as { customError?: unknown }).customError;
  return typeof custom === 'string' && custom !== '' ? custom : undefined;
}

/**
 * Runs a change the page shows in place: an expected refusal (an AppError below 500) comes back as
 * its sentence to render beside the form instead of replacing the page; anything else is thrown on
 * to the error handler.
 */
export async function orRefusal<T>(
  work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: AppError }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    return { ok: false, error };
  }
}
